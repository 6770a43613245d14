"""Shopkeeper /receive and /parcels, in three languages: what the shopkeeper and customer see."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n.formatting import format_date, format_weekday_date
from tests.factories import approved_store, linked_customer
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness, Person
from tests.flows.parcel_helpers import code_works, events, load_manifest, parcel, pickup_code

LANGS = ["en", "hi", "mr"]
# The harness clock starts at 2026-11-02 10:00 IST; hold days 7.
LAST_DAY = date(2026, 11, 9)

PROMPT = {"en": "Send the tracking ids", "hi": "ट्रैकिंग आईडी भेजें", "mr": "ट्रॅकिंग आयडी पाठवा"}
FREE = {"en": "Free places on your shelf: {free}/{cap}.",
        "hi": "आपकी दुकान में खाली जगह: {free}/{cap}।",
        "mr": "दुकानातील रिकामी जागा: {free}/{cap}."}
ARRIVED = {"en": "✅ Arrived ({n}): ", "hi": "✅ पहुँच गए ({n}): ", "mr": "✅ पोहोचले ({n}): "}
ALL_TOLD = {"en": "📨 Every customer has been told", "hi": "📨 हर ग्राहक को उसके पिकअप कोड",
            "mr": "📨 प्रत्येक ग्राहकाला त्याच्या पिकअप कोडसह"}
MAPS = {"en": "📍 Open the store in Maps", "hi": "📍 स्टोर को मैप में खोलें",
        "mr": "📍 स्टोअर नकाशात उघडा"}
NOTICE = {"en": "📦 Your parcel {t} has arrived!", "hi": "📦 आपका पार्सल {t} पहुँच गया है!",
          "mr": "📦 तुमचे पार्सल {t} पोहोचले आहे!"}
HOURS = {"en": "Opening hours: 9 am – 9 pm", "hi": "खुलने का समय: सुबह 9 से रात 9 बजे तक",
         "mr": "उघडण्याची वेळ: सकाळी 9 ते रात्री 9"}
LAST = {"en": "Last day to collect: ", "hi": "लेने का आख़िरी दिन: ", "mr": "घेण्याचा शेवटचा दिवस: "}
UNKNOWN = {"en": "is not in our list. Type the customer's mobile number (or share",
           "hi": "हमारी सूची में नहीं है। ग्राहक का मोबाइल नंबर टाइप करें",
           "mr": "आमच्या यादीत नाही. ग्राहकाचा मोबाईल नंबर टाइप करा"}
NOT_MOBILE = {"en": "That is not a mobile number.", "hi": "यह मोबाइल नंबर नहीं है।",
              "mr": "हा मोबाईल नंबर नाही."}
ONE_ARRIVED = {"en": "✅ {t} arrived.", "hi": "✅ {t} पहुँच गया।", "mr": "✅ {t} पोहोचले."}
LATER = {"en": "The customer will be told as soon as they open the bot.",
         "hi": "ग्राहक को बॉट खोलते ही बताया जाएगा।",
         "mr": "ग्राहकाने बॉट उघडताच त्यांना कळवले जाईल."}
OTHER_STORE = {"en": "⛔ Not for your store: {t}.", "hi": "⛔ आपके स्टोर के नहीं हैं: {t}।",
               "mr": "⛔ तुमच्या स्टोअरचे नाहीत: {t}."}
ALREADY = {"en": "ℹ️ Already received earlier, nothing changed: {t}",
           "hi": "ℹ️ पहले ही दर्ज हो चुके हैं, कुछ नहीं बदला: {t}",
           "mr": "ℹ️ आधीच नोंदवले आहेत, काहीही बदलले नाही: {t}"}
NOT_ACCEPTED = {"en": "🚫 Not accepted, your shelf is full (places in use: 2/2): {t}.",
                "hi": "🚫 नहीं लिए गए, दुकान में जगह भर गई है (भरी जगह: 2/2): {t}।",
                "mr": "🚫 घेतले नाहीत, दुकानातील जागा भरली आहे (भरलेली जागा: 2/2): {t}."}
FULL = {"en": "🚫 Your shelf is full. Places in use: 2/2.",
        "hi": "🚫 आपकी दुकान में जगह भर गई है। भरी जगह: 2/2।",
        "mr": "🚫 तुमच्या दुकानातील जागा भरली आहे. भरलेली जागा: 2/2."}
TOLD = {"en": "✅ told", "hi": "✅ बता दिया", "mr": "✅ कळवले"}
NOT_TOLD = {"en": "⏳ not told yet", "hi": "⏳ अभी नहीं बताया", "mr": "⏳ अजून कळवले नाही"}
REFUSE = {"en": "🚫 Refuse: damaged", "hi": "🚫 मना करें: खराब पार्सल", "mr": "🚫 नकार द्या: खराब पार्सल"}
DAMAGED = {"en": "📦 Damaged", "hi": "📦 खराब", "mr": "📦 खराब झालेले"}
REFUSED = {"en": "🚫 {t} refused and recorded.", "hi": "🚫 {t} लेने से मना किया और दर्ज किया गया।",
           "mr": "🚫 {t} ला नकार दिला आणि नोंदवले."}


async def shopkeeper(h: Harness, lang: str, *, user_id: int = 201, capacity: int = 20,
                     shop_name: str = "Sharma Kirana") -> tuple[Person, int, str]:
    person = h.stranger(user_id, tg_language=lang, first_name="Ramesh")
    store_id, code = await approved_store(h.svc, user_id, language=lang, capacity=capacity,
                                          shop_name=shop_name)
    return person, store_id, code


async def customer(h: Harness, lang: str, user_id: int, phone: str) -> Person:
    person = h.stranger(user_id, tg_language=lang, first_name="Priya")
    await linked_customer(h.svc, user_id, phone, language=lang)
    return person


@pytest.mark.parametrize("lang", LANGS)
async def test_expected_parcel_arrives_and_the_linked_customer_gets_the_notice(
    harness: Harness, lang: str
) -> None:
    ramesh, store_id, code = await shopkeeper(harness, lang)
    priya = await customer(harness, lang, 301, "+919876543210")
    await load_manifest(harness.svc, ("TRK10000001", code, "98765 43210", "Priya"))

    (prompt,) = await ramesh.send("/receive")
    assert PROMPT[lang] in prompt.text
    assert FREE[lang].format(free=20, cap=20) in prompt.text
    assert prompt.button_texts() == [REFUSE[lang]]

    (summary,) = await ramesh.send("  trk10000001  ")
    assert summary.text.startswith(ARRIVED[lang].format(n=1) + "TRK10000001")
    assert ALL_TOLD[lang] in summary.text

    (notice,) = priya.new()  # one message: the map pin is a link in it (docs/outbox.md)
    assert notice.text.startswith(NOTICE[lang].format(t="TRK10000001"))
    assert "Sharma Kirana" in notice.text and "12 MG Road, Kothrud, Pune, 411038" in notice.text
    assert HOURS[lang] in notice.text
    assert LAST[lang] + format_weekday_date(LAST_DAY, lang) in notice.text
    (link,) = [e for e in notice.entities if e["type"] == "text_link"]
    assert link["url"] == "https://maps.google.com/?q=18.507400,73.807700"
    assert MAPS[lang] in notice.text
    code_seen = pickup_code(notice)
    assert await code_works(harness.svc, "TRK10000001", code_seen)

    row = await parcel(harness.svc, "TRK10000001")
    assert (row["status"], row["last_day"]) == ("arrived", "2026-11-09")
    assert row["notified_at"] is not None
    assert [e for e, _ in await events(harness.svc, "TRK10000001")] == [
        "expected", "arrived", "code_issued", "notified"]

    (waiting,) = await ramesh.send("/parcels")
    assert "TRK10000001" in waiting.text and TOLD[lang] in waiting.text
    assert format_date(LAST_DAY, lang) in waiting.text


@pytest.mark.parametrize("lang", LANGS)
async def test_unknown_id_asks_for_the_mobile_then_arrives(harness: Harness, lang: str) -> None:
    ramesh, store_id, code = await shopkeeper(harness, lang)
    await ramesh.send("/receive")
    summary, question = await ramesh.send("TRK20000001")
    assert "TRK20000001" in summary.text
    assert UNKNOWN[lang] in question.text

    (again,) = await ramesh.send("12345")
    assert again.text.startswith(NOT_MOBILE[lang])
    assert (await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels")) == 0

    seen = await ramesh.send("९८७६५ ४३२१०\nप्रिया शर्मा")
    assert seen[0].text == ONE_ARRIVED[lang].format(t="TRK20000001") + " " + LATER[lang]
    row = await parcel(harness.svc, "TRK20000001")
    assert (row["status"], row["customer_phone"], row["customer_name"], row["store_id"]) == (
        "arrived", "+919876543210", "प्रिया शर्मा", store_id)
    assert row["link_token"].startswith("p_")
    assert row["code_hash"] is None  # nobody could be told a code yet
    assert [e for e, _ in await events(harness.svc, "TRK20000001")] == ["arrived"]

    (waiting,) = await ramesh.send("/parcels")
    assert "TRK20000001" in waiting.text and NOT_TOLD[lang] in waiting.text
    assert "प्रिया शर्मा ••••••3210" in waiting.text


@pytest.mark.parametrize("lang", LANGS)
async def test_parcel_of_another_store_is_refused_without_revealing_it(
    harness: Harness, lang: str
) -> None:
    ramesh, _, _ = await shopkeeper(harness, lang)
    _, _, other_code = await shopkeeper(harness, "en", user_id=202, shop_name="Patil General")
    await load_manifest(harness.svc, ("TRK30000001", other_code, "9876543210", "Priya Secret"))
    await ramesh.send("/receive")
    (summary,) = await ramesh.send("TRK30000001")
    assert summary.text.startswith(OTHER_STORE[lang].format(t="TRK30000001"))
    for hidden in ("Patil", other_code, "Priya", "3210"):
        assert hidden not in summary.text
    assert (await parcel(harness.svc, "TRK30000001"))["status"] == "expected"


@pytest.mark.parametrize("lang", LANGS)
async def test_an_id_already_arrived_is_reported_not_recorded_twice(
    harness: Harness, lang: str
) -> None:
    ramesh, _, code = await shopkeeper(harness, lang)
    priya = await customer(harness, lang, 301, "+919876543210")
    await load_manifest(harness.svc, ("TRK40000001", code, "9876543210", ""))
    await ramesh.send("/receive")
    await ramesh.send("TRK40000001\ntrk40000001")  # pasted twice in one message
    assert len(priya.new()) == 1  # one notice, its map pin a link in it
    await ramesh.send("/receive")
    (summary,) = await ramesh.send("TRK40000001")
    assert summary.text.startswith(ALREADY[lang].format(t="TRK40000001"))
    assert priya.new() == []
    kinds = [e for e, _ in await events(harness.svc, "TRK40000001")]
    assert kinds.count("arrived") == 1 and kinds.count("code_issued") == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_a_full_store_accepts_up_to_its_capacity_then_says_so(
    harness: Harness, lang: str
) -> None:
    ramesh, _, code = await shopkeeper(harness, lang, capacity=2)
    await load_manifest(harness.svc, *[(f"TRK5000000{i}", code, f"987654321{i}", "")
                                       for i in range(1, 4)])
    (prompt,) = await ramesh.send("/receive")
    assert FREE[lang].format(free=2, cap=2) in prompt.text
    (summary,) = await ramesh.send("TRK50000001\nTRK50000002\nTRK50000003")
    assert summary.text.startswith(ARRIVED[lang].format(n=2) + "TRK50000001, TRK50000002")
    assert NOT_ACCEPTED[lang].format(t="TRK50000003") in summary.text
    assert (await parcel(harness.svc, "TRK50000003"))["status"] == "expected"

    (told,) = await ramesh.send("/receive")  # told before anything more is accepted
    assert told.text.startswith(FULL[lang])
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM flow_state") == 0


async def test_full_store_refuses_an_unknown_parcel_too(harness: Harness) -> None:
    ramesh, _, code = await shopkeeper(harness, "en", capacity=1)
    await load_manifest(harness.svc, ("TRK50000001", code, "9876543210", ""))
    await ramesh.send("/receive")
    summary, question = await ramesh.send("TRK59999999")
    # One place free: the unknown id may still come in, so its mobile is asked for.
    assert "not in our list" in question.text
    await harness.svc.db.execute("UPDATE parcels SET status = 'arrived'")  # another device
    (answer, done) = await ramesh.send("9822012345")
    assert answer.text == "🚫 TRK59999999 not accepted: your shelf is full."
    assert done.text.startswith("Your shelf is full now.")
    assert await harness.svc.db.fetchval(
        "SELECT COUNT(*) FROM parcels WHERE tracking_id = 'TRK59999999'") == 0


async def test_skip_an_unknown_parcel_and_a_batch_of_several(harness: Harness) -> None:
    ramesh, _, _ = await shopkeeper(harness, "en")
    await ramesh.send("/receive")
    summary, first = await ramesh.send("TRK60000001\nTRK60000002\nnot an id!")
    assert "❓ Not in our list: TRK60000001, TRK60000002." in summary.text
    assert 'line 3: not an id! — only letters, digits and - are allowed' in summary.text
    assert "1 more parcel after this one." in first.text
    skipped, second = await ramesh.press("⏭ Skip this parcel")
    assert skipped.text == "⏭ Skipped TRK60000001: not recorded."
    assert "TRK60000002" in second.text
    # The old skip button no longer applies.
    await ramesh.press("⏭ Skip this parcel", message_id=first.message_id)
    assert ramesh.callback_answers()[-1].text == "This button has expired."
    done = await ramesh.send("Anil, 98220 12345")
    assert done[0].text.startswith("✅ TRK60000002 arrived.")
    assert done[-1].text.startswith("All parcels are done.")
    row = await parcel(harness.svc, "TRK60000002")
    assert (row["customer_phone"], row["customer_name"]) == ("+919822012345", "Anil")


async def test_only_tracking_ids_that_are_not_ids_asks_again(harness: Harness) -> None:
    ramesh, _, _ = await shopkeeper(harness, "en")
    await ramesh.send("/receive")
    (reply,) = await ramesh.send("hello\nABC")
    assert reply.text.startswith("❌ Not tracking ids:\nline 1: hello — too short")
    assert reply.text.endswith("Please send the tracking ids again.")
    (summary,) = await ramesh.send("/cancel")
    assert summary.text.startswith("Cancelled.")


@pytest.mark.parametrize("lang", LANGS)
async def test_refusing_a_damaged_parcel_tells_admins_never_the_customer(
    harness: Harness, lang: str
) -> None:
    admin = await harness.person(ADMIN_ID, "hi", first_name="Ravi")
    ramesh, _, code = await shopkeeper(harness, lang)
    priya = await customer(harness, lang, 301, "+919876543210")
    await load_manifest(harness.svc, ("TRK70000001", code, "9876543210", "Priya"))
    await ramesh.send("/receive")
    await ramesh.press(REFUSE[lang])
    (ask,) = await ramesh.send("trk70000001")
    assert DAMAGED[lang] in ask.button_texts()
    (done,) = await ramesh.press(DAMAGED[lang])
    assert done.text.startswith(REFUSED[lang].format(t="TRK70000001"))

    (alert,) = admin.new()
    assert alert.text == ("🚫 स्टोर KS-0001 (Sharma Kirana) ने पार्सल TRK70000001 पहुँचने पर "
                          "लेने से मना किया: खराब।")
    assert priya.new() == []
    row = await parcel(harness.svc, "TRK70000001")
    assert (row["status"], row["code_hash"], row["notified_at"]) == ("refused", None, None)
    assert (await events(harness.svc, "TRK70000001"))[-1] == (
        "refused", {"reason": "damaged", "store_id": 1})

    # It cannot arrive afterwards, nor be refused twice.
    await ramesh.send("/receive")
    (summary,) = await ramesh.send("TRK70000001")
    assert "TRK70000001" in summary.text and priya.new() == []
    assert (await parcel(harness.svc, "TRK70000001"))["status"] == "refused"


async def test_refusal_with_a_typed_reason_and_ids_that_cannot_be_refused(
    harness: Harness,
) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    ramesh, _, code = await shopkeeper(harness, "en")
    _, _, other = await shopkeeper(harness, "en", user_id=202, shop_name="Patil General")
    await load_manifest(harness.svc, ("TRK70000002", code, "9876543210", ""),
                        ("TRK70000003", other, "9876543210", ""))
    await ramesh.send("/receive")
    await ramesh.press("🚫 Refuse: damaged")
    (reply,) = await ramesh.send("TRK70000003")
    assert reply.text.startswith("⛔ TRK70000003 is not for your store.")
    await ramesh.send("/receive")
    await ramesh.press("🚫 Refuse: damaged")
    (reply,) = await ramesh.send("TRK79999999")
    assert reply.text.startswith("TRK79999999 is not in our list.")
    await ramesh.send("/receive")
    await ramesh.press("🚫 Refuse: damaged")
    await ramesh.send("TRK70000002")
    (short,) = await ramesh.send("x")
    assert short.text.startswith("Please write a few words")
    (done,) = await ramesh.send("Box crushed & <leaking>")
    assert done.text.startswith("🚫 TRK70000002 refused and recorded.")
    (alert,) = admin.new()
    assert alert.text.endswith("at arrival: Box crushed & <leaking>.")
    assert (await events(harness.svc, "TRK70000002"))[-1][1]["note"] == "Box crushed & <leaking>"


async def test_receive_is_only_for_approved_stores(harness: Harness) -> None:
    stranger = await harness.person(205, "en")
    (reply,) = await stranger.send("/receive")
    assert reply.text.startswith("This is for approved partner stores.")
    (reply,) = await stranger.send("/parcels")
    assert reply.text.startswith("This is for approved partner stores.")
    pending = harness.stranger(206, tg_language="en")
    await approved_store(harness.svc, 206, status="pending")
    (reply,) = await pending.send("/receive")
    assert reply.text.startswith("This is for approved partner stores.")
    # A forged refuse button changes nothing either.
    update = stranger.fake.press("📦 Collect a parcel")
    update["callback_query"]["data"] = "1:recv:refuse"
    await harness.feed(update)
    assert stranger.callback_answers()[-1].text == "This button has expired."
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM flow_state") == 0


async def test_shopkeeper_menu_and_commands(harness: Harness) -> None:
    ramesh, _, _ = await shopkeeper(harness, "mr")
    (menu,) = await ramesh.send("/start")
    assert {"📥 पार्सल नोंदवा", "📋 वाट पाहणारे पार्सल"} <= set(menu.button_texts())
    (prompt,) = await ramesh.press("📥 पार्सल नोंदवा")
    assert PROMPT["mr"] in prompt.text
    (help_text,) = await ramesh.send("/help")
    assert "/receive — पोहोचलेले पार्सल नोंदवा" in help_text.text
    assert "/parcels — पिकअपची वाट पाहणारे पार्सल" in help_text.text


async def test_a_restart_mid_flow_keeps_the_questions(harness: Harness) -> None:
    ramesh, _, _ = await shopkeeper(harness, "en")
    await ramesh.send("/receive")
    await ramesh.send("TRK80000001\nTRK80000002")
    await harness.restart()
    reply, question = await ramesh.send("9822012345")
    assert reply.text.startswith("✅ TRK80000001 arrived.")
    assert "TRK80000002 is not in our list" in question.text
    assert (await parcel(harness.svc, "TRK80000001"))["status"] == "arrived"


async def test_the_customer_can_be_given_as_a_contact_card(harness: Harness) -> None:
    ramesh, _, _ = await shopkeeper(harness, "en")
    await ramesh.send("/receive")
    await ramesh.send("TRK90000001")
    seen = await ramesh.share_contact("+91 98220 12345", user_id=None, first_name="Anil",
                                      last_name="Patil")
    assert seen[0].text.startswith("✅ TRK90000001 arrived.")
    row = await parcel(harness.svc, "TRK90000001")
    assert (row["customer_phone"], row["customer_name"]) == ("+919822012345", "Anil Patil")


async def test_a_long_waiting_list_comes_a_page_at_a_time(harness: Harness) -> None:
    ramesh, _, code = await shopkeeper(harness, "en", capacity=60)
    rows = [(f"TRK{i:08d}", code, f"98{i:08d}", "Customer with a very long name " * 3)
            for i in range(60)]
    await load_manifest(harness.svc, *rows)
    await ramesh.send("/receive")
    await ramesh.send("\n".join(r[0] for r in rows))
    (first,) = await ramesh.send("/parcels")
    assert "Waiting for pickup (60):" in first.text and len(first.text) < 4096
    assert "1. TRK00000000" in first.text and "26. " not in first.text
    assert "Customer with a very lo…" in first.text
    assert first.button_texts() == ["➡️ Next 25"]
    (second,) = await ramesh.press("➡️ Next 25")
    assert "26. TRK00000025" in second.text and "1. TRK00000000" not in second.text
    (third,) = await ramesh.press("➡️ Next 10")
    assert "60. TRK00000059" in third.text
    assert third.button_texts()[0] == "📥 Receive parcels"  # the end: the menu
    # Someone else's forged page button shows nothing.
    other = await harness.person(205, "en")
    update = other.fake.press("📦 Collect a parcel")
    update["callback_query"]["data"] = "1:recv:page:25"
    await harness.feed(update)
    assert other.callback_answers()[-1].text == "This button has expired."
    assert other.new() == []
