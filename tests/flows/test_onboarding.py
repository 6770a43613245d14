"""Store onboarding as the shopkeeper and the admin see it, in English, Hindi and Marathi."""

from __future__ import annotations

import pytest
from telegram import BotCommandScopeChat

from bot.services import onboarding
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness
from tests.flows.onboarding_steps import (
    BACK,
    GOOD,
    HEADER,
    KEEP,
    RUN_A_STORE,
    STEPS,
    SUBMIT,
    answer,
    answer_until,
    fill_application,
    reply_keyboard_texts,
    start_registration,
    update_for,
)

SHOP = 101

INTRO = {
    "en": "Let's register your shop as a partner store: 9 short questions.",
    "hi": "आइए आपकी दुकान को पार्टनर स्टोर के रूप में रजिस्टर करें: 9 छोटे सवाल।",
    "mr": "चला, तुमचे दुकान पार्टनर स्टोअर म्हणून नोंदवूया: 9 छोटे प्रश्न.",
}
FIRST_QUESTION = {
    "en": "What is your shop's name, as on the signboard?",
    "hi": "आपकी दुकान का नाम क्या है, जैसा बोर्ड पर लिखा है?",
    "mr": "तुमच्या दुकानाचे नाव काय आहे, पाटीवर आहे तसे?",
}
SHARE = {"en": "📱 Share my number", "hi": "📱 मेरा नंबर भेजें", "mr": "📱 माझा नंबर पाठवा"}
SUMMARY = {
    "en": ["Your partner store application", "🏪 Shop name: Sharma Kirana",
           "📱 Mobile number: +91 98220 12345", "📍 Location: shared ✓",
           "🕘 Opening hours: 9 am – 9 pm", "📦 Capacity (parcels): 20",
           "💳 UPI id: ramesh@okaxis"],
    "hi": ["आपका पार्टनर स्टोर आवेदन", "🏪 दुकान का नाम: Sharma Kirana",
           "📱 मोबाइल नंबर: +91 98220 12345", "📍 लोकेशन: भेजी गई ✓",
           "🕘 खुलने का समय: सुबह 9 से रात 9 बजे तक", "📦 क्षमता (पार्सल): 20",
           "💳 UPI आईडी: ramesh@okaxis"],
    "mr": ["तुमचा पार्टनर स्टोअर अर्ज", "🏪 दुकानाचे नाव: Sharma Kirana",
           "📱 मोबाईल नंबर: +91 98220 12345", "📍 लोकेशन: पाठवले ✓",
           "🕘 उघडण्याची वेळ: सकाळी 9 ते रात्री 9", "📦 क्षमता (पार्सल): 20",
           "💳 UPI आयडी: ramesh@okaxis"],
}
SENT = {
    "en": "✅ Application sent! An admin will check Sharma Kirana",
    "hi": "✅ आवेदन भेज दिया! एडमिन Sharma Kirana की जाँच करेंगे",
    "mr": "✅ अर्ज पाठवला! ॲडमिन Sharma Kirana ची तपासणी करतील",
}
CARD = {
    "en": ("📝 Partner store application #1", "(own Telegram number ✓)",
           "📍 Location: map pin below", "Applicant: Asha (Telegram id 101)",
           ["✅ Approve", "❌ Reject"]),
    "hi": ("📝 पार्टनर स्टोर आवेदन #1", "(अपना टेलीग्राम नंबर ✓)",
           "📍 लोकेशन: नक्शे की पिन नीचे", "आवेदक: Asha (टेलीग्राम आईडी 101)",
           ["✅ मंज़ूर करें", "❌ अस्वीकार करें"]),
    "mr": ("📝 पार्टनर स्टोअर अर्ज #1", "(स्वतःचा टेलिग्राम नंबर ✓)",
           "📍 लोकेशन: नकाशावरील पिन खाली", "अर्जदार: Asha (टेलिग्राम आयडी 101)",
           ["✅ मंजूर करा", "❌ नाकारा"]),
}
APPROVED_ANSWER = {"en": "Approved.", "hi": "मंज़ूर कर दिया।", "mr": "मंजूर केला."}
APPROVED_LINE = {
    "en": "✅ Approved by Ravi, 2 November 2026, 10:00 am. Store code: KS-0001",
    "hi": "✅ Ravi ने मंज़ूर किया, 2 नवंबर 2026, सुबह 10। स्टोर कोड: KS-0001",
    "mr": "✅ Ravi यांनी मंजूर केला, 2 नोव्हेंबर 2026, सकाळी 10. स्टोअर कोड: KS-0001",
}
CONGRATS = {
    "en": ("🎉 Congratulations! Sharma Kirana is now a partner store.\n"
           "Your store code: KS-0001\n\nCommands for your store:\n"
           "/mystore — Your store's details and store code\n\n/help shows all commands."),
    "hi": ("🎉 बधाई हो! Sharma Kirana अब पार्टनर स्टोर है।\nआपका स्टोर कोड: KS-0001\n\n"
           "आपके स्टोर के लिए कमांड:\n/mystore — आपके स्टोर की जानकारी और स्टोर कोड\n\n"
           "/help सभी कमांड दिखाता है।"),
    "mr": ("🎉 अभिनंदन! Sharma Kirana आता पार्टनर स्टोअर आहे.\nतुमचा स्टोअर कोड: KS-0001\n\n"
           "तुमच्या स्टोअरसाठी कमांड:\n/mystore — तुमच्या स्टोअरची माहिती आणि स्टोअर कोड\n\n"
           "/help सर्व कमांड दाखवते."),
}
MY_STORE = {"en": "🏪 My store", "hi": "🏪 मेरा स्टोर", "mr": "🏪 माझे स्टोअर"}
MY_STORE_TEXT = {
    "en": ("🏪 Sharma Kirana\nStore code: KS-0001\n🏠 Shop 4, Shivaji Chowk, Kothrud, Pune, "
           "411038\n🕘 Opening hours: 9 am – 9 pm\n📦 Capacity (parcels): 20"),
    "hi": ("🏪 Sharma Kirana\nस्टोर कोड: KS-0001\n🏠 Shop 4, Shivaji Chowk, Kothrud, Pune, "
           "411038\n🕘 खुलने का समय: सुबह 9 से रात 9 बजे तक\n📦 क्षमता (पार्सल): 20"),
    "mr": ("🏪 Sharma Kirana\nस्टोअर कोड: KS-0001\n🏠 Shop 4, Shivaji Chowk, Kothrud, Pune, "
           "411038\n🕘 उघडण्याची वेळ: सकाळी 9 ते रात्री 9\n📦 क्षमता (पार्सल): 20"),
}


