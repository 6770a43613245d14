"""Customers: linking by contact, deferred notices, /myparcels, new code, extend, deep links."""

from __future__ import annotations

import json
from datetime import date

import pytest
from telegram import BotCommandScopeChat

from bot.i18n.formatting import format_weekday_date
from bot.services.codes import code_key, hash_code
from tests.factories import approved_store, linked_customer
from tests.flows.harness import Harness, Person
from tests.flows.parcel_helpers import code_works, events, load_manifest, parcel, pickup_code

LANGS = ["en", "hi", "mr"]
COLLECT = {"en": "📦 Collect a parcel", "hi": "📦 पार्सल लें", "mr": "📦 पार्सल घ्या"}
ASK = {"en": "To find your parcels, I need your mobile number",
       "hi": "आपके पार्सल ढूँढने के लिए मुझे आपका मोबाइल नंबर चाहिए",
       "mr": "तुमचे पार्सल शोधण्यासाठी मला तुमचा मोबाईल नंबर हवा आहे"}
SHARE = {"en": "📱 Share my number", "hi": "📱 मेरा नंबर भेजें", "mr": "📱 माझा नंबर पाठवा"}
LINKED = {"en": "✅ Your number ••••••3210 is linked.", "hi": "✅ आपका नंबर ••••••3210 जुड़ गया है।",
          "mr": "✅ तुमचा नंबर ••••••3210 जोडला गेला आहे."}
FORGED = {"en": "That is someone else's contact.", "hi": "यह किसी और का संपर्क है।",
          "mr": "हा दुसऱ्या कोणाचा संपर्क आहे."}
TYPED = {"en": "A typed number is not enough", "hi": "टाइप किया हुआ नंबर काफ़ी नहीं है",
         "mr": "टाइप केलेला नंबर पुरेसा नाही"}
NOTICE = {"en": "📦 Your parcel {t} has arrived!", "hi": "📦 आपका पार्सल {t} पहुँच गया है!",
          "mr": "📦 तुमचे पार्सल {t} पोहोचले आहे!"}
MINE = {"en": "Your parcels", "hi": "आपके पार्सल", "mr": "तुमचे पार्सल"}
NEW_CODE = {"en": "🔑 New code · {t}", "hi": "🔑 नया कोड · {t}", "mr": "🔑 नवीन कोड · {t}"}
EXTEND = {"en": "⏳ +3 days · {t}", "hi": "⏳ +3 दिन · {t}", "mr": "⏳ +3 दिवस · {t}"}
QR_NEW = {"en": "🔳 New code as QR · {t}", "hi": "🔳 नया कोड QR में · {t}",
          "mr": "🔳 नवीन कोड QR मध्ये · {t}"}
NEW_CODE_SENT = {"en": "🔑 New pickup code for {t}. The old code no longer works.",
                 "hi": "🔑 {t} के लिए नया पिकअप कोड। पुराना कोड अब काम नहीं करेगा।",
                 "mr": "🔑 {t} साठी नवीन पिकअप कोड. जुना कोड आता चालणार नाही."}
EXTENDED = {"en": "⏳ Done: {t} will wait for you until {d}.",
            "hi": "⏳ हो गया: {t} {d} तक आपका इंतज़ार करेगा।",
            "mr": "⏳ झाले: {t} {d} पर्यंत तुमची वाट पाहील."}
ONCE = {"en": "You have already extended this parcel once.",
        "hi": "आप इस पार्सल का समय एक बार पहले ही बढ़ा चुके हैं।",
        "mr": "तुम्ही या पार्सलची मुदत आधीच एकदा वाढवली आहे."}
MYPARCELS_CMD = {"en": "My parcels and pickup codes", "hi": "मेरे पार्सल और पिकअप कोड",
                 "mr": "माझे पार्सल आणि पिकअप कोड"}


async def setup_store(h: Harness) -> tuple[Person, str]:
    ramesh = h.stranger(201, tg_language="en", first_name="Ramesh")
    _, code = await approved_store(h.svc, 201)
    return ramesh, code


async def receive(shopkeeper: Person, *ids: str) -> None:
    await shopkeeper.send("/receive")
    await shopkeeper.send("\n".join(ids))


