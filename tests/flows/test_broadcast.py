"""Admin broadcasts: compose, audiences, preview, send, progress, stop, restart, faults."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.jobs import broadcast_sender
from bot.jobs.broadcast_sender import get_sender
from bot.playground.botapi import utf16_len
from tests.factories import approved_store, block_user, ensure_user, linked_customer
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness, Person

HEADER = {
    "en": "📢 Notice from the Kirana Partner team",
    "hi": "📢 किराना पार्टनर टीम की सूचना",
    "mr": "📢 किराणा पार्टनर टीमची सूचना",
}


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=1000,
                      rate_per_chat_seconds=0)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def store_owner(h: Harness, user_id: int, lang: str = "en", **kwargs: object) -> Person:
    """An approved store's owner who has talked to the bot (so their chat exists)."""
    await approved_store(h.svc, user_id, language=lang, **kwargs)
    return h.stranger(user_id, tg_language=lang, first_name="Ramesh")


async def customer(h: Harness, user_id: int, lang: str = "en") -> Person:
    await linked_customer(h.svc, user_id, f"+9198220{user_id:05d}", language=lang)
    return h.stranger(user_id, tg_language=lang, first_name="Priya")


async def admin(h: Harness, lang: str = "en") -> Person:
    return await h.person(ADMIN_ID, lang, first_name="Ravi")


async def compose(
    h: Harness,
    boss: Person,
    text: str,
    *,
    versions: dict[str, str] | None = None,
    audience: str = "🏪 All approved stores",
    answer: str | None = None,
) -> list:
    """/broadcast, the text, versions, the audience; returns what the admin saw last."""
    await boss.send("/broadcast")
    await boss.send(text)
    for lang_button, version in (versions or {}).items():
        await boss.press(lang_button)
        await boss.send(version)
    await boss.press("👥 Choose who gets it ➜")
    seen = await boss.press(audience)
    if answer is not None:
        seen = await boss.send(answer)
    return seen


async def finish(h: Harness, broadcast_id: int = 1) -> None:
    """Until the sender has written the final report of the broadcast."""
    sender = get_sender(h.svc)
    assert sender is not None
    await sender.wait_done(broadcast_id, timeout=20)
    await h.drain()  # the report, queued in the outbox with the final counts


def delivered_once(h: Harness, chat_ids) -> None:  # noqa: ANN001
    """Each of these chats got exactly one message (other chats, e.g. the admin's, ignored)."""
    report = h.api.delivery_report(chat_ids)
    assert (report.missing, report.duplicates) == ([], {}), report


def notice(lang: str, body: str) -> str:
    return f"{HEADER[lang]}\n\n{body}"


# --------------------------------------------------------------------------- composing


async def test_three_languages_each_recipient_gets_their_own(h: Harness) -> None:
    readers = {lang: await store_owner(h, uid, lang)
               for uid, lang in ((201, "en"), (202, "hi"), (203, "mr"))}
    boss = await admin(h)
    seen = await compose(
        h, boss, "Shops close at 8 pm on Friday.",
        versions={"➕ Add a हिंदी version": "शुक्रवार को दुकानें रात 8 बजे बंद होंगी।",
                  "➕ Add a मराठी version": "शुक्रवारी दुकाने रात्री 8 वाजता बंद होतील."},
    )
    previews, summary = seen[:-1], seen[-1]
    assert [p.text.split("\n\n", 1)[1] for p in previews] == [
        notice("en", "Shops close at 8 pm on Friday."),
        notice("hi", "शुक्रवार को दुकानें रात 8 बजे बंद होंगी।"),
        notice("mr", "शुक्रवारी दुकाने रात्री 8 वाजता बंद होतील."),
    ]
    assert previews[1].text.startswith("👁 Preview: what 1 हिंदी reader will get")
    assert "Recipients: 3 (English 1 · हिंदी 1 · मराठी 1)" in summary.text
    assert "Audience: All approved stores" in summary.text
    assert summary.button_texts() == ["✅ Send to 3 people", "👥 Change the audience", "✖ Cancel"]

    (progress,) = await boss.press("✅ Send to 3 people")
    assert progress.text.startswith("📢 Broadcast #1: sending…")
    assert progress.button_texts() == ["⏹ Stop sending"]
    await finish(h)

    assert readers["en"].texts() == [notice("en", "Shops close at 8 pm on Friday.")]
    assert readers["hi"].texts() == [notice("hi", "शुक्रवार को दुकानें रात 8 बजे बंद होंगी।")]
    assert readers["mr"].texts() == [notice("mr", "शुक्रवारी दुकाने रात्री 8 वाजता बंद होतील.")]
    delivered_once(h, [201, 202, 203])
    report = boss.last()
    assert report.text.startswith("✅ Broadcast #1 is finished.")
    assert "Sent: 3 · Failed: 0 · Blocked the bot: 0" in report.text
    # The progress message became the report too, without its stop button.
    edited = h.api.message(ADMIN_ID, progress.message_id)
    assert edited.text == report.text and edited.button_texts() == []