async def _store_row(h: Harness, store_id: int = 1):
    return await h.svc.db.fetchone("SELECT * FROM stores WHERE id = ?", (store_id,))


# ------------------------------------------------------------------------ the whole path

PENDING_MENU = {
    "en": "Your store application is waiting for an admin's decision.",
    "hi": "आपका स्टोर आवेदन एडमिन के फ़ैसले का इंतज़ार कर रहा है।",
    "mr": "तुमचा स्टोअर अर्ज ॲडमिनच्या निर्णयाची वाट पाहत आहे.",
}
MY_APPLICATION = {"en": "📝 My application", "hi": "📝 मेरा आवेदन", "mr": "📝 माझा अर्ज"}
WAITING = {
    "en": "Your application for Sharma Kirana is waiting for an admin's decision.",
    "hi": "Sharma Kirana के लिए आपका आवेदन एडमिन के फ़ैसले का इंतज़ार कर रहा है।",
    "mr": "Sharma Kirana साठीचा तुमचा अर्ज ॲडमिनच्या निर्णयाची वाट पाहत आहे.",
}

HOURS_READ = {
    "en": "🕘 Opening hours: 9 am – 9 pm",
    "hi": "🕘 खुलने का समय: सुबह 9 से रात 9 बजे तक",
    "mr": "🕘 उघडण्याची वेळ: सकाळी 9 ते रात्री 9",
}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_whole_path_to_approval(harness: Harness, lang: str) -> None:
    admin = await harness.person(ADMIN_ID, lang, first_name="Ravi")
    asha = await harness.person(SHOP, lang)

    (first,) = await asha.press(RUN_A_STORE[lang])
    assert first.text.startswith(INTRO[lang])
    assert f"{HEADER[lang].format(n=1)}\n{FIRST_QUESTION[lang]}" in first.text
    assert first.reply_markup == {"remove_keyboard": True}

    for number, step in enumerate(STEPS, start=1):
        seen = await answer(asha, step)
        if number < len(STEPS):
            (question,) = seen
            if step == "hours":  # typed hours are shown back as read, before the next question
                assert question.text.startswith(HOURS_READ[lang]), question.text
                assert f"\n\n{HEADER[lang].format(n=number + 1)}" in question.text
            else:
                assert question.text.startswith(HEADER[lang].format(n=number + 1)), question.text
            assert BACK[lang] in reply_keyboard_texts(question)
            if step == "owner_name":  # the mobile question offers the contact button
                (button, *_rest) = question.reply_markup["keyboard"][0]
                assert button == {"text": SHARE[lang], "request_contact": True}
    intro, summary = seen
    assert intro.reply_markup == {"remove_keyboard": True}
    for line in SUMMARY[lang]:
        assert line in summary.text
    assert summary.button_texts()[-1] == SUBMIT[lang]

    seen = await asha.press(SUBMIT[lang])
    assert seen[-1].text.startswith(SENT[lang])
    assert summary.message_id in [m.message_id for m in seen]  # its buttons were taken away
    assert harness.api.message(SHOP, summary.message_id).inline_keyboard == []
    # Pending: the menu shows the application, not "run a partner store" again; no /register.
    assert PENDING_MENU[lang] in seen[-1].text
    assert seen[-1].button_texts()[0] == MY_APPLICATION[lang]
    assert RUN_A_STORE[lang] not in seen[-1].button_texts()
    commands = {c["command"] for c in harness.api.commands(BotCommandScopeChat(SHOP))}
    assert "register" not in commands and "myparcels" in commands
    (helped,) = await asha.send("/help")
    assert "/register" not in helped.text
    (state,) = await asha.press(MY_APPLICATION[lang])
    assert state.text.startswith(WAITING[lang])

    (card,) = admin.new()
    title, mobile_note, location, applicant, buttons = CARD[lang]
    assert card.text.startswith(title)
    assert mobile_note in card.text and location in card.text and applicant in card.text
    assert card.button_texts() == buttons
    # The map pin is a link in the card (one message: docs/outbox.md).
    (link,) = [e for e in card.entities if e["type"] == "text_link"]
    assert link["url"] == "https://maps.google.com/?q=18.507400,73.807700"

    (edited,) = await admin.press(buttons[0])
    assert admin.callback_answers()[-1].text == APPROVED_ANSWER[lang]
    assert edited.message_id == card.message_id
    assert edited.text.endswith(APPROVED_LINE[lang])
    assert edited.inline_keyboard == []

    (told,) = asha.new()
    head, commands_part = CONGRATS[lang].split("\n\n", 1)
    assert told.text.startswith(head + "\n\n")
    for line in commands_part.split("\n"):
        assert line in told.text  # the shopkeeper commands of every feature are listed
    assert "/pickup" in told.text and "/receive" in told.text
    assert MY_STORE[lang] in told.button_texts()
    commands = {c["command"] for c in harness.api.commands(BotCommandScopeChat(SHOP))}
    assert "mystore" in commands and "register" not in commands

    (mine,) = await asha.press(MY_STORE[lang])
    assert mine.text.startswith(MY_STORE_TEXT[lang])

    row = await _store_row(harness)
    assert (row["status"], row["code"], row["decided_by"]) == ("approved", "KS-0001", ADMIN_ID)
    assert row["decided_at"] is not None
    assert (row["shop_name"], row["owner_name"], row["mobile"], row["address"], row["pin_code"],
            row["latitude"], row["longitude"], row["opens_at"], row["closes_at"],
            row["capacity"], row["upi_id"], row["mobile_verified"]) == (
        "Sharma Kirana", "Ramesh Sharma", "+919822012345",
        "Shop 4, Shivaji Chowk, Kothrud, Pune", "411038", 18.5074, 73.8077, "09:00", "21:00",
        20, "ramesh@okaxis", 1)