@pytest.mark.parametrize("lang", LANGS)
async def test_linking_with_own_contact(harness: Harness, lang: str) -> None:
    priya = await harness.person(301, lang, first_name="Priya")
    (ask,) = await priya.press(COLLECT[lang])
    assert ASK[lang] in ask.text
    assert priya.fake.reply_keyboard() == [[{"text": SHARE[lang], "request_contact": True}]]

    seen = await priya.share_contact("919876543210")
    assert seen[0].text.startswith(LINKED[lang])
    assert priya.fake.reply_keyboard() is None  # the share button is gone
    assert await harness.svc.db.fetchval(
        "SELECT phone FROM customers WHERE user_id = 301") == "+919876543210"
    # Now a customer: the chat's command menu says so, in their language.
    commands = {c["command"]: c["description"]
                for c in harness.api.commands(BotCommandScopeChat(301))}
    assert commands["myparcels"] == MYPARCELS_CMD[lang]
    assert "receive" not in commands


@pytest.mark.parametrize("lang", LANGS)
async def test_a_forged_or_typed_contact_is_refused(harness: Harness, lang: str) -> None:
    priya = await harness.person(301, lang, first_name="Priya")
    await priya.send("/myparcels")
    (reply,) = await priya.share_contact("+919876543210", user_id=777)
    assert reply.text.startswith(FORGED[lang])
    (reply,) = await priya.share_contact("+919876543210", user_id=None)  # a contact card
    assert reply.text.startswith(FORGED[lang])
    (reply,) = await priya.send("98765 43210")
    assert TYPED[lang] in reply.text
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM customers") == 0
    (cancelled, menu) = await priya.send("/cancel")
    assert priya.fake.reply_keyboard() is None
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM flow_state") == 0


async def test_a_foreign_number_cannot_be_linked(harness: Harness) -> None:
    priya = await harness.person(301, "en", first_name="Priya")
    await priya.send("/myparcels")
    seen = await priya.share_contact("+14155550100")
    assert seen[0].text.startswith("Your Telegram account's number is not an Indian mobile")
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM customers") == 0


@pytest.mark.parametrize("lang", LANGS)
async def test_notice_waits_until_the_customer_links_then_comes_once_per_parcel(
    harness: Harness, lang: str
) -> None:
    ramesh, code = await setup_store(harness)
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", ""),
                        ("TRK10000002", code, "9876543210", ""),
                        ("TRK10000003", code, "9822012345", "someone else"))
    priya = harness.stranger(301, tg_language=lang, first_name="Priya")
    await receive(ramesh, "TRK10000001", "TRK10000002", "TRK10000003")
    assert priya.new() == []
    assert (await parcel(harness.svc, "TRK10000001"))["code_hash"] is None
    (waiting,) = await ramesh.send("/parcels")
    assert waiting.text.count("— ⏳ not told yet") == 3

    await priya.send("/start")
    await priya.press({"en": "English", "hi": "हिंदी", "mr": "मराठी"}[lang])
    await priya.press(COLLECT[lang])
    seen = await priya.share_contact("+91 98765 43210")
    notices = [m for m in seen if m.kind == "text" and m.text.startswith(NOTICE[lang][:4])
               and "TRK1000000" in m.text and m.entities and pickup_code(m)]
    assert [n.text.split("\n")[0] for n in notices] == [
        NOTICE[lang].format(t="TRK10000001"), NOTICE[lang].format(t="TRK10000002")]
    codes = [pickup_code(n) for n in notices]
    for tracking_id, seen_code in zip(["TRK10000001", "TRK10000002"], codes, strict=True):
        assert await code_works(harness.svc, tracking_id, seen_code)
    # The store's map pin is a link in each notice (one message each: docs/outbox.md).
    maps = "https://maps.google.com/?q=18.507400,73.807700"
    assert all(e.get("url") == maps for n in notices for e in n.entities
               if e["type"] == "text_link")
    assert all(any(e["type"] == "text_link" for e in n.entities) for n in notices)
    assert [m.kind for m in seen].count("location") == 0
    assert not any("TRK10000003" in (m.text or "") for m in seen)
    assert any(MINE[lang] in (m.text or "") for m in seen)

    # Sent once: linking again, /myparcels and /start send no second notice.
    await priya.send("/myparcels")
    await priya.share_contact("+91 98765 43210")
    await priya.send("/myparcels")
    texts = [m.text or "" for m in priya.fake.messages()]
    assert sum(t.startswith(NOTICE[lang].format(t="TRK10000001")) for t in texts) == 1
    (waiting,) = await ramesh.send("/parcels")
    assert waiting.text.count("— ✅ told") == 2 and waiting.text.count("— ⏳ not told yet") == 1
    kinds = [e for e, _ in await events(harness.svc, "TRK10000001")]
    assert kinds == ["expected", "arrived", "linked", "code_issued", "notified"]


