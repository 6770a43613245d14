"""The handover at the counter, as the shopkeeper, the customer and the admin see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.services.lockout import LOCK_FOR
from tests.factories import approved_store, ensure_user, linked_customer
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness, Person
from tests.parcel_factory import arrived_parcel, new_code, set_status

SHOP, OTHER_SHOP, CUSTOMER, STRANGER = 501, 502, 701, 702
PHONE = "+919876543210"
LANGS = ["en", "hi", "mr"]

ASK = {
    "en": "📦 Hand over a parcel\n\nAsk the customer for their pickup code",
    "hi": "📦 पार्सल सौंपें\n\nग्राहक से उनका पिकअप कोड पूछें",
    "mr": "📦 ग्राहकाला पार्सल द्या\n\nग्राहकाला त्यांचा पिकअप कोड विचारा",
}
FOUND = {"en": "📦 Parcel found", "hi": "📦 पार्सल मिल गया", "mr": "📦 पार्सल सापडले"}
QUESTION = {
    "en": "Check the name and mobile number with the customer. Handed over?",
    "hi": "ग्राहक से नाम और मोबाइल नंबर मिला लें। पार्सल सौंप दिया?",
    "mr": "ग्राहकाकडून नाव आणि मोबाईल नंबर तपासा. पार्सल दिले का?",
}
BUTTONS = {
    "en": ["✅ Handed over", "🔍 Can't find it", "✖️ Cancel"],
    "hi": ["✅ सौंप दिया", "🔍 पार्सल नहीं मिल रहा", "✖️ रद्द करें"],
    "mr": ["✅ पार्सल दिले", "🔍 पार्सल सापडत नाही", "✖️ रद्द करा"],
}
LAST4 = {
    "en": "Mobile number ending in: 3210",
    "hi": "मोबाइल नंबर के आख़िरी 4 अंक: 3210",
    "mr": "मोबाईल नंबरचे शेवटचे 4 अंक: 3210",
}
DAYS = {
    "en": "At your shop for 2 days",
    "hi": "आपकी दुकान पर 2 दिन से",
    "mr": "तुमच्या दुकानात 2 दिवसांपासून",
}
DONE = {
    "en": "✅ Handed over\n• ••••{last4}\nCustomer: Priya Sharma\n₹10.00 added to your earnings.",
    "hi": "✅ सौंप दिया गया\n• ••••{last4}\nग्राहक: Priya Sharma\nआपकी कमाई में ₹10.00 जुड़ गए।",
    "mr": "✅ पार्सल दिले\n• ••••{last4}\nग्राहक: Priya Sharma\nतुमच्या कमाईत ₹10.00 जमा झाले.",
}
TOAST = {"en": "Handed over ✓", "hi": "सौंप दिया ✓", "mr": "पार्सल दिले ✓"}
RECEIPT = {
    "en": ("✅ Your parcel was handed over\n• {tracking}\nStore: Sharma Kirana\n"
           "Time: 2 November 2026, 10:00 am\n\nNot you? Tell us with the button below."),
    "hi": ("✅ आपका पार्सल सौंप दिया गया\n• {tracking}\nस्टोर: Sharma Kirana\n"
           "समय: 2 नवंबर 2026, सुबह 10\n\nयह आप नहीं थे? नीचे दिए बटन से हमें बताएँ।"),
    "mr": ("✅ तुमचे पार्सल तुम्हाला मिळाले\n• {tracking}\nस्टोअर: Sharma Kirana\n"
           "वेळ: 2 नोव्हेंबर 2026, सकाळी 10\n\nहे पार्सल तुम्ही घेतले नसेल, तर खालील बटणाने आम्हाला कळवा."),
}
NOT_ME = {"en": "🚩 Not me? Tell us", "hi": "🚩 मैंने नहीं लिया? हमें बताएँ",
          "mr": "🚩 मी घेतले नाही? आम्हाला कळवा"}
NO_PARCEL = {
    "en": ("❌ No parcel with this code here.\n"
           "Check the code with the customer and type it again, or send /cancel."),
    "hi": ("❌ इस कोड का कोई पार्सल यहाँ नहीं है।\n"
           "ग्राहक से कोड मिलाकर फिर से लिखें, या /cancel भेजें।"),
    "mr": ("❌ या कोडचे कोणतेही पार्सल इथे नाही.\n"
           "ग्राहकाकडून कोड तपासून पुन्हा लिहा, किंवा /cancel पाठवा."),
}
TRIES_LEFT = {
    "en": "Careful: wrong codes left before code entry is locked for 15 minutes: {n}.",
    "hi": "ध्यान दें: कोड डालना 15 मिनट के लिए बंद होने से पहले बचे गलत कोड: {n}।",
    "mr": "लक्ष द्या: कोड टाकणे 15 मिनिटांसाठी बंद होण्यापूर्वी उरलेले चुकीचे कोड: {n}.",
}
LOCKED = {
    "en": "🔒 Too many wrong codes. Code entry at your store is locked until 10:15 am.",
    "hi": "🔒 बहुत ज़्यादा गलत कोड। आपके स्टोर पर कोड डालना सुबह 10:15 तक बंद है।",
    "mr": "🔒 खूप चुकीचे कोड. तुमच्या स्टोअरवर कोड टाकणे सकाळी 10:15 पर्यंत बंद आहे.",
}
BAD_CODE = {
    "en": "A pickup code has 6 digits, e.g. 482 917. Please type it again, or send /cancel.",
    "hi": "पिकअप कोड में 6 अंक होते हैं, जैसे 482 917। कृपया फिर से लिखें, या /cancel भेजें।",
    "mr": "पिकअप कोडमध्ये 6 अंक असतात, उदा. 482 917. कृपया पुन्हा लिहा, किंवा /cancel पाठवा.",
}
CANCELLED = {"en": "✖️ Not handed over. Nothing was changed.",
             "hi": "✖️ पार्सल नहीं सौंपा गया। कुछ नहीं बदला।",
             "mr": "✖️ पार्सल दिले नाही. काहीही बदलले नाही."}
NOT_FOUND = {"en": "🔍 Noted: parcel ••••{last4} could not be found.",
             "hi": "🔍 दर्ज किया: पार्सल ••••{last4} नहीं मिला।",
             "mr": "🔍 नोंद केली: पार्सल ••••{last4} सापडले नाही."}
EXPIRED = {"en": "This button has expired.", "hi": "यह बटन अब काम नहीं करता।",
           "mr": "हे बटण आता चालत नाही."}
ALREADY = {"en": "This parcel was already handed over.",
           "hi": "यह पार्सल पहले ही सौंप दिया गया है।", "mr": "हे पार्सल आधीच ग्राहकाला दिले आहे."}
THANKS = {
    "en": "Thank you for telling us. Our team will look into it and contact you soon.",
    "hi": "बताने के लिए धन्यवाद। हमारी टीम इसकी जाँच करेगी और जल्द ही आपसे संपर्क करेगी।",
    "mr": "कळवल्याबद्दल धन्यवाद. आमची टीम याची चौकशी करेल आणि लवकरच तुमच्याशी संपर्क करेल.",
}
NOT_A_STORE = {"en": "Only an approved partner store can hand over parcels.",
               "hi": "केवल मंज़ूर पार्टनर स्टोर ही पार्सल सौंप सकते हैं।",
               "mr": "फक्त मंजूर पार्टनर स्टोअरच ग्राहकांना पार्सल देऊ शकतात."}
MENU_PICKUP = {"en": "📦 Hand over a parcel", "hi": "📦 पार्सल सौंपें", "mr": "📦 ग्राहकाला पार्सल द्या"}


@dataclass
class Counter:
    store_id: int
    shop: Person
    customer: Person
    admin: Person


async def counter(h: Harness, lang: str = "en", customer_lang: str | None = None) -> Counter:
    """An approved store run in ``lang``, a linked customer, an admin — all known to Telegram."""
    store_id, _ = await approved_store(h.svc, SHOP, language=lang)
    await linked_customer(h.svc, CUSTOMER, PHONE, language=customer_lang or lang)
    await ensure_user(h.svc, ADMIN_ID, language="en", first_name="Ravi")
    return Counter(
        store_id,
        h.stranger(SHOP, tg_language=lang, first_name="Ramesh"),
        h.stranger(CUSTOMER, tg_language=customer_lang or lang, first_name="Priya"),
        h.stranger(ADMIN_ID, first_name="Ravi"),
    )


async def count(h: Harness, sql: str, *params: object) -> int:
    return int(await h.svc.db.fetchval(sql, params))


async def open_screen(c: Counter, code: str) -> None:
    await c.shop.send("/pickup")
    (screen,) = await c.shop.send(code)
    assert screen.button_texts(), screen.text


# ------------------------------------------------------------------------- happy path


@pytest.mark.parametrize(("lang", "customer_lang"), [("en", "hi"), ("hi", "mr"), ("mr", "en")])
async def test_handover_from_code_to_receipt(harness: Harness, lang: str,
                                             customer_lang: str) -> None:
    c = await counter(harness, lang, customer_lang)
    pid, tracking, code = await arrived_parcel(
        harness.svc, c.store_id, arrived_at=harness.clock.now() - timedelta(days=2))
    (ask,) = await c.shop.send("/pickup")
    assert ask.text.startswith(ASK[lang])
    (screen,) = await c.shop.send(f"{code[:3]} {code[3:]}")
    assert screen.text.startswith(FOUND[lang])
    assert f"••••{tracking[-4:]}" in screen.text and tracking not in screen.text
    assert "Priya Sharma" in screen.text
    assert LAST4[lang] in screen.text and PHONE not in screen.text
    assert DAYS[lang] in screen.text
    assert screen.text.endswith(QUESTION[lang])
    assert screen.button_texts() == BUTTONS[lang]

    (edited,) = await c.shop.press(BUTTONS[lang][0])
    assert edited.message_id == screen.message_id
    assert edited.text == DONE[lang].format(last4=tracking[-4:])
    assert c.shop.callback_answers()[-1].text == TOAST[lang]
    (receipt,) = c.customer.new()
    assert receipt.text == RECEIPT[customer_lang].format(tracking=tracking)
    assert receipt.button_texts() == [NOT_ME[customer_lang]]
    assert c.admin.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1
    row = await harness.svc.db.fetchone("SELECT status, picked_up_by FROM parcels WHERE id = ?",
                                        (pid,))
    assert tuple(row) == ("picked_up", SHOP)


@pytest.mark.parametrize("lang", LANGS)
async def test_devanagari_code_from_the_menu_button(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    _, _, code = await arrived_parcel(harness.svc, c.store_id)
    (menu,) = await c.shop.send("/start")
    assert MENU_PICKUP[lang] in menu.button_texts()
    (ask,) = await c.shop.press(MENU_PICKUP[lang])
    assert ask.text.startswith(ASK[lang])
    devanagari = code.translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    (screen,) = await c.shop.send(f"{devanagari[:3]}-{devanagari[3:]}")
    assert screen.text.startswith(FOUND[lang])


async def test_shopkeeper_help_lists_pickup_and_earnings(harness: Harness) -> None:
    c = await counter(harness, "hi")
    (help_msg,) = await c.shop.send("/help")
    assert "/pickup — ग्राहक को पार्सल सौंपें" in help_msg.text
    assert "/earnings — इस महीने और पिछले महीने की आपकी कमाई" in help_msg.text


# -------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("lang", LANGS)
async def test_bad_input_asks_again_and_counts_nothing(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    _, _, code = await arrived_parcel(harness.svc, c.store_id)
    await c.shop.send("/pickup")
    for text in ("12345", "abcdef", "1234567"):
        (reply,) = await c.shop.send(text)
        assert reply.text == BAD_CODE[lang]
    (reply,) = await c.shop.send_sticker()
    assert "482 917" in reply.text
    assert await count(harness, "SELECT COUNT(*) FROM pickup_attempts") == 0
    (screen,) = await c.shop.send(code)  # still in the flow
    assert screen.text.startswith(FOUND[lang])


@pytest.mark.parametrize("lang", LANGS)
async def test_only_an_approved_store_may_use_pickup(harness: Harness, lang: str) -> None:
    await approved_store(harness.svc, SHOP, language=lang, status="pending")
    shop = harness.stranger(SHOP, tg_language=lang)
    (reply,) = await shop.send("/pickup")
    assert reply.text.startswith(NOT_A_STORE[lang])
    newcomer = await harness.person(STRANGER, lang)
    (reply,) = await newcomer.send("/pickup")
    assert reply.text.startswith(NOT_A_STORE[lang])


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_command_while_typing_the_code(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    _, _, code = await arrived_parcel(harness.svc, c.store_id)
    await c.shop.send("/pickup")
    (reply,) = await c.shop.send("/cancel")
    assert reply.text.startswith({"en": "Cancelled.", "hi": "रद्द", "mr": "रद्द"}[lang])
    (reply,) = await c.shop.send(code)  # no longer read as a code
    assert not reply.text.startswith(FOUND[lang])


# ------------------------------------------------------------------------ wrong codes


@pytest.mark.parametrize("lang", LANGS)
async def test_every_wrong_code_gets_the_same_answer(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    other_store, _ = await approved_store(harness.svc, OTHER_SHOP)
    _, _, at_other_store = await arrived_parcel(harness.svc, other_store)
    picked, _, picked_code = await arrived_parcel(harness.svc, c.store_id)
    returned, _, returned_code = await arrived_parcel(harness.svc, c.store_id)
    voided, _, voided_code = await arrived_parcel(harness.svc, c.store_id)
    await set_status(harness.svc, picked, "picked_up")
    await set_status(harness.svc, returned, "returned")
    fresh = await new_code(harness.svc, c.store_id, voided)
    never = "000000" if "000000" != fresh else "999999"
    answers = []
    for code in (at_other_store, picked_code, returned_code, voided_code, never):
        await c.shop.send("/pickup")
        (reply,) = await c.shop.send(code)
        answers.append(reply.text)
        harness.clock.advance(minutes=16)  # each one the first wrong code in its window
    assert answers == [NO_PARCEL[lang]] * 5
    await c.shop.send("/pickup")
    (screen,) = await c.shop.send(fresh)
    assert screen.text.startswith(FOUND[lang])


@pytest.mark.parametrize("lang", LANGS)
async def test_lockout_and_unlock(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await c.shop.send("/pickup")
    replies = [(await c.shop.send(f"00000{i}"))[0].text for i in range(5)]
    assert replies[0] == replies[1] == NO_PARCEL[lang]
    assert replies[2] == NO_PARCEL[lang] + "\n\n" + TRIES_LEFT[lang].format(n=2)
    assert replies[3] == NO_PARCEL[lang] + "\n\n" + TRIES_LEFT[lang].format(n=1)
    assert replies[4].startswith(NO_PARCEL[lang].split("\n")[0] + "\n\n" + LOCKED[lang])
    (alert,) = c.admin.new()
    assert alert.text.startswith("🔒 Code entry locked\nStore: Sharma Kirana (KS-")
    assert "Wrong pickup codes within 15 minutes: 5." in alert.text
    assert "locked until 2 November 2026, 10:15 am" in alert.text
    assert "Ramesh Sharma, +91 98220 12345" in alert.text  # the mobile as written everywhere

    # Locked: the right code is refused too; a restart changes nothing; admins hear once.
    (reply,) = await c.shop.send("/pickup")
    assert reply.text.startswith(LOCKED[lang])
    (reply,) = await c.shop.send(code)
    assert not reply.text.startswith(FOUND[lang])
    await harness.restart()
    harness.clock.advance(LOCK_FOR * 0.99)
    (reply,) = await c.shop.send("/pickup")
    assert reply.text.startswith(LOCKED[lang])
    assert c.admin.new() == []

    harness.clock.advance(LOCK_FOR * 0.01)
    (ask,) = await c.shop.send("/pickup")
    assert ask.text.startswith(ASK[lang])
    (screen,) = await c.shop.send(code)
    assert screen.text.startswith(FOUND[lang])
    await c.shop.press(BUTTONS[lang][0])
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1


async def _replayed(h: Harness, person: Person, text: str) -> tuple[str, str]:
    """``text`` sent, then its update handled again (a kill before its done-mark): both answers."""
    update = person.fake.send_text(text)
    (first,) = await person._act(update)
    await h.replay(update)
    (again,) = person.new()
    return first.text, again.text


@pytest.mark.parametrize("lang", LANGS)
async def test_a_wrong_code_handled_again_after_a_kill_counts_once(
    harness: Harness, lang: str
) -> None:
    c = await counter(harness, lang)
    await c.shop.send("/pickup")
    for i in range(2):
        await c.shop.send(f"00000{i}")
    # The third wrong code leaves 2; handled again, it still leaves 2 (without the message
    # key the replay counted a fourth and said 1).
    first, again = await _replayed(harness, c.shop, "000002")
    assert first == again == NO_PARCEL[lang] + "\n\n" + TRIES_LEFT[lang].format(n=2)
    assert await count(harness, "SELECT COUNT(*) FROM pickup_attempts") == 3
    (reply,) = await c.shop.send("000003")
    assert reply.text == NO_PARCEL[lang] + "\n\n" + TRIES_LEFT[lang].format(n=1)
    # The fifth locks, once: handled again it says the same, and the admins hear once.
    first, again = await _replayed(harness, c.shop, "000004")
    assert first == again
    assert first.startswith(NO_PARCEL[lang].split("\n")[0] + "\n\n" + LOCKED[lang])
    assert len(c.admin.new()) == 1
    assert await count(harness, "SELECT COUNT(*) FROM pickup_attempts") == 5
    assert await count(harness, "SELECT COUNT(*) FROM pickup_locks") == 1


async def test_a_wrong_code_replayed_after_the_lock_ended_does_not_lock_again(
    harness: Harness,
) -> None:
    c = await counter(harness)
    await c.shop.send("/pickup")
    for i in range(4):
        await c.shop.send(f"00000{i}")
    update = c.shop.fake.send_text("000004")
    (locked,) = await c.shop._act(update)
    assert LOCKED["en"] in locked.text
    c.admin.new()
    # The bot was down longer than the lock: the update is handled at the next start.
    harness.clock.advance(LOCK_FOR * 2)
    await harness.replay(update)
    (again,) = c.shop.new()
    assert again.text == NO_PARCEL["en"]  # counted before: not a sixth wrong code, no new lock
    assert c.admin.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM pickup_locks") == 1
    assert await count(harness, "SELECT COUNT(*) FROM pickup_attempts") == 5


# ---------------------------------------------------------------- cancel, can't find


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_on_the_parcel_screen(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    screen = c.shop.last()
    check = _check_id(screen)
    (edited,) = await c.shop.press(BUTTONS[lang][2])
    assert edited.text == CANCELLED[lang]
    assert c.customer.new() == [] and c.admin.new() == []
    # The old "handed over" button does nothing now.
    await harness.feed(_press_data(c.shop, screen.message_id, f"1:pk:ok:{check}"))
    assert c.shop.callback_answers()[-1].text == EXPIRED[lang]
    assert c.shop.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM earnings") == 0
    assert await harness.svc.db.fetchval("SELECT status FROM parcels WHERE id = ?",
                                         (pid,)) == "arrived"


@pytest.mark.parametrize("lang", LANGS)
async def test_cant_find_it_alerts_the_admins(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    pid, tracking, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    (edited,) = await c.shop.press(BUTTONS[lang][1])
    assert edited.text.startswith(NOT_FOUND[lang].format(last4=tracking[-4:]))
    (alert,) = c.admin.new()
    assert alert.text.startswith("🔍 Parcel not found at the counter\n• " + tracking)
    assert "Customer: Priya Sharma, +91 98765 43210" in alert.text
    assert "Store: Sharma Kirana (KS-" in alert.text
    assert c.customer.new() == []
    events = await harness.svc.db.fetchall(
        "SELECT event FROM parcel_events WHERE parcel_id = ? ORDER BY id", (pid,))
    assert [e[0] for e in events] == ["arrived", "not_found"]
    assert await harness.svc.db.fetchval("SELECT status FROM parcels WHERE id = ?",
                                         (pid,)) == "arrived"


# -------------------------------------------------------------- the customer's side


@pytest.mark.parametrize("lang", LANGS)
async def test_not_you_alerts_the_admins_once(harness: Harness, lang: str) -> None:
    c = await counter(harness, "en", lang)
    _, tracking, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    await c.shop.press("✅ Handed over")
    (receipt,) = c.customer.new()
    update = c.customer.fake.press(NOT_ME[lang])
    await harness.feed(update)
    seen = c.customer.new()
    assert [m.text for m in seen] == [receipt.text, THANKS[lang]]
    assert seen[0].button_texts() == []  # the button is gone from the receipt
    (alert,) = c.admin.new()
    assert alert.text.startswith(
        "🚩 A customer says they did not collect their parcel\n• " + tracking)
    assert "Customer: Priya Sharma, +91 98765 43210" in alert.text
    assert "Store: Sharma Kirana (KS-" in alert.text and "Ramesh Sharma" in alert.text
    assert "Handed over: 2 November 2026, 10:00 am" in alert.text
    # The same update handled again (a kill before its done-mark): answered, nothing new.
    await harness.replay(update)
    # Telegram refuses a second answer to the same query; what the bot tried to say counts.
    assert harness.api.requests_for("answerCallbackQuery")[-1].params["text"] == {
        "en": "You have already told us. Our team will contact you.",
        "hi": "आप हमें पहले ही बता चुके हैं। हमारी टीम आपसे संपर्क करेगी।",
        "mr": "तुम्ही आम्हाला आधीच कळवले आहे. आमची टीम तुमच्याशी संपर्क करेल.",
    }[lang]
    assert c.customer.new() == [] and c.admin.new() == []


async def test_not_you_from_someone_else_changes_nothing(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    await c.shop.press("✅ Handed over")
    intruder = await harness.person(STRANGER, "hi")
    await harness.feed(_press_data(intruder, intruder.last().message_id, f"1:pk:nm:{pid}"))
    assert intruder.callback_answers()[-1].text == EXPIRED["hi"]
    assert intruder.new() == [] and c.admin.new() == []


async def test_an_unlinked_customer_gets_nothing_and_the_handover_still_counts(
    harness: Harness,
) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id, phone="+919812345678")
    await open_screen(c, code)
    (edited,) = await c.shop.press("✅ Handed over")
    assert edited.text.startswith("✅ Handed over")
    assert c.customer.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1


# -------------------------------------------------------------- more than one parcel


@pytest.mark.parametrize("lang", LANGS)
async def test_hand_over_all_the_customers_parcels(harness: Harness, lang: str) -> None:
    c = await counter(harness, lang)
    main, tracking, code = await arrived_parcel(harness.svc, c.store_id)
    others = [await arrived_parcel(harness.svc, c.store_id) for _ in range(2)]
    await c.shop.send("/pickup")
    (screen,) = await c.shop.send(code)
    for _, other_tracking, _ in others:
        assert f"••••{other_tracking[-4:]}" in screen.text
    all_button = {"en": "✅ Hand over all 3", "hi": "✅ सभी सौंपें (3)",
                  "mr": "✅ सगळे द्या (3)"}[lang]
    assert screen.button_texts() == [BUTTONS[lang][0], all_button, *BUTTONS[lang][1:]]
    (edited,) = await c.shop.press(all_button)
    assert "₹30.00" in edited.text
    (receipt,) = c.customer.new()
    for t in (tracking, *(o[1] for o in others)):
        assert f"• {t}" in receipt.text
    assert await count(harness, "SELECT COUNT(DISTINCT parcel_id) FROM earnings") == 3
    assert await count(harness, "SELECT COUNT(*) FROM earnings") == 3
    assert await count(harness, "SELECT COUNT(*) FROM parcel_events WHERE event = 'picked_up'") == 3


async def test_hand_the_others_over_too_after_the_first(harness: Harness) -> None:
    c = await counter(harness, "mr")
    _, _, code = await arrived_parcel(harness.svc, c.store_id)
    _, other_tracking, _ = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    (edited,) = await c.shop.press(BUTTONS["mr"][0])
    assert "या ग्राहकाचे अजून इथे असलेले पार्सल: 1" in edited.text
    assert edited.button_texts() == ["✅ हेही द्या (1)", "📦 पुढचे पार्सल"]
    c.customer.new()
    (edited,) = await c.shop.press("✅ हेही द्या (1)")
    assert f"••••{other_tracking[-4:]}" in edited.text and "₹10.00" in edited.text
    (receipt,) = c.customer.new()
    assert f"• {other_tracking}" in receipt.text
    assert await count(harness, "SELECT COUNT(*) FROM earnings") == 2
    # "Next parcel" starts over.
    (ask,) = await c.shop.press("📦 पुढचे पार्सल")
    assert ask.text.startswith(ASK["mr"])


# ------------------------------------------------------------------------ exactly once


async def test_double_tap_hands_over_once(harness: Harness) -> None:
    c = await counter(harness, "hi")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    taps = [c.shop.fake.press(BUTTONS["hi"][0]) for _ in range(2)]
    await harness.feed_concurrently(taps)
    answers = sorted(a.text for a in c.shop.callback_answers()[-2:])
    assert answers == sorted([TOAST["hi"], ALREADY["hi"]])
    assert len(c.customer.new()) == 1
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1
    assert await count(harness, "SELECT COUNT(*) FROM parcel_events WHERE event = 'picked_up'") == 1


async def test_two_phones_with_their_own_screens_hand_over_once(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    first = c.shop.last()
    await open_screen(c, code)
    second = c.shop.last()
    assert first.callback_data()[0] != second.callback_data()[0]
    await harness.feed_concurrently([
        c.shop.fake.press("✅ Handed over", message_id=first.message_id),
        c.shop.fake.press("✅ Handed over", message_id=second.message_id),
    ])
    assert sorted(a.text for a in c.shop.callback_answers()[-2:]) == sorted(
        [TOAST["en"], ALREADY["en"]])
    assert len(c.customer.new()) == 1
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1


async def test_the_same_update_delivered_twice_hands_over_once(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    update = c.shop.fake.press("✅ Handed over")
    await harness.feed(update)
    c.shop.new()
    await harness.replay(update)  # handled again after a kill before its done-mark
    # Telegram refuses a second answer to the same query; what the bot tried to say counts.
    assert harness.api.requests_for("answerCallbackQuery")[-1].params["text"] == ALREADY["en"]
    assert c.shop.new() == []  # no apology, no second edit
    assert len(c.customer.new()) == 1
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1


async def test_someone_elses_confirm_button_changes_nothing(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    check = _check_id(c.shop.last())
    await approved_store(harness.svc, OTHER_SHOP)
    other = harness.stranger(OTHER_SHOP)
    await other.send("/start")
    for action in ("ok", "all", "rest", "nf", "no"):
        await harness.feed(_press_data(other, other.last().message_id, f"1:pk:{action}:{check}"))
        assert other.callback_answers()[-1].text == EXPIRED["en"]
    for data in ("1:pk:ok:abc", "1:pk:zz:1", "1:pk:ok"):
        await harness.feed(_press_data(other, other.last().message_id, data))
        assert other.callback_answers()[-1].text == EXPIRED["en"]
    assert other.new() == [] and c.customer.new() == [] and c.admin.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM earnings") == 0
    assert await harness.svc.db.fetchval("SELECT status FROM parcels WHERE id = ?",
                                         (pid,)) == "arrived"


async def test_a_code_voided_while_the_screen_was_open(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    await new_code(harness.svc, c.store_id, pid)
    (edited,) = await c.shop.press("✅ Handed over")
    assert edited.text.startswith("This parcel can no longer be handed over with that code")
    assert c.customer.new() == []
    assert await count(harness, "SELECT COUNT(*) FROM earnings") == 0


# ----------------------------------------------------------------------------- helpers


def _check_id(message) -> str:  # noqa: ANN001 - a BotMessage
    return message.callback_data()[0].split(":")[3]


def _press_data(person: Person, message_id: int, data: str) -> dict:
    """A callback update with arbitrary (possibly forged) data on one of the bot's messages."""
    update = person.fake.press(person.last().button_texts()[0], message_id=message_id) \
        if person.last().buttons() else None
    if update is None:
        raise AssertionError("the person's last message needs a button to press")
    update["callback_query"]["data"] = data
    return update


async def test_receipt_is_sent_even_when_the_screen_cannot_be_edited(harness: Harness) -> None:
    c = await counter(harness, "en")
    pid, _, code = await arrived_parcel(harness.svc, c.store_id)
    await open_screen(c, code)
    harness.api.fail_next("editMessageText", 400, "Bad Request: message to edit not found",
                          chat_id=SHOP)
    (result,) = await c.shop.press("✅ Handed over")
    assert result.text.startswith("✅ Handed over")  # as a new message instead
    assert len(c.customer.new()) == 1
    assert await count(harness, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1