REJECTED = {
    "en": ("Sorry, your application for Sharma Kirana was not approved.\n"
           "Reason: PIN code does not match the address."),
    "hi": ("माफ़ कीजिए, Sharma Kirana के लिए आपका आवेदन मंज़ूर नहीं हुआ।\n"
           "कारण: PIN code does not match the address."),
    "mr": ("माफ करा, Sharma Kirana साठीचा तुमचा अर्ज मंजूर झाला नाही.\n"
           "कारण: PIN code does not match the address."),
}
PREFILLED = {
    "en": "Your earlier application was not approved. Reason: PIN code does not match",
    "hi": "आपका पिछला आवेदन मंज़ूर नहीं हुआ था। कारण: PIN code does not match",
    "mr": "तुमचा आधीचा अर्ज मंजूर झाला नाही. कारण: PIN code does not match",
}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_rejection_with_reason_then_apply_again(harness: Harness, lang: str) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")  # each in their language
    asha = await harness.person(SHOP, lang)
    await fill_application(asha)
    await asha.press(SUBMIT[lang])
    admin.new()

    (prompt,) = await admin.press("❌ Reject")
    assert prompt.text.startswith("Why is Sharma Kirana (#1) not approved?")
    (too_short,) = await admin.send("no")
    assert too_short.text.startswith("⚠️ Please write a reason of at least 3 characters")
    assert (await _store_row(harness))["status"] == "pending"
    seen = await admin.send("PIN code does not match the address.")
    card = next(m for m in seen if m.text.startswith("📝 Partner store application #1"))
    assert card.text.endswith("❌ Rejected by Ravi, 2 November 2026, 10:00 am. "
                              "Reason: PIN code does not match the address.")
    assert card.inline_keyboard == []
    assert seen[-1].text.startswith("❌ Application #1 rejected. We told the shopkeeper.")

    (told,) = asha.new()
    assert told.text.startswith(REJECTED[lang])
    assert "/register" in told.text and RUN_A_STORE[lang] in told.text
    assert told.button_texts()[0] == RUN_A_STORE[lang]
    row = await _store_row(harness)
    assert (row["status"], row["code"], row["decided_by"], row["reject_reason"]) == (
        "rejected", None, ADMIN_ID, "PIN code does not match the address.")

    # Apply again: the earlier answers are filled in, straight at the summary.
    intro, summary = await asha.press(RUN_A_STORE[lang])
    assert intro.text.startswith(PREFILLED[lang])
    assert SUMMARY[lang][1] in summary.text
    await asha.press(summary.button_texts()[4])  # ✏️ PIN code
    await asha.send("411005")
    await asha.press(SUBMIT[lang])
    (card2,) = admin.new()
    assert card2.text.startswith("📝 Partner store application #2")
    assert "📮 PIN code: 411005" in card2.text
    await admin.press("✅ Approve")
    row = await _store_row(harness, 2)
    assert (row["status"], row["code"]) == ("approved", "KS-0002")  # never KS-0001 again