async def test_a_notice_that_cannot_be_delivered_is_tried_again_later(harness: Harness) -> None:
    ramesh, code = await setup_store(harness)
    priya = harness.stranger(301, tg_language="en", first_name="Priya")
    await linked_customer(harness.svc, 301, "+919876543210")
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", ""))
    priya.fake.block()
    await receive(ramesh, "TRK10000001")
    row = await parcel(harness.svc, "TRK10000001")
    assert row["notified_at"] is None and row["notice_attempt_at"] is None
    # Recorded in the outbox as blocked: the parcel id, never the text or the code.
    (lost,) = await harness.svc.db.fetchall("SELECT state, payload, error FROM outbox")
    assert lost["state"] == "blocked" and "403" in lost["error"]
    assert set(json.loads(lost["payload"])) == {"parcel_id", "user_id"}
    assert (await events(harness.svc, "TRK10000001"))[-1][0] == "notice_failed"

    priya.fake.unblock()
    seen = await priya.send("/myparcels")
    notice = next(m for m in seen if (m.text or "").startswith("📦 Your parcel TRK10000001"))
    assert await code_works(harness.svc, "TRK10000001", pickup_code(notice))
    assert (await parcel(harness.svc, "TRK10000001"))["notified_at"] is not None


@pytest.mark.parametrize("lang", LANGS)
async def test_new_code_voids_the_old_one(harness: Harness, lang: str) -> None:
    ramesh, code = await setup_store(harness)
    priya = harness.stranger(301, tg_language=lang, first_name="Priya")
    await linked_customer(harness.svc, 301, "+919876543210", language=lang)
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", ""))
    await receive(ramesh, "TRK10000001")
    old = pickup_code(priya.new()[0])

    (mine,) = await priya.send("/myparcels")
    assert mine.text.startswith(MINE[lang])
    for row in mine.inline_keyboard:  # not cut off on a phone: two short ones, or one a row
        assert all(len(b["text"]) <= (20 if len(row) == 2 else 36) for b in row), row
    assert mine.button_texts() == [NEW_CODE[lang].format(t="…0001"),
                                   EXTEND[lang].format(t="…0001"),
                                   QR_NEW[lang].format(t="…0001")]
    (sent,) = await priya.press(NEW_CODE[lang].format(t="…0001"))
    assert sent.text.startswith(NEW_CODE_SENT[lang].format(t="TRK10000001"))
    new = pickup_code(sent)
    assert new != old
    assert await code_works(harness.svc, "TRK10000001", new)
    assert not await code_works(harness.svc, "TRK10000001", old)
    assert [e for e, _ in await events(harness.svc, "TRK10000001")][-1] == "code_issued"


@pytest.mark.parametrize("lang", LANGS)
async def test_extend_by_three_days_once(harness: Harness, lang: str) -> None:
    ramesh, code = await setup_store(harness)
    priya = harness.stranger(301, tg_language=lang, first_name="Priya")
    await linked_customer(harness.svc, 301, "+919876543210", language=lang)
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", ""))
    await receive(ramesh, "TRK10000001")
    (mine,) = await priya.send("/myparcels")
    (done,) = await priya.press(EXTEND[lang].format(t="…0001"))
    assert done.text == EXTENDED[lang].format(t="TRK10000001",
                                              d=format_weekday_date(date(2026, 11, 12), lang))
    assert (await parcel(harness.svc, "TRK10000001"))["last_day"] == "2026-11-12"

    assert await priya.press(EXTEND[lang].format(t="…0001"),
                             message_id=mine.message_id) == []
    answer = priya.callback_answers()[-1]
    assert (answer.text, answer.show_alert) == (ONCE[lang], True)
    (again,) = await priya.send("/myparcels")
    assert again.button_texts() == [NEW_CODE[lang].format(t="…0001"),
                                    QR_NEW[lang].format(t="…0001")]
    row = await parcel(harness.svc, "TRK10000001")
    assert (row["last_day"], row["extended"]) == ("2026-11-12", 1)
    assert [e for e, _ in await events(harness.svc, "TRK10000001")].count("extended") == 1


