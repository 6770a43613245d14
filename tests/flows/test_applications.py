"""The admins' side of store onboarding: decisions once, permissions, the list, lost notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.outbox.sender import get_sender
from bot.services import approval, onboarding
from tests.flows.harness import Harness, Person
from tests.flows.onboarding_steps import BACK, KEEP, STEPS, SUBMIT, answer, fill_application

RAVI, MEERA = 900, 901
SHOP = 101


@pytest.fixture
async def two_admins(tmp_path: Path):
    h = Harness(tmp_path, admin_ids={RAVI, MEERA})
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def _apply(h: Harness, user_id: int = SHOP, lang: str = "en") -> Person:
    person = await h.person(user_id, lang)
    await fill_application(person)
    await person.press(SUBMIT["en"] if lang == "en" else person.last().button_texts()[-1])
    return person


async def _store(h: Harness, store_id: int = 1):
    return await h.svc.db.fetchone("SELECT * FROM stores WHERE id = ?", (store_id,))


async def test_every_admin_gets_the_application_in_their_language(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    meera = await two_admins.person(MEERA, "mr", first_name="Meera")
    await _apply(two_admins)
    (card_en,), (card_mr,) = ravi.new(), meera.new()  # the map pin is a link in the card
    assert card_en.text.startswith("📝 Partner store application #1")
    assert card_mr.text.startswith("📝 पार्टनर स्टोअर अर्ज #1")
    assert card_mr.button_texts() == ["✅ मंजूर करा", "❌ नाकारा"]
    for card in (card_en, card_mr):
        (link,) = [e for e in card.entities if e["type"] == "text_link"]
        assert link["url"].startswith("https://maps.google.com/?q=")
    assert (await _store(two_admins))["admin_notice_due"] == 0

    # Ravi decides: Meera's card shows it too, in Marathi, and loses its buttons.
    await ravi.press("✅ Approve")
    (meera_card,) = meera.new()
    assert meera_card.message_id == card_mr.message_id
    assert meera_card.text.endswith("✅ Ravi यांनी मंजूर केला, 2 नोव्हेंबर 2026, सकाळी 10. "
                                    "स्टोअर कोड: KS-0001")
    assert meera_card.inline_keyboard == []


async def test_reject_then_approve_forgets_the_reason_question(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    await _apply(two_admins)
    (card,) = ravi.new()
    await ravi.press("❌ Reject")
    await ravi.press("✅ Approve", message_id=card.message_id)
    assert (await _store(two_admins))["status"] == "approved"
    (reply,) = await ravi.send("thanks")  # not taken as a reason any more
    assert reply.text.startswith("Sorry, I did not understand that.")


async def test_html_in_answers_is_shown_as_typed(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    asha = await two_admins.person(SHOP, "en", first_name="<Asha & Co>")
    await asha.send("/register")
    await asha.send("Sharma & Sons <Kirana>")
    (asked,) = await asha.send(BACK["en"])
    assert "Current answer: Sharma & Sons <Kirana>" in asked.text
    await asha.send(KEEP["en"])
    for step in STEPS[1:]:
        await answer(asha, step)
    assert "🏪 Shop name: Sharma & Sons <Kirana>" in asha.last().text
    await asha.press(SUBMIT["en"])
    (card,) = ravi.new()
    assert "Sharma & Sons <Kirana>" in card.text and "Applicant: <Asha & Co>" in card.text
    await ravi.press("❌ Reject")
    await ravi.send("Name <b> & address unclear")
    assert "Reason: Name <b> & address unclear" in asha.new()[-1].text


async def test_two_admins_approving_at_once_decide_once(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    meera = await two_admins.person(MEERA, "en", first_name="Meera")
    asha = await _apply(two_admins)
    (card_r,), (card_m,) = ravi.new(), meera.new()
    asha.new()
    await two_admins.feed_concurrently([
        ravi.fake.press("✅ Approve", message_id=card_r.message_id),
        meera.fake.press("✅ Approve", message_id=card_m.message_id),
    ])
    row = await _store(two_admins)
    assert row["status"] == "approved" and row["code"] == "KS-0001"
    winner, loser = (ravi, meera) if row["decided_by"] == RAVI else (meera, ravi)
    winner_name = "Ravi" if winner is ravi else "Meera"
    assert winner.callback_answers()[-1].text == "Approved."
    lost = loser.callback_answers()[-1]
    assert lost.text == f"Already decided: approved by {winner_name}."
    assert lost.show_alert
    # Both cards now show the one decision, without buttons.
    for admin in (ravi, meera):
        (card,) = admin.new()
        assert f"✅ Approved by {winner_name}," in card.text and card.inline_keyboard == []
    told = [m for m in asha.new() if "Congratulations" in (m.text or "")]
    assert len(told) == 1  # the shopkeeper is told once


async def test_approve_and_reject_at_once_decide_once(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    meera = await two_admins.person(MEERA, "en", first_name="Meera")
    asha = await _apply(two_admins)
    ravi.new(), meera.new()
    await meera.press("❌ Reject")
    meera.new()
    await two_admins.feed_concurrently([
        meera.fake.send_text("Shop is outside our delivery area."),
        ravi.fake.press("✅ Approve"),
    ])
    row = await _store(two_admins)
    assert row["status"] in ("approved", "rejected")
    told = [m.text for m in asha.new() if m.text and ("Congratulations" in m.text
                                                       or "not approved" in m.text)]
    assert len(told) == 1
    if row["status"] == "approved":
        assert meera.new()[-1].text.startswith("Already decided: approved by Ravi.")
        assert row["decided_by"] == RAVI and row["reject_reason"] is None
    else:
        assert ravi.callback_answers()[-1].text == "Already decided: rejected by Meera."
        assert row["decided_by"] == MEERA and row["code"] is None


@pytest.mark.parametrize("action", ["ok", "no"])
async def test_forged_admin_button_from_a_shopkeeper_changes_nothing(
    two_admins: Harness, action: str
) -> None:
    await two_admins.person(RAVI, "en", first_name="Ravi")
    asha = await _apply(two_admins, lang="hi")
    menu = asha.last()
    update = asha.fake.press(menu.button_texts()[0], message_id=menu.message_id)
    update["callback_query"]["data"] = f"1:apl:{action}:1"
    await two_admins.feed(update)
    refused = asha.callback_answers()[-1]
    assert refused.text == "यह बटन अब काम नहीं करता।"  # a stale button, like any forged one
    assert asha.new() == []
    row = await _store(two_admins)
    assert (row["status"], row["decided_by"], row["code"]) == ("pending", None, None)
    assert await two_admins.svc.db.fetchval(
        "SELECT COUNT(*) FROM flow_state WHERE user_id = ?", (SHOP,)) == 0


async def test_stale_and_garbled_admin_buttons(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    await _apply(two_admins)
    (card,) = ravi.new()
    for data in ("1:apl:ok:99", "1:apl:ok:x", "1:apl:zap:1", "1:apl:ok"):
        update = ravi.fake.press("✅ Approve", message_id=card.message_id)
        update["callback_query"]["data"] = data
        await two_admins.feed(update)
        assert ravi.callback_answers()[-1].text == "This button has expired."
    assert (await _store(two_admins))["status"] == "pending"


async def test_reject_asks_for_a_reason_and_cancel_keeps_it_pending(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "hi", first_name="Ravi")
    asha = await _apply(two_admins, lang="mr")
    (card,) = ravi.new()
    (prompt,) = await ravi.press("❌ अस्वीकार करें")
    assert prompt.text.startswith("Sharma Kirana (#1) को मंज़ूरी क्यों नहीं दी जा रही?")
    (sticker,) = await ravi.send_sticker()
    assert sticker.text.startswith("कृपया कारण टाइप करके मैसेज में लिखें")
    (long,) = await ravi.send("x" * 301)
    assert long.text.startswith("⚠️ कृपया कारण 300 अक्षरों से छोटा रखें")
    await ravi.send("/cancel")
    assert (await _store(two_admins))["status"] == "pending"
    assert asha.new() == []
    # The card's buttons still work afterwards.
    await ravi.press("❌ अस्वीकार करें", message_id=card.message_id)
    await ravi.send("दुकान का पता अधूरा है।")
    (told,) = asha.new()
    assert told.text.startswith("माफ करा, Sharma Kirana साठीचा तुमचा अर्ज मंजूर झाला नाही.\n"
                                "कारण: दुकान का पता अधूरा है।")


async def test_applications_lists_pending_ones_for_admins_only(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    (empty,) = await ravi.send("/applications")
    assert empty.text.startswith("No applications are waiting for a decision.")
    await _apply(two_admins, SHOP)
    await _apply(two_admins, 102)
    ravi.new()
    (menu,) = await ravi.send("/start")
    assert "📝 Store applications" in menu.button_texts()
    seen = await ravi.press("📝 Store applications")
    assert seen[0].text == "Applications waiting for a decision: 2"
    cards = [m for m in seen if m.kind == "text"][1:]
    assert [c.text.splitlines()[0] for c in cards] == [
        "📝 Partner store application #1", "📝 Partner store application #2"]
    assert len([m for m in seen if m.kind == "location"]) == 2
    await ravi.press("✅ Approve", message_id=cards[0].message_id)
    seen = await ravi.send("/applications")
    assert seen[0].text == "Applications waiting for a decision: 1"

    asha = two_admins.person_for(SHOP)
    asha.new()
    (refused,) = await asha.send("/applications")
    assert refused.text.startswith("I do not know that command.")


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_every_admin_command_answers_a_non_admin_like_an_unknown_command(
    two_admins: Harness, lang: str
) -> None:
    """Nothing tells a shopkeeper or customer which admin commands exist."""
    asha = await two_admins.person(SHOP, lang)
    (unknown,) = await asha.send("/nosuchthing")
    for command in ("/applications", "/parcel", "/parcel TRK10000001", "/broadcast",
                    "/broadcasts"):
        (answer,) = await asha.send(command)
        assert answer.text == unknown.text, command
        assert answer.button_texts() == unknown.button_texts()


async def test_a_long_list_shows_the_oldest_first(two_admins: Harness, monkeypatch) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    monkeypatch.setattr(approval, "PENDING_SHOWN", 1)
    await _apply(two_admins, SHOP)
    await _apply(two_admins, 102)
    ravi.new()
    seen = await ravi.send("/applications")
    assert seen[0].text == ("Applications waiting for a decision: 2\n"
                            "Showing the oldest 1; decide it to see the next ones.")
    assert len([m for m in seen if m.kind == "text"]) == 2


async def test_restart_in_the_middle_of_a_rejection(two_admins: Harness) -> None:
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    asha = await _apply(two_admins)
    ravi.new()
    await ravi.press("❌ Reject")
    await two_admins.restart()
    seen = await ravi.send("Photo of the shop front is missing.")
    assert seen[-1].text.startswith("❌ Application #1 rejected.")
    assert (await _store(two_admins))["reject_reason"] == "Photo of the shop front is missing."
    assert any("not approved" in (m.text or "") for m in asha.new())


async def test_notices_lost_in_a_crash_are_sent_at_start(two_admins: Harness) -> None:
    """The application was saved (its cards queued with it) but the process died before the
    outbox sent them."""
    ravi = await two_admins.person(RAVI, "en", first_name="Ravi")
    asha = await two_admins.person(SHOP, "en")
    await fill_application(asha)
    draft = await onboarding.current(two_admins.svc, SHOP)
    assert draft is not None

    async def die_after_the_commit() -> None:
        sender = get_sender(two_admins.svc)
        assert sender is not None
        await sender.close()  # nothing is sent from now on, as after a kill

    await die_after_the_commit()
    result = await onboarding.submit(two_admins.svc, SHOP, draft.revision)
    assert result.outcome is onboarding.SubmitOutcome.SUBMITTED
    assert ravi.new() == []
    await two_admins.restart()
    await two_admins.drain()
    (card,) = ravi.new()
    assert card.text.startswith("📝 Partner store application #1")
    await two_admins.restart()
    await two_admins.drain()
    assert ravi.new() == []  # once

    # The decision was saved but the shopkeeper was not told.
    await die_after_the_commit()
    decision = await approval.approve(two_admins.svc, RAVI, 1)
    assert decision.outcome is approval.Outcome.APPROVED
    assert asha.new() == []
    await two_admins.restart()
    await two_admins.drain()
    (told,) = asha.new()
    assert told.text.startswith("🎉 Congratulations! Sharma Kirana is now a partner store.")
    await two_admins.restart()
    await two_admins.drain()
    assert asha.new() == []


async def test_without_admins_the_application_waits_for_the_first_admin(tmp_path: Path) -> None:
    h = Harness(tmp_path)  # KIRANA_ADMIN_IDS not set
    await h.start()
    try:
        await _apply(h)
        assert (await _store(h))["admin_notice_due"] == 1
        await h.stop()
        h.settings = h.settings.model_copy(update={"admin_ids": frozenset({RAVI})})
        h.api.user(RAVI, first_name="Ravi", language_code="en")
        await h.start()
        await h.drain()
        (card,) = h.api.messages(RAVI)
        assert card.text.startswith("📝 Partner store application #1")
        assert (await _store(h))["admin_notice_due"] == 0
    finally:
        await h.stop()