# ----------------------------------------------------------------------- wrong answers

# (step, what is sent, start of the reason shown). Every reason of every step.
WRONG = [
    ("shop_name", ("text", "A"), "The shop name is too short"),
    ("shop_name", ("text", "\u200b"), "The shop name is too short"),
    ("shop_name", ("text", "S" * 81), "The shop name is too long"),
    ("shop_name", ("sticker", None), "Please type your answer as a message."),
    ("shop_name", ("text", "Skip ➡️"), "This question cannot be skipped."),
    ("shop_name", ("text", "✔️ Keep the current answer"), "There is no earlier answer to keep"),
    ("shop_name", ("text", "⬅️ Back"), "This is the first question."),
    ("owner_name", ("text", "R"), "The name is too short"),
    ("owner_name", ("text", "R" * 61), "The name is too long"),
    ("owner_name", ("text", "12345"), "A name needs letters"),
    ("owner_name", ("photo", None), "Please type your answer as a message."),
    ("mobile", ("text", "\u200b"), "Please send a mobile number"),
    ("mobile", ("text", "98220-abcde"), "A mobile number has only digits"),
    ("mobile", ("text", "98220"), "That number is too short"),
    ("mobile", ("text", "982201234567"), "That number is too long"),
    ("mobile", ("text", "+1 415 555 0100"), "Please give an Indian mobile number (+91)"),
    ("mobile", ("text", "12345 67890"), "That is not a mobile number"),
    ("mobile", ("forged_contact", "919822012345"), "That contact is not your own number."),
    ("mobile", ("card_contact", "919822012345"), "That contact is not your own number."),
    ("mobile", ("contact", "14155550100"), "Please give an Indian mobile number (+91)"),
    ("mobile", ("location", (18.5, 73.8)), "Please type your answer as a message."),
    ("address", ("text", "Pune"), "The address is too short"),
    ("address", ("text", "A" * 201), "The address is too long"),
    ("pin_code", ("text", "\u200b"), "Please send the 6-digit PIN code"),
    ("pin_code", ("text", "4110"), "A PIN code has exactly 6 digits"),
    ("pin_code", ("text", "011038"), "A PIN code does not start with 0"),
    ("location", ("text", "Kothrud"), "Please send the shop's location with 📍 Send location"),
    ("location", ("sticker", None), "Please send the shop's location"),
    ("location", ("location", (51.5007, -0.1246)), "That location is outside India."),
    ("hours", ("text", "\u200b"), "Please send the opening hours"),
    ("hours", ("text", "morning"), "I could not read those hours."),
    ("hours", ("text", "25-26"), "That time does not exist"),
    ("hours", ("text", "18-2"), "The closing time must be after the opening time"),
    ("hours", ("text", "Skip ➡️"), "This question cannot be skipped."),
    ("capacity", ("text", "twenty"), "Please send a whole number of parcels"),
    ("capacity", ("text", "0"), "The shop must be able to keep at least 1 parcel"),
    ("capacity", ("text", "501"), "That is too many: at most 500 parcels"),
    ("upi_id", ("text", "\u200b"), "Please send your UPI id"),
    ("upi_id", ("text", "ramesh okaxis"), "That does not look like a UPI id."),
]


async def _send(person, what: tuple[str, object]):
    kind, value = what
    if kind == "sticker":
        return await person.send_sticker()
    if kind == "photo":
        return await person.send_photo()
    if kind == "forged_contact":
        return await person.share_contact(value, user_id=202)
    if kind == "card_contact":
        return await person.share_contact(value, user_id=None)
    return await answer(person, "", what)