async def test_missing_version_falls_back_to_the_first_text(h: Harness) -> None:
    hindi, marathi = await store_owner(h, 202, "hi"), await store_owner(h, 203, "mr")
    boss = await admin(h)
    await compose(h, boss, "Base text.", versions={"➕ Add a हिंदी version": "हिंदी पाठ।"})
    await boss.press("✅ Send to 2 people")
    await finish(h)
    assert hindi.texts() == [notice("hi", "हिंदी पाठ।")]
    assert marathi.texts() == [notice("mr", "Base text.")]  # Marathi header, the base text


async def test_formatting_is_kept_and_user_text_is_escaped(h: Harness) -> None:
    reader = await store_owner(h, 201)
    boss = await admin(h)
    update = boss.fake.send_text("Bring <ID> & the slip: bold")
    update["message"]["entities"] = [{"type": "bold", "offset": 23, "length": 4}]
    h.api.drop_pending_updates()
    await boss.send("/broadcast")
    boss.new()
    await h.feed(update)
    await boss.press("👥 Choose who gets it ➜")
    await boss.press("🏪 All approved stores")
    await boss.press("✅ Send to 1 person")
    await finish(h)
    (received,) = h.api.messages(201)
    assert received.text == notice("en", "Bring <ID> & the slip: bold")
    offset = utf16_len(HEADER["en"]) + 2 + 23
    assert {"type": "bold", "offset": offset, "length": 4} in received.entities
    assert reader.texts()


@pytest.mark.parametrize(
    ("lang", "ask", "choose"),
    [
        ("en", "📢 New notice", "Who should get this notice?"),
        ("hi", "📢 नई सूचना", "यह सूचना किसे मिले?"),
        ("mr", "📢 नवी सूचना", "ही सूचना कोणाला मिळावी?"),
    ],
)
async def test_admin_composes_in_their_own_language(
    h: Harness, lang: str, ask: str, choose: str
) -> None:
    await store_owner(h, 201)
    boss = await admin(h, lang)
    (prompt,) = await boss.send("/broadcast")
    assert prompt.text.startswith(ask)
    (saved,) = await boss.send("Hello")
    assert len(saved.buttons()) == 4
    (audience,) = await boss.press(saved.callback_data()[-1])
    assert audience.text == choose
    assert len(audience.buttons()) == 5


async def test_the_draft_survives_a_restart(h: Harness) -> None:
    reader = await store_owner(h, 202, "hi")
    boss = await admin(h)
    await boss.send("/broadcast")
    await boss.send("Base")
    await boss.press("➕ Add a हिंदी version")
    await h.restart()
    (saved,) = await boss.send("हिंदी")  # the answer the flow was waiting for
    assert saved.text.startswith("Text saved ✓")
    assert "Language versions: English — · हिंदी ✓ · मराठी —" in saved.text
    await boss.press("👥 Choose who gets it ➜")
    await boss.press("🏪 All approved stores")
    await boss.press("✅ Send to 1 person")
    await finish(h)
    assert reader.texts() == [notice("hi", "हिंदी")]


async def test_too_long_and_non_text_notices_are_asked_again(h: Harness) -> None:
    boss = await admin(h)
    await boss.send("/broadcast")
    hint, again = await boss.send("x" * 3501)
    assert "too long: 3,501 characters" in hint.text and "3,500" in hint.text
    assert again.text.startswith("📢 New notice")
    hint, again = await boss.send_sticker()
    assert hint.text == "Please send the notice as a text message."


# --------------------------------------------------------------------------- audiences


async def audience_summary(h: Harness, boss: Person, button: str, answer: str | None = None) -> str:
    seen = await compose(h, boss, "Hello", audience=button, answer=answer)
    return seen[-1].text


