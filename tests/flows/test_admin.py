"""Admins run the network: /stats with its chart, /track, /stores with suspend and reinstate,
/payouts — in three languages, and nothing for anyone else, even with forged buttons."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.clock import ManualClock, to_db
from bot.outbox.sender import get_sender
from tests.admin_seed import NOW, ist, parcel, seed_network
from tests.factories import approved_store, linked_customer
from tests.flows.harness import Harness, Person

ADMIN = 900
SHOP = 501


@pytest.fixture
async def h(tmp_path):
    harness = Harness(tmp_path, admin_ids={ADMIN}, clock=ManualClock(NOW))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def drain(h: Harness) -> None:
    sender = get_sender(h.svc)
    assert sender is not None
    await sender.drain()


def forge(person: Person, data: str) -> dict:
    """A press of ``data`` that no message of the bot offered."""
    update = person.fake.press(person.last().callback_data()[0])
    update["callback_query"]["data"] = data
    return update


# ------------------------------------------------------------------------------- /stats

STATS_LINES = {
    "en": ["🏪 Stores: active 3 · suspended 1 · waiting for a decision 2 · rejected 1",
           "🤝 Handed over: today 2 · this week 5 · this month 10",
           "⏱ Wait from arrival to handover (last 30 days, 11 parcels): average 2.4 days · "
           "90% within 4.0 days",
           "🗄 Shelves: 1 store full · 1 store nearly full (80%+)",
           "   KS-0001 Full Kirana: places in use 10/10",
           "📨 Messages to others: waiting to be sent: 2 · not delivered in the last 7 days: 1"],
    "hi": ["🏪 स्टोर: चालू 3 · बंद 1 · फ़ैसले के इंतज़ार में 2 · अस्वीकार 1",
           "🤝 सौंपे गए: आज 2 · इस हफ़्ते 5 · इस महीने 10",
           "⏱ पहुँचने से सौंपने तक इंतज़ार (पिछले 30 दिन, 11 पार्सल): औसत 2.4 दिन · 90% पार्सल "
           "4.0 दिन के अंदर",
           "🗄 शेल्फ़: 1 स्टोर भरा हुआ · 1 स्टोर लगभग भरा (80%+)",
           "   KS-0002 Near Kirana: भरी जगह 4/5"],
    "mr": ["🏪 स्टोअर: सुरू 3 · बंद 1 · निर्णयाच्या प्रतीक्षेत 2 · नाकारला 1",
           "🤝 ग्राहकांना दिले: आज 2 · या आठवड्यात 5 · या महिन्यात 10",
           "⏱ पोहोचल्यापासून ग्राहकाला देईपर्यंत वाट (मागील 30 दिवस, 11 पार्सल): सरासरी 2.4 दिवस · "
           "90% पार्सल 4.0 दिवसांच्या आत",
           "🗄 शेल्फ: 1 स्टोअर भरलेले · 1 स्टोअर जवळजवळ भरलेले (80%+)",
           "   KS-0002 Near Kirana: भरलेली जागा 4/5"],
}
CAPTIONS = {"en": "📈 The last 30 days", "hi": "📈 पिछले 30 दिन", "mr": "📈 मागील 30 दिवस"}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_stats_with_a_chart_in_the_admins_language(h: Harness, lang: str) -> None:
    await seed_network(h.svc)
    boss = await h.person(ADMIN, lang)
    text, photo = await boss.send("/stats")
    for line in STATS_LINES[lang]:
        assert line in text.text.split("\n"), (line, text.text)
    assert photo.kind == "photo" and photo.caption.startswith(CAPTIONS[lang])
    png = h.api.file_content(photo.raw["photo"][-1]["file_id"])
    assert Image.open(io.BytesIO(png)).format == "PNG"


async def test_stats_and_track_are_for_admins_only(h: Harness) -> None:
    await seed_network(h.svc)
    shopkeeper = h.stranger(SHOP)
    for command in ("/stats", "/track SEED00000001", "/stores", "/payouts 2026-10"):
        (reply,) = await shopkeeper.send(command)
        assert reply.text.startswith("I do not know that command."), command
        assert reply.kind == "text"


# ------------------------------------------------------------------------------- /track

async def test_track_names_who_did_what_and_when(h: Harness) -> None:
    store_id, code = await approved_store(h.svc, SHOP)
    await linked_customer(h.svc, 777, "+919876500000")
    pid = await parcel(h.svc, store_id, "picked_up", arrived=ist(2026, 11, 26, 9, 5),
                       picked=ist(2026, 11, 27, 18, 30), phone="+919876500000",
                       tracking="DL12345678IN")
    events = [(ist(2026, 11, 25, 8), "expected", ADMIN), (ist(2026, 11, 26, 9, 5), "arrived", SHOP),
              (ist(2026, 11, 26, 9, 6), "notified", None), (ist(2026, 11, 27, 18, 30),
                                                           "picked_up", SHOP),
              (ist(2026, 11, 27, 19), "handover_disputed", 777), (ist(2026, 11, 27, 20), "x", 4242)]
    for at, event, actor in events:
        await h.svc.db.execute(
            "INSERT INTO parcel_events (parcel_id, at, event, actor_id) VALUES (?, ?, ?, ?)",
            (pid, to_db(at), event, actor))
    boss = await h.person(ADMIN, "en")
    (reply,) = await boss.send("/track dl12345678in")
    lines = reply.text.split("\n")
    assert lines[0] == "🧭 DL12345678IN — handed over"
    assert "6 events, oldest first:" in lines
    assert lines[-6:] == [
        "Wednesday, 25 November, 8:00 am — expected (manifest) — admin",
        f"Thursday, 26 November, 9:05 am — arrived at the store — store {code}",
        "Thursday, 26 November, 9:06 am — customer told — system",
        f"Friday, 27 November, 6:30 pm — handed over to the customer — store {code}",
        "Friday, 27 November, 7:00 pm — customer said it was not them — customer",
        "Friday, 27 November, 8:00 pm — x — user 4242",
    ]
    hindi = await h.person(901, "hi")
    h.settings = h.settings.model_copy(update={"admin_ids": frozenset({ADMIN, 901})})
    await h.restart()
    (reply,) = await hindi.send("/track DL12345678IN")
    assert "शुक्रवार, 27 नवंबर, शाम 6:30 — ग्राहक को सौंप दिया गया — स्टोर KS-0001" in reply.text


async def test_track_asks_again_after_a_bad_id(h: Harness) -> None:
    boss = await h.person(ADMIN, "mr")
    (reply,) = await boss.send("/track 12")
    assert "ट्रॅकिंग आयडी" in reply.text
    (reply,) = await boss.send("NOSUCH123")
    assert reply.text == ("या ट्रॅकिंग आयडीचे कोणतेही पार्सल नाही. दुसरा आयडी वापरून पाहा किंवा "
                          "/cancel पाठवा.")
    (reply,) = await boss.send("/cancel")
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM flow_state WHERE user_id = ?",
                                   (ADMIN,)) == 0


# ------------------------------------------------------------------------------ /stores

SUSPEND = {"en": "⛔ Suspend", "hi": "⛔ बंद करें", "mr": "⛔ बंद करा"}
REINSTATE = {"en": "✅ Reinstate", "hi": "✅ फिर से चालू करें", "mr": "✅ पुन्हा सुरू करा"}
TOLD_SUSPENDED = {"en": "has been suspended.\nReason: Parcels lost twice",
                  "hi": "बंद कर दिया गया है।\nवजह: Parcels lost twice",
                  "mr": "बंद केले आहे.\nकारण: Parcels lost twice"}
TOLD_ACTIVE = {"en": "is active again", "hi": "फिर से चालू है", "mr": "पुन्हा सुरू झाले आहे"}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_suspend_and_reinstate_in_each_language(h: Harness, lang: str) -> None:
    store_id, code = await approved_store(h.svc, SHOP, language=lang)
    waiting = await parcel(h.svc, store_id, "arrived", arrived=ist(2026, 11, 27),
                           tracking="WAIT00000001")
    assert waiting
    shop = h.stranger(SHOP, tg_language=lang)
    boss = await h.person(ADMIN, lang)
    (listing,) = await boss.send("/stores approved")
    assert f"{code} Sharma Kirana" in listing.button_texts()
    (card,) = await boss.press(f"{code} Sharma Kirana")
    assert "WAIT00000001" in card.text
    (ask,) = await boss.press(SUSPEND[lang])
    (retry,) = await boss.send("no")                          # too short: asked again
    assert "3" in retry.text and "200" in retry.text
    done, card = await boss.send("Parcels lost twice")
    assert code in done.text and "WAIT00000001" in card.text
    assert await h.svc.db.fetchval("SELECT status FROM stores WHERE id = ?", (store_id,)) == \
        "suspended"
    await drain(h)
    (told,) = shop.new()
    assert TOLD_SUSPENDED[lang] in told.text
    # The shopkeeper cannot receive or hand over, and is told why, in their language.
    for command in ("/receive", "/pickup"):
        (reply,) = await shop.send(command)
        assert "Parcels lost twice" in reply.text and code in reply.text
    (ask,) = await boss.press(REINSTATE[lang])
    done, card = await boss.send("All settled, thank you")
    assert await h.svc.db.fetchval("SELECT status FROM stores WHERE id = ?", (store_id,)) == \
        "approved"
    await drain(h)
    (told,) = shop.new()
    assert TOLD_ACTIVE[lang] in told.text and "All settled, thank you" in told.text
    reply = (await shop.send("/receive"))[-1]
    assert "Parcels lost twice" not in reply.text
    changes = await h.svc.db.fetchall(
        "SELECT action, reason, by_user FROM store_status_changes ORDER BY id")
    assert [tuple(c) for c in changes] == [("suspended", "Parcels lost twice", ADMIN),
                                           ("reinstated", "All settled, thank you", ADMIN)]


async def test_two_presses_suspend_once(h: Harness) -> None:
    store_id, code = await approved_store(h.svc, SHOP)
    boss = await h.person(ADMIN, "en")
    await boss.send("/stores")
    await boss.press(f"{code} Sharma Kirana")
    await boss.press("⛔ Suspend")
    await boss.send("First reason")
    # The first card's button, pressed again, and a second reason: nothing more happens.
    first_card = [m for m in h.api.messages(ADMIN) if "⛔ Suspend" in m.button_texts()][0]
    await boss.press("⛔ Suspend", message_id=first_card.message_id)
    assert boss.callback_answers()[-1].text == "This button has expired."
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM store_status_changes") == 1
    await drain(h)
    assert await h.svc.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'store.status'") == 1


async def test_filters_and_paging(h: Harness) -> None:
    for n in range(23):
        await approved_store(h.svc, 1000 + n, shop_name=f"Shop {n:02d}",
                             pin_code="411038" if n % 2 else "400050",
                             address="1 Main Road, Pune" if n % 2 else "2 Hill Road, Mumbai")
    boss = await h.person(ADMIN, "en")
    (page,) = await boss.send("/stores city pune pin 411")
    assert page.text.startswith("🏪 Stores (city pune, PIN 411…): 11 stores")
    assert "Page 1 of 2" in page.text and len(page.button_texts()) == 11  # 10 + Next
    (page2,) = await boss.press("Next ▶️")
    assert "Page 2 of 2" in page2.text and "Shop 21" in page2.text
    (bad,) = await boss.send("/stores city")
    assert bad.text.startswith("I do not know “city”.")
    (bad,) = await boss.send("/stores pin 41a")
    assert bad.text.startswith("“41a” is not the start of a PIN code")
    # A page button of an older list is stale once a new list was asked for.
    await boss.send("/stores suspended")
    await boss.press("◀️ Previous", message_id=page2.message_id)
    assert boss.callback_answers()[-1].text == "This button has expired."


@pytest.mark.parametrize("data", ["1:stores:pg:1:-1", "1:stores:pg:1:01", "1:stores:pg:1:9",
                                  "1:stores:pg:1", "1:stores:open:1:0:x", "1:stores:open:1:0:99",
                                  "1:stores:sus:99", "1:stores:sus:1:2", "1:stores:zap:1",
                                  "1:stores:pg:1:1" + "0" * 12, "1:stores:rei:1"])
async def test_bad_button_data_is_a_stale_button(h: Harness, data: str) -> None:
    await approved_store(h.svc, SHOP)
    boss = await h.person(ADMIN, "en")
    await boss.send("/stores")
    await h.feed(forge(boss, data))
    assert boss.callback_answers()[-1].text == "This button has expired."
    assert await h.svc.db.fetchval("SELECT status FROM stores") == "approved"


async def test_forged_suspend_from_a_shopkeeper_does_nothing(h: Harness) -> None:
    store_id, _ = await approved_store(h.svc, SHOP)
    shop = h.stranger(SHOP)
    await shop.send("/start")
    for data in (f"1:stores:sus:{store_id}", "1:stores:pg:1:0", f"1:stores:open:1:0:{store_id}"):
        await h.feed(forge(shop, data))
        assert shop.callback_answers()[-1].text == "This button has expired."
    assert await h.svc.db.fetchval("SELECT status FROM stores") == "approved"
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM flow_state WHERE user_id = ?",
                                   (SHOP,)) == 0


# ------------------------------------------------------------------------------ /payouts

STATEMENT = {
    "en": "💸 Your statement for November 2026 (KS-0001): ₹22.50 for 2 parcels handed over will "
          "be paid to ramesh@okaxis.",
    "hi": "💸 नवंबर 2026 का आपका हिसाब (KS-0001): 2 सौंपे गए पार्सल के ₹22.50 आपकी UPI आईडी "
          "ramesh@okaxis पर भेजे जाएँगे।",
    "mr": "💸 नोव्हेंबर 2026 चा तुमचा हिशोब (KS-0001): ग्राहकांना दिलेल्या 2 पार्सलचे ₹22.50 तुमच्या "
          "UPI आयडी ramesh@okaxis वर पाठवले जातील.",
}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_payouts_csv_statements_once_and_paid_once(h: Harness, lang: str) -> None:
    store_id, _ = await approved_store(h.svc, SHOP, language=lang)
    other, _ = await approved_store(h.svc, 502, shop_name="No UPI Shop", language="en")
    await h.svc.db.execute("UPDATE stores SET upi_id = NULL WHERE id = ?", (other,))
    for at, fee in [(ist(2026, 11, 3), 1000), (ist(2026, 11, 30, 23, 59), 1250)]:
        await parcel(h.svc, store_id, "picked_up", arrived=at, picked=at, fee=fee)
    await parcel(h.svc, other, "picked_up", arrived=ist(2026, 11, 9), picked=ist(2026, 11, 9),
                 fee=1000)
    h.clock.set(datetime(2026, 12, 1, 5, tzinfo=UTC))
    shop = h.stranger(SHOP, tg_language=lang)
    boss = await h.person(ADMIN, lang)
    summary, payable, apart = await boss.send("/payouts 2026-11")
    assert "₹32.50" in summary.text and "No UPI Shop" in summary.text
    assert payable.document["file_name"] == "payouts-2026-11.csv"
    rows = list(csv.reader(io.StringIO(
        h.api.file_content(payable.document["file_id"]).decode("utf-8-sig"))))
    assert rows[1][0] == "KS-0001" and rows[1][5:] == ["2", "22.50"]
    assert apart.document["file_name"] == "payouts-2026-11-no-upi.csv"
    await boss.send("/payouts 2026-11")                        # again: no second statement
    (first,) = await boss.send("/payouts 2026-11 paid")
    (second,) = await boss.send("/payouts 2026-11 paid")
    assert first.text.startswith("✅") and "₹32.50" in first.text
    assert not second.text.startswith("✅")
    await drain(h)
    assert [m.text for m in shop.new()] == [STATEMENT[lang]]
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM payout_months") == 1


async def test_payouts_bad_month(h: Harness) -> None:
    boss = await h.person(ADMIN, "en")
    (reply,) = await boss.send("/payouts November")
    assert "/payouts 2026-10" in reply.text
    (reply,) = await boss.send("/payouts 2027-02")
    assert reply.text.startswith("That month has not begun yet.")
    (reply,) = await boss.send("/payouts 2026-11 paid")
    assert reply.text.startswith("A month can be marked paid only once it is over.")


async def test_a_parcel_screen_opened_before_the_suspension_hands_nothing_over(h: Harness) -> None:
    from tests.parcel_factory import arrived_parcel

    store_id, code = await approved_store(h.svc, SHOP, language="hi")
    parcel_id, _, pickup_code = await arrived_parcel(h.svc, store_id)
    shop = h.stranger(SHOP, tg_language="hi")
    await shop.send("/pickup")
    (screen,) = await shop.send(pickup_code)
    assert screen.inline_keyboard
    boss = await h.person(ADMIN, "en")
    await boss.send("/stores")
    await boss.press(f"{code} Sharma Kirana")
    await boss.press("⛔ Suspend")
    await boss.send("Customer complaints")
    await shop.press("✅ सौंप दिया", message_id=screen.message_id)
    answer = shop.callback_answers()[-1]
    assert "Customer complaints" in answer.text and "अभी बंद है" in answer.text
    assert await h.svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (parcel_id,)) == \
        "arrived"
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM earnings") == 0
    # The card lists the parcel for re-routing.
    await boss.send("/stores suspended")
    (card,) = await boss.press(f"{code} Sharma Kirana")
    assert "Parcels to re-route (1):" in card.text