@pytest.mark.parametrize(("step", "sent", "reason"), WRONG,
                         ids=[f"{s}-{r[:24]}" for s, _, r in WRONG])
async def test_wrong_answer_gets_reason_and_the_same_question(
    harness: Harness, step: str, sent: tuple[str, object], reason: str
) -> None:
    asha = await harness.person(SHOP, "en")
    asked = (await start_registration(asha))[-1]
    if step != STEPS[0]:
        asked = (await answer_until(asha, step))[-1]
    question = asked.text.split("\n\n")[-1]
    assert question.startswith(HEADER["en"].format(n=STEPS.index(step) + 1))

    (reply,) = await _send(asha, sent)
    assert reply.text.startswith(f"⚠️ {reason}"), reply.text
    assert reply.text.endswith(f"\n\n{question}")
    assert reply.reply_markup == asked.reply_markup
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.step == step

    # Nothing was saved: the good answer still moves on by one question.
    (nxt, *_rest) = await answer(asha, step)
    index = STEPS.index(step) + 1
    if index < len(STEPS):  # typed hours are first shown back as read
        assert nxt.text.startswith(HEADER["en"].format(n=index + 1)) or (
            step == "hours" and f"\n\n{HEADER['en'].format(n=index + 1)}" in nxt.text)
    else:
        assert nxt.text.startswith("Almost done!")


@pytest.mark.parametrize(
    ("lang", "step", "sent", "reason"),
    [
        ("hi", "pin_code", ("text", "4110"),
         "⚠️ पिन कोड में ठीक 6 अंक होते हैं, जैसे 411038।\n\nसवाल 5/9"),
        ("mr", "pin_code", ("text", "4110"),
         "⚠️ पिन कोडमध्ये बरोबर 6 अंक असतात, उदा. 411038.\n\nप्रश्न 5/9"),
        ("hi", "hours", ("text", "18-2"), "⚠️ बंद होने का समय उसी दिन खुलने के समय के बाद"),
        ("mr", "hours", ("text", "18-2"),
         "⚠️ बंद होण्याची वेळ त्याच दिवशी उघडण्याच्या वेळेनंतर हवी, उदा. 9-21. दुकान कधीच "
         "बंद होत नसेल तर 🕛 24 तास उघडे दाबा."),
        ("mr", "mobile", ("forged_contact", "919822012345"),
         "⚠️ हा संपर्क तुमचा स्वतःचा नंबर नाही. तुमचा नंबर पाठवण्यासाठी 📱 माझा नंबर पाठवा दाबा"),
        ("hi", "capacity", ("text", "501"), "⚠️ यह बहुत ज़्यादा है: ज़्यादा से ज़्यादा 500 पार्सल"),
    ],
)
async def test_wrong_answers_are_explained_in_the_users_language(
    harness: Harness, lang: str, step: str, sent: tuple[str, object], reason: str
) -> None:
    asha = await harness.person(SHOP, lang)
    await start_registration(asha)
    await answer_until(asha, step)
    (reply,) = await _send(asha, sent)
    assert reply.text.startswith(reason), reply.text


async def test_typing_at_the_summary_points_to_its_buttons(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await fill_application(asha)
    intro, summary = await asha.send("looks fine")
    assert intro.text.startswith("⚠️ Please use the buttons under the summary")
    assert summary.button_texts()[-1] == SUBMIT["en"]


# ----------------------------------------------------------------- contact and location


async def test_own_contact_is_marked_checked_and_typed_number_is_not(harness: Harness) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, "mobile")
    (refused,) = await asha.share_contact("919822012345", user_id=202)
    assert refused.text.startswith("⚠️ That contact is not your own number.")
    (nxt,) = await asha.send("098220 12345")
    assert nxt.text.startswith("Step 4 of 9")
    for step in STEPS[3:5]:
        await answer(asha, step)
    (skip_ok,) = await asha.send("Skip ➡️")  # no location
    assert skip_ok.text.startswith("Step 7 of 9")
    for step in STEPS[6:8]:
        await answer(asha, step)
    intro, summary = await asha.send("Skip ➡️")  # no UPI id
    assert "📍 Location: not shared" in summary.text
    assert "💳 UPI id: not given" in summary.text
    await asha.press(SUBMIT["en"])
    (card,) = admin.new()  # no map pin without a location
    assert "📱 Mobile number: +91 98220 12345 (typed, not checked)" in card.text
    row = await _store_row(harness)
    assert (row["latitude"], row["longitude"], row["upi_id"], row["mobile_verified"]) == (
        None, None, None, 0)