async def test_audiences_count_exactly_and_skip_blocked(h: Harness) -> None:
    await store_owner(h, 201, "en", address="12 MG Road, Kothrud, Pune", pin_code="411038")
    await store_owner(h, 202, "hi", address="Shop 4, FC Road, PUNE-411004", pin_code="411004")
    await store_owner(h, 203, "mr", address="Punekar Chowk, Mumbai", pin_code="400001")
    await store_owner(h, 204, "mr", address="स्टेशन रोड, पुणे", pin_code="411001")
    await store_owner(h, 205, "hi", address="Sadar, Nagpur", pin_code="440001", status="pending")
    await store_owner(h, 206, "en", address="Camp, Pune", pin_code="411001")
    await block_user(h.svc, 206)
    await approved_store(h.svc, 201, shop_name="Second shop of 201")  # one owner, one message
    for uid, lang in ((301, "en"), (302, "hi")):
        await customer(h, uid, lang)
    await block_user(h.svc, 302)
    boss = await admin(h)

    text = await audience_summary(h, boss, "🏪 All approved stores")
    assert "Recipients: 4 (English 1 · हिंदी 1 · मराठी 2)" in text
    assert "1 more person blocked the bot and will be skipped." in text

    await boss.send("/cancel")
    text = await audience_summary(h, boss, "🏙 Stores in a city", "pune")
    assert "Audience: Stores in pune" in text
    assert "Recipients: 2 (English 1 · हिंदी 1 · मराठी 0)" in text  # not "Punekar Chowk"

    await boss.send("/cancel")
    text = await audience_summary(h, boss, "🏙 Stores in a city", "Pune / पुणे")
    assert "Recipients: 3 (English 1 · हिंदी 1 · मराठी 1)" in text

    await boss.send("/cancel")
    text = await audience_summary(h, boss, "📮 Stores by PIN code", "४११")
    assert "Audience: Stores with a PIN code starting 411" in text
    assert "Recipients: 3 (English 1 · हिंदी 1 · मराठी 1)" in text

    await boss.send("/cancel")
    await compose(h, boss, "Hello", audience="🗣 Stores by language")
    (summary,) = [m for m in await boss.press("मराठी") if "Ready to send" in m.text]
    assert "Audience: Stores whose owner reads मराठी" in summary.text
    assert "Recipients: 2 (English 0 · हिंदी 0 · मराठी 2)" in summary.text

    await boss.send("/cancel")
    text = await audience_summary(h, boss, "🙋 All linked customers")
    assert "Recipients: 1 (English 1 · हिंदी 0 · मराठी 0)" in text
    assert "1 more person blocked the bot" in text


async def test_bad_city_and_pin_are_asked_again(h: Harness) -> None:
    boss = await admin(h)
    await compose(h, boss, "Hello", audience="📮 Stores by PIN code")
    hint, again = await boss.send("041")
    assert hint.text == "A PIN code does not start with 0, e.g. 440."
    assert again.text.startswith("Type a PIN code or its first digits")
    hint, _ = await boss.send("4110381")
    assert hint.text == "A PIN code has 6 digits: type at most 6, e.g. 411038."
    hint, _ = await boss.send("Pune")
    assert hint.text == "Please type digits only, e.g. 4110."
    await boss.send("/cancel")
    await compose(h, boss, "Hello", audience="🏙 Stores in a city")
    hint, again = await boss.send("12")
    assert hint.text == "A city name needs letters, e.g. Nashik."
    assert again.text.startswith("Type the city as it is written")


async def test_nobody_to_send_to_offers_the_audiences_again(h: Harness) -> None:
    boss = await admin(h)
    seen = await compose(h, boss, "Hello", audience="🙋 All linked customers")
    assert seen[0].text == "Nobody in All linked customers can get the notice."
    assert seen[1].text == "Who should get this notice?"


# --------------------------------------------------------------------------- cancel, stop


async def test_cancel_at_preview_sends_nothing(h: Harness) -> None:
    await store_owner(h, 201)
    boss = await admin(h)
    seen = await compose(h, boss, "Hello")
    send_data = seen[-1].callback_data()[0]
    seen = await boss.press("✖ Cancel")
    assert seen[-1].text.startswith("Cancelled. Nothing was sent.")
    assert h.api.messages(201) == []
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
    # The old preview's send button is dead now.
    update = boss.fake.press(boss.last().button_texts()[0])
    update["callback_query"]["data"] = send_data
    await h.feed(update)
    assert boss.callback_answers()[-1].text == "This button has expired."
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_slash_cancel_leaves_the_compose_flow(h: Harness) -> None:
    boss = await admin(h)
    await boss.send("/broadcast")
    (reply,) = await boss.send("/cancel")
    assert reply.text.startswith("Cancelled. Nothing was saved.")
    (menu,) = await boss.send("just chatting")
    assert menu.text.startswith("Sorry, I did not understand that.")