async def test_a_customer_sees_and_acts_only_on_their_own_parcels(harness: Harness) -> None:
    ramesh, code = await setup_store(harness)
    harness.stranger(301, tg_language="en", first_name="Priya")
    anil = harness.stranger(302, tg_language="en", first_name="Anil")
    await linked_customer(harness.svc, 301, "+919876543210")
    await linked_customer(harness.svc, 302, "+919822012345")
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", "Priya"),
                        ("TRK10000002", code, "9822012345", "Anil"),
                        ("TRK10000003", code, "9822012345", "Anil"))
    await receive(ramesh, "TRK10000001", "TRK10000002")
    (mine,) = await anil.send("/myparcels")
    assert "TRK10000002" in mine.text and "TRK10000003" in mine.text  # waiting and expected
    assert "TRK10000001" not in mine.text
    priya_parcel = (await parcel(harness.svc, "TRK10000001"))["id"]
    before = await parcel(harness.svc, "TRK10000001")
    for action in ("code", "ext"):
        update = anil.fake.press(mine.button_texts()[0], message_id=mine.message_id)
        update["callback_query"]["data"] = f"1:myp:{action}:{priya_parcel}"
        await harness.feed(update)
        assert anil.callback_answers()[-1].text == "This button has expired."
    assert anil.new() == []
    after = await parcel(harness.svc, "TRK10000001")
    assert (after["code_hash"], after["last_day"]) == (before["code_hash"], before["last_day"])


async def test_buttons_of_a_parcel_no_longer_waiting_do_nothing(harness: Harness) -> None:
    ramesh, code = await setup_store(harness)
    priya = harness.stranger(301, tg_language="en", first_name="Priya")
    await linked_customer(harness.svc, 301, "+919876543210")
    await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", ""))
    await receive(ramesh, "TRK10000001")
    (mine,) = await priya.send("/myparcels")
    await harness.svc.db.execute("UPDATE parcels SET status = 'picked_up'")
    assert await priya.press("🔑 New code · …0001") == []
    assert priya.callback_answers()[-1].text == "This parcel is no longer waiting at the store."
    (empty,) = await priya.send("/myparcels")
    assert empty.text.startswith("You have no parcels right now.")


async def test_deep_link_starts_linking_and_the_contact_must_match(harness: Harness) -> None:
    ramesh, code = await setup_store(harness)
    report = await load_manifest(harness.svc, ("TRK10000001", code, "9876543210", "Priya"))
    ((_, token),) = report.links
    assert len(token) <= 64 and all(c.isalnum() or c in "_-" for c in token)
    await receive(ramesh, "TRK10000001")

    # Someone else opens the link: they link their own number and learn nothing.
    anil = harness.stranger(302, tg_language="hi", first_name="Anil")
    (ask,) = await anil.send(f"/start {token}")
    assert ASK["hi"] in ask.text and "/language" in ask.text
    seen = await anil.share_contact("+919822012345")
    texts = "\n".join(m.text or "" for m in seen)
    assert "उस लिंक से आपके नंबर का कोई पार्सल नहीं मिला" in texts
    for secret in ("TRK10000001", "Sharma", "Priya"):
        assert secret not in texts

    # Priya, new to the bot, opens it from her SMS: linking starts at once.
    priya = harness.stranger(301, tg_language="mr", first_name="Priya")
    (ask,) = await priya.send(f"/start {token}")
    assert ASK["mr"] in ask.text
    seen = await priya.share_contact("919876543210")
    notice = next(m for m in seen if (m.text or "").startswith(NOTICE["mr"].format(
        t="TRK10000001")))
    assert await code_works(harness.svc, "TRK10000001", pickup_code(notice))
    # Her language is remembered for later messages.
    assert await harness.svc.db.fetchval("SELECT language FROM users WHERE user_id = 301") == "mr"
    # Opening the link again, now linked: her parcels straight away.
    (mine,) = await priya.send(f"/start {token}")
    assert mine.text.startswith(MINE["mr"]) and "TRK10000001" in mine.text
    # A token that is not a parcel's: linking as usual, nothing revealed.
    (ask,) = await harness.stranger(303, tg_language="en").send("/start p_" + "x" * 22)
    assert ASK["en"] in ask.text


async def test_the_number_moves_to_the_account_that_shares_it(harness: Harness) -> None:
    old_phone = harness.stranger(301, tg_language="en")
    await linked_customer(harness.svc, 301, "+919876543210")
    new_phone = await harness.person(305, "en")
    await new_phone.send("/myparcels")
    await new_phone.share_contact("+919876543210")
    rows = await harness.svc.db.fetchall("SELECT user_id, phone FROM customers")
    assert [(r["user_id"], r["phone"]) for r in rows] == [(305, "+919876543210")]
    assert old_phone.new() == []


async def test_hashes_are_per_store(harness: Harness) -> None:
    key = code_key(harness.settings)
    assert hash_code(key, 1, "123456") != hash_code(key, 2, "123456")