READ_AS_PM = {
    "en": ("🕘 I read the opening hours as 8 am – 10 pm. Not right? Tap ⬅️ Back and write, "
           "for example, 8 am – 10 am.", "8 am – 10 am"),
    "hi": ("🕘 मैंने खुलने का समय सुबह 8 से रात 10 बजे तक समझा है। सही नहीं है? ⬅️ पीछे दबाएँ और "
           "ऐसे लिखें, जैसे सुबह 8 से सुबह 10 बजे तक।", "सुबह 8 से सुबह 10 बजे तक"),
    "mr": ("🕘 उघडण्याची वेळ मी सकाळी 8 ते रात्री 10 अशी समजलो आहे. बरोबर नसेल तर ⬅️ मागे दाबा "
           "आणि असे लिहा, उदा. सकाळी 8 ते सकाळी 10.", "सकाळी 8 ते सकाळी 10"),
}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_hours_read_by_the_rule_are_said_and_easy_to_correct(
    harness: Harness, lang: str
) -> None:
    """"8-10" is read as 8 am to 10 pm, never silently: the bot says so, and the other reading
    it suggests is read exactly as written when typed back."""
    asha = await harness.person(SHOP, lang)
    await start_registration(asha)
    await answer_until(asha, "hours")
    (told,) = await asha.send({"en": "8-10", "hi": "8 से 10", "mr": "8 ते 10"}[lang])
    said, example = READ_AS_PM[lang]
    assert told.text.startswith(said + "\n\n"), told.text
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.answers["hours"]["closes"] == "22:00"

    await asha.send(BACK[lang])
    (asked,) = await asha.send(example)
    assert not asked.text.startswith("🕘 I read")  # read as written: nothing to explain
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None
    assert (draft.answers["hours"]["opens"], draft.answers["hours"]["closes"]) == (
        "08:00", "10:00")


async def test_hours_buttons_and_all_day(harness: Harness) -> None:
    asha = await harness.person(SHOP, "hi")
    await start_registration(asha)
    (asked,) = await answer_until(asha, "hours")
    assert reply_keyboard_texts(asked) == [
        "सुबह 9 से रात 9 बजे तक", "सुबह 8 से रात 10 बजे तक", "सुबह 10 से रात 8 बजे तक",
        "सुबह 7 से रात 11 बजे तक", "🕛 24 घंटे खुला", "⬅️ पीछे"]
    (capacity,) = await asha.send("🕛 24 घंटे खुला")
    assert reply_keyboard_texts(capacity) == ["10", "20", "50", "⬅️ पीछे"]
    await asha.send("50")
    _intro, summary = await asha.send("kirana.shop@ybl")
    assert "🕘 खुलने का समय: 24 घंटे खुला" in summary.text
    assert "📦 क्षमता (पार्सल): 50" in summary.text


# --------------------------------------------------------------------- back and keep


@pytest.mark.parametrize("number", range(2, len(STEPS) + 2))
async def test_back_returns_to_the_previous_question_keeping_answers(
    harness: Harness, number: int
) -> None:
    """Back from question ``number`` (10: the summary) shows the previous one with its answer."""
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, STEPS[number - 1] if number <= len(STEPS) else None)
    (previous,) = await asha.send(BACK["en"])
    assert previous.text.startswith(HEADER["en"].format(n=number - 1))
    assert "\n\nCurrent answer: " in previous.text
    assert KEEP["en"] in reply_keyboard_texts(previous)
    # Keep goes forward again, nothing lost.
    seen = await asha.send(KEEP["en"])
    if number <= len(STEPS):
        assert seen[-1].text.startswith(HEADER["en"].format(n=number))
    else:
        assert seen[-1].text.startswith("Your partner store application")
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None
    assert set(draft.answers) >= set(STEPS[: number - 1])


async def test_fixing_an_earlier_answer_jumps_back_to_where_you_were(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, "pin_code")
    await asha.send(BACK["en"])  # address
    await asha.send(BACK["en"])  # mobile
    (owner,) = await asha.send(BACK["en"])
    assert owner.text.startswith("Step 2 of 9")
    assert "Current answer: Ramesh Sharma" in owner.text
    (pin,) = await asha.send("Ramesh Kumar Sharma")
    assert pin.text.startswith("Step 5 of 9")  # the first unanswered question
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.answers["owner_name"] == "Ramesh Kumar Sharma"


# ------------------------------------------------------------------ edit from the summary