async def test_double_tap_on_send_creates_one_broadcast(h: Harness) -> None:
    await store_owner(h, 201)
    boss = await admin(h)
    await compose(h, boss, "Hello")
    first = boss.fake.press("✅ Send to 1 person")
    second = boss.fake.press("✅ Send to 1 person")
    await h.feed_concurrently([first, second])
    await finish(h)
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1
    delivered_once(h, [201])


async def test_stop_midway_cancels_the_rest(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=10,
                rate_per_chat_seconds=0)
    await h.start()
    try:
        for uid in range(201, 241):
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "Hello")
        await boss.press("✅ Send to 40 people")
        await h.api.wait_for(lambda: sum(h.api.delivered[u] for u in range(201, 241)) >= 2)
        await boss.press("⏹ Stop sending")
        assert boss.callback_answers()[-1].text.startswith("Stopping.")
        await finish(h)
        report = boss.last()
        assert report.text.startswith("⏹ Broadcast #1 was stopped.")
        sent = int(re.search(r"Sent: (\d+)", report.text).group(1))
        not_sent = int(re.search(r"Not sent \(stopped\): (\d+)", report.text).group(1))
        assert sent + not_sent == 40 and 2 <= sent < 40
        delivered = [u for u in range(201, 241) if h.api.delivered[u]]
        assert len(delivered) == sent
        delivered_once(h, delivered)
        states = dict(await h.svc.db.fetchall(
            "SELECT state, COUNT(*) FROM broadcast_recipients GROUP BY state"))
        assert states == {"sent": sent, "cancelled": not_sent}
    finally:
        await h.stop()


# --------------------------------------------------------------------------- permissions


async def test_non_admin_cannot_start_or_stop_with_forged_buttons(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=10,
                rate_per_chat_seconds=0)
    await h.start()
    try:
        for uid in range(201, 211):
            await store_owner(h, uid)
        shopkeeper = h.person_for(201)
        (reply,) = await shopkeeper.send("/broadcast")
        assert reply.text.startswith("I do not know that command.")
        stranger = await h.person(501, "en")  # not an admin either; has a menu to press
        boss = await admin(h)
        await compose(h, boss, "Hello")
        draft = re.search(r":send:(\w+)", ",".join(boss.last().callback_data())).group(1)

        def forge(data: str) -> dict:
            update = stranger.fake.press(stranger.last().button_texts()[0])
            update["callback_query"]["data"] = data
            return update

        h.api.drop_pending_updates()
        await h.feed(forge(f"1:bc:send:{draft}"))
        assert stranger.callback_answers()[-1].text == "This button has expired."
        assert await h.svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0

        await boss.press("✅ Send to 10 people")
        await h.feed(forge("1:bc:stop:1"))
        assert stranger.callback_answers()[-1].text == "This button has expired."
        await finish(h)
        assert boss.last().text.startswith("✅ Broadcast #1 is finished.")
        delivered_once(h, range(202, 211))
        assert h.api.delivered[201] == 1 + 1  # the notice + the reply to /broadcast
        assert h.api.delivered[501] == 2  # only the replies to their own /start
    finally:
        await h.stop()


# --------------------------------------------------------------------------- restart, faults


async def test_restart_in_the_middle_resumes_and_delivers_exactly_once(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=20,
                rate_per_chat_seconds=0)
    await h.start()
    try:
        recipients = list(range(201, 241))
        for uid in recipients:
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "Hello")
        await boss.press("✅ Send to 40 people")
        await h.api.wait_for(lambda: sum(h.api.delivered[u] for u in recipients) >= 8)
        await h.restart()
        delivered_before = sum(h.api.delivered[u] for u in recipients)
        assert delivered_before < 40, "the restart came too late to test resuming"
        await finish(h)
        delivered_once(h, recipients)
        assert boss.last().text.startswith("✅ Broadcast #1 is finished.")
        assert "Sent: 40 · Failed: 0 · Blocked the bot: 0" in boss.last().text
    finally:
        await h.stop()


async def test_random_429_and_403_nothing_lost_nothing_twice(h: Harness) -> None:
    recipients = list(range(1001, 1201))
    for uid in recipients:
        await customer(h, uid)
    boss = await admin(h)
    await compose(h, boss, "Hello", audience="🙋 All linked customers")
    h.api.set_fault_rates(p429=0.05, p403=0.02, seed=7)
    await boss.press("✅ Send to 200 people")
    await finish(h)
    h.api.clear_faults()
    refused = {f.chat_id for f in h.api.injected_faults if f.error_code == 403}
    assert refused and any(f.error_code == 429 for f in h.api.injected_faults)
    got = [u for u in recipients if h.api.delivered[u]]
    assert sorted(got + sorted(refused)) == recipients  # each one: delivered or blocked
    delivered_once(h, got)
    report = boss.last().text
    assert f"Sent: {len(got)} · Failed: 0 · Blocked the bot: {len(refused)}" in report
    blocked = {r[0] for r in await h.svc.db.fetchall("SELECT user_id FROM users WHERE blocked")}
    assert blocked == refused

    # The next broadcast skips them from the start, and says so.
    seen = await compose(h, boss, "Again", audience="🙋 All linked customers")
    assert f"{len(refused)} more people blocked the bot and will be skipped." in seen[-1].text


async def test_server_errors_are_retried_then_recorded(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcast_sender, "NETWORK_BACKOFF", (0.01, 0.02, 0.03))
    await store_owner(h, 201)
    await store_owner(h, 202)
    boss = await admin(h)
    await compose(h, boss, "Hello")
    h.api.fail_next("sendMessage", 500, count=2, chat_id=201)  # then it works
    h.api.fail_next("sendMessage", 502, count=10, chat_id=202)  # never works
    await boss.press("✅ Send to 2 people")
    await finish(h)
    assert h.api.delivered[201] == 1 and h.api.delivered[202] == 0
    assert "Sent: 1 · Failed: 1 · Blocked the bot: 0" in boss.last().text
    row = await h.svc.db.fetchone(
        "SELECT state, error FROM broadcast_recipients WHERE user_id = 202")
    assert row["state"] == "failed" and "Bad Gateway" in row["error"]


async def test_an_outage_pauses_the_broadcast_instead_of_failing_everyone(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcast_sender, "NETWORK_BACKOFF", (0.01, 0.01, 0.01))
    monkeypatch.setattr(broadcast_sender, "OUTAGE_MAX_PAUSE", 0.02)
    for uid in range(201, 206):
        await store_owner(h, uid)
    boss = await admin(h)
    await compose(h, boss, "Hello")
    h.api.fail_next("sendMessage", 500, count=40)  # 8 failures for each of the 5, in a row
    await boss.press("✅ Send to 5 people")
    await finish(h)
    delivered_once(h, range(201, 206))
    assert "Sent: 5 · Failed: 0 · Blocked the bot: 0" in boss.last().text


async def test_recent_broadcasts_list_their_counts(h: Harness) -> None:
    await store_owner(h, 201)
    await store_owner(h, 202)
    await block_user(h.svc, 202)
    boss = await admin(h)
    (empty,) = await boss.send("/broadcasts")
    assert empty.text.startswith("No notices have been sent yet.")
    await compose(h, boss, "Hello")
    await boss.press("✅ Send to 1 person")
    await finish(h)
    (listing,) = await boss.send("/broadcasts")
    assert listing.text.startswith("Recent notices")
    assert "#1 · 2 November 2026, 10:00 am · All approved stores" in listing.text
    assert "finished, 2 recipients" in listing.text
    assert "Sent: 1 · Failed: 0 · Blocked the bot: 1" in listing.text


async def test_admin_menu_and_commands_offer_broadcasts(h: Harness) -> None:
    await ensure_user(h.svc, 201)
    boss = await admin(h)
    (menu,) = await boss.send("/start")
    assert {"📢 Send a notice", "📋 Recent notices"} <= set(menu.button_texts())
    (prompt,) = await boss.press("📢 Send a notice")
    assert prompt.text.startswith("📢 New notice")
    (help_text,) = await boss.send("/help")
    assert "/broadcast — Send a notice to stores or customers" in help_text.text
    assert "/broadcasts — Recent notices and their delivery" in help_text.text


async def test_a_second_broadcast_waits_for_the_first(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=20,
                rate_per_chat_seconds=0.2)
    await h.start()
    try:
        for uid in range(201, 211):
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "First")
        await boss.press("✅ Send to 10 people")
        await compose(h, boss, "Second")
        (progress,) = await boss.press("✅ Send to 10 people")
        assert progress.text.startswith(
            "📢 Broadcast #2: waiting until broadcast #1 is sent…")
        await finish(h, 2)
        for uid in range(201, 211):  # both, in order, each once
            assert [t.split("\n\n")[1] for t in h.person_for(uid).texts()] == ["First", "Second"]
        edited = h.api.message(ADMIN_ID, progress.message_id)
        assert edited.text.startswith("✅ Broadcast #2 is finished.")
    finally:
        await h.stop()