EDITS = [
    ("shop_name", ("text", "Patil General Store"), "🏪 Shop name: Patil General Store"),
    ("owner_name", ("text", "Sunita Patil"), "👤 Owner's name: Sunita Patil"),
    ("mobile", ("text", "91234 56780"), "📱 Mobile number: +91 91234 56780"),
    ("address", ("text", "7 FC Road, Shivajinagar, Pune"), "🏠 Address: 7 FC Road, Shivajinagar"),
    ("pin_code", ("text", "411005"), "📮 PIN code: 411005"),
    ("location", ("text", "Skip ➡️"), "📍 Location: not shared"),
    ("hours", ("text", "8am-10pm"), "🕘 Opening hours: 8 am – 10 pm"),
    ("capacity", ("text", "50"), "📦 Capacity (parcels): 50"),
    ("upi_id", ("text", "Skip ➡️"), "💳 UPI id: not given"),
]
LABELS = ["Shop name", "Owner's name", "Mobile number", "Address", "PIN code", "Location",
          "Opening hours", "Capacity (parcels)", "UPI id"]


@pytest.mark.parametrize(("step", "new", "line"), EDITS, ids=[e[0] for e in EDITS])
async def test_edit_one_field_from_the_summary(
    harness: Harness, step: str, new: tuple[str, object], line: str
) -> None:
    asha = await harness.person(SHOP, "en")
    _intro, summary = await fill_application(asha)
    seen = await asha.press("✏️ " + LABELS[STEPS.index(step)])
    question = seen[-1]
    assert question.text.startswith(HEADER["en"].format(n=STEPS.index(step) + 1))
    assert "Current answer:" in question.text
    assert KEEP["en"] in reply_keyboard_texts(question)
    assert BACK["en"] not in reply_keyboard_texts(question)  # from the summary: back = keep
    assert harness.api.message(SHOP, summary.message_id).inline_keyboard == []

    _intro, new_summary = await answer(asha, step, new)
    assert line in new_summary.text
    unchanged = [ln for ln in summary.text.splitlines() if not ln.startswith(line[:3])]
    assert all(ln in new_summary.text for ln in unchanged)

    await asha.press(SUBMIT["en"])
    assert (await _store_row(harness))["status"] == "pending"


async def test_older_summary_cannot_submit_and_keep_changes_nothing(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    _intro, first = await fill_application(asha)
    old_submit = first.callback_data()[-1]
    await asha.press("✏️ Address")
    (bad,) = await asha.send("Pune")
    assert bad.text.startswith("⚠️ The address is too short")
    _intro, second = await asha.send(KEEP["en"])
    assert second.text == first.text
    # The first summary lost its buttons; its submit, sent anyway (an old client, a forged
    # update), is answered "expired" and submits nothing.
    assert harness.api.message(SHOP, first.message_id).inline_keyboard == []
    update = asha.fake.press(SUBMIT["en"], message_id=second.message_id)
    update["callback_query"]["data"] = old_submit
    await harness.feed(update)
    assert asha.callback_answers()[-1].text == "This button has expired."
    assert asha.new() == []
    assert await _store_row(harness) is None
    await asha.press("✏️ UPI id")
    _intro, third = await asha.send(BACK["en"])  # back from an edit: the summary again
    assert third.text == first.text
    await asha.press(SUBMIT["en"])
    assert (await _store_row(harness))["upi_id"] == "ramesh@okaxis"


# ------------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("number", range(1, len(STEPS) + 2))
async def test_cancel_on_every_step_deletes_the_answers(harness: Harness, number: int) -> None:
    asha = await harness.person(SHOP, "mr")
    await start_registration(asha)
    await answer_until(asha, STEPS[number - 1] if number <= len(STEPS) else None)
    stopped, menu = await asha.send("/cancel")
    assert stopped.text == "दुकानाची नोंदणी थांबवली; तिची उत्तरे हटवली आहेत."
    assert stopped.reply_markup == {"remove_keyboard": True}
    assert menu.text.startswith("रद्द केले. काहीही सेव्ह झाले नाही.") or "रद्द" in menu.text
    assert menu.button_texts()[0] == RUN_A_STORE["mr"]
    assert await onboarding.current(harness.svc, SHOP) is None
    (again,) = await asha.send("/register")  # a fresh start, nothing kept
    assert again.text.startswith(INTRO["mr"])
    assert "सध्याचे उत्तर" not in again.text


# ------------------------------------------------------------------ coming back later


async def test_returning_days_later_is_offered_continue_or_start_over(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, "address")
    harness.clock.advance(days=3)
    (offer,) = await asha.send("Shop 4, Shivaji Chowk, Kothrud, Pune")
    assert offer.text == ("Welcome back! On 2 November 2026 you started registering Sharma Kirana. "
                          "Continue where you stopped, or start over?")
    assert offer.button_texts() == ["▶️ Continue", "🔄 Start over"]
    (again,) = await asha.send("hello?")  # the choice is still open; nothing was taken
    assert again.text == offer.text
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.step == "address" and "address" not in draft.answers

    seen = await asha.press("▶️ Continue")
    assert seen[-1].text.startswith("Let's continue where you stopped.\n\nStep 4 of 9")
    (pin,) = await answer(asha, "address")
    assert pin.text.startswith("Step 5 of 9")


async def test_start_over_forgets_the_answers(harness: Harness) -> None:
    asha = await harness.person(SHOP, "hi")
    await start_registration(asha)
    await answer_until(asha, "hours")
    harness.clock.advance(days=5)
    (offer,) = await asha.send("/register")
    assert offer.text.startswith("फिर से स्वागत है!")
    seen = await asha.press("🔄 फिर से शुरू करें")
    assert seen[-1].text.startswith("आइए आपकी दुकान को पार्टनर स्टोर के रूप में रजिस्टर करें")
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.step == "shop_name" and draft.answers == {}
    assert harness.api.message(SHOP, offer.message_id).inline_keyboard == []  # used up


async def test_back_within_days_continues_without_asking(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, "pin_code")
    harness.clock.advance(days=2, hours=23)
    await asha.send("/start")  # the menu; the application stays
    (resumed,) = await asha.press(RUN_A_STORE["en"])
    assert resumed.text.startswith("Welcome back! Let's continue where you stopped.\n\n"
                                   "Step 5 of 9")


# ------------------------------------------------------------------- one application


async def test_pending_application_blocks_a_second_and_approved_is_not_offered_again(
    harness: Harness,
) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    asha = await harness.person(SHOP, "en")
    await fill_application(asha)
    await asha.press(SUBMIT["en"])
    (menu,) = await asha.send("/register")
    assert menu.text.startswith("Your application for Sharma Kirana is waiting for an admin's "
                                "decision.")
    (menu,) = await asha.press(MY_APPLICATION["en"])  # the pending menu shows the application
    assert menu.text.startswith("Your application for Sharma Kirana is waiting")
    assert await onboarding.current(harness.svc, SHOP) is None
    admin.new()
    await admin.press("✅ Approve")
    asha.new()
    (menu,) = await asha.send("/start")
    assert RUN_A_STORE["en"] not in menu.button_texts()
    (menu,) = await asha.send("/register")
    assert menu.text.startswith("You already run the partner store Sharma Kirana, "
                                "store code KS-0001.")
    count = await harness.svc.db.fetchval("SELECT COUNT(*) FROM stores")
    assert count == 1


async def test_double_tap_on_submit_sends_one_application(harness: Harness) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    asha = await harness.person(SHOP, "en")
    await fill_application(asha)
    summary = asha.last()
    press = asha.fake.press(SUBMIT["en"], message_id=summary.message_id)
    again = asha.fake.press(SUBMIT["en"], message_id=summary.message_id)
    await harness.feed_concurrently([press, again])
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM stores") == 1
    answers = [a.text for a in asha.callback_answers()[-2:]]
    assert sorted(answers) == ["", "This button has expired."]
    assert [m.text for m in asha.new()].count(
        next(t for t in asha.texts() if t.startswith("✅ Application sent"))) == 1
    assert len([m for m in admin.new() if m.kind == "text"]) == 1


async def test_a_message_delivered_twice_is_applied_once(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    update = update_for(asha, "shop_name")
    await harness.feed(update)
    (question,) = asha.new()
    assert await harness.inbox.accept([update]) == []  # Telegram sends it again: ignored
    assert asha.new() == []
    await harness.replay(update)  # handled again after a kill before its done-mark
    (again,) = asha.new()  # applied once; the reply that may have been lost, once more
    assert again.text == question.text
    draft = await onboarding.current(harness.svc, SHOP)
    assert draft is not None and draft.step == "owner_name"
    assert draft.answers == {"shop_name": "Sharma Kirana"}


async def test_my_store_for_someone_without_a_store(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    (reply,) = await asha.send("/mystore")
    assert reply.text.startswith("You do not run an approved partner store yet.")
    update = asha.fake.press(RUN_A_STORE["en"], message_id=reply.message_id)
    update["callback_query"]["data"] = "1:menu:mystore"  # forged: not in a newcomer's menu
    await harness.feed(update)
    (reply,) = asha.new()
    assert reply.text.startswith("You do not run an approved partner store yet.")


async def test_keyboard_from_before_a_language_change_still_works(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer_until(asha, "address")
    await asha.send("/language")
    await asha.press("हिंदी")
    (previous,) = await asha.send(BACK["en"])  # the old English keyboard button
    assert previous.text.startswith("सवाल 3/9")


def test_good_answers_cover_every_step() -> None:
    assert list(GOOD) == STEPS == [s.value for s in onboarding.QUESTIONS]
