"""First contact: /start, language, role menu, /help, /cancel, stray input — in three languages."""

from __future__ import annotations

import pytest
from telegram import BotCommandScopeChat

from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness

GREETING = {
    "en": "Namaste, Asha! I am the Kirana Partner Bot",
    "hi": "नमस्ते, Asha! मैं किराना पार्टनर बॉट हूँ",
    "mr": "नमस्कार, Asha! मी किराणा पार्टनर बॉट आहे",
}
MENU = {
    "en": ("What brings you here?", ["🏪 Run a partner store", "📦 Collect a parcel"]),
    "hi": ("आप किस काम से आए हैं?", ["🏪 पार्टनर स्टोर चलाएँ", "📦 पार्सल लें"]),
    "mr": ("तुम्ही कोणत्या कामासाठी आला आहात?", ["🏪 पार्टनर स्टोअर चालवा", "📦 पार्सल घ्या"]),
}
HELP_HEADER = {
    "en": "Here is what I can do for you:",
    "hi": "मैं आपके लिए ये काम कर सकता हूँ:",
    "mr": "मी तुमच्यासाठी ही कामे करू शकतो:",
}
NAMES = {"en": "English", "hi": "हिंदी", "mr": "मराठी"}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_new_user_greeted_in_telegram_language_with_it_first(
    harness: Harness, lang: str
) -> None:
    asha = harness.stranger(101, tg_language=lang)
    seen = await asha.send("/start")
    assert len(seen) == 1
    assert seen[0].text.startswith(GREETING[lang])
    assert seen[0].button_texts()[0] == NAMES[lang]
    assert sorted(seen[0].button_texts()) == sorted(NAMES.values())


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_choosing_a_language_switches_everything(harness: Harness, lang: str) -> None:
    asha = harness.stranger(101, tg_language="en")
    await asha.send("/start")
    seen = await asha.press(NAMES[lang])
    assert asha.callback_answers(), "the button press was answered"
    edited, menu = seen
    assert NAMES[lang] in edited.text and "✓" in edited.text
    title, buttons = MENU[lang]
    assert menu.text == title
    assert menu.button_texts() == buttons
    # The chat's command menu is now in that language.
    chat_commands = harness.api.commands(BotCommandScopeChat(101))
    help_cmd = next(c for c in chat_commands if c["command"] == "help")
    expected = {"en": "What I can do for you", "hi": "मैं आपके लिए क्या कर सकता हूँ",
                "mr": "मी तुमच्यासाठी काय करू शकतो"}[lang]
    assert help_cmd["description"] == expected
    # And later messages too.
    (help_msg,) = await asha.send("/help")
    assert help_msg.text.startswith(HELP_HEADER[lang])


async def test_default_command_menus_are_set_per_language(harness: Harness) -> None:
    default = {c["command"]: c["description"] for c in harness.api.commands()}
    hindi = {c["command"]: c["description"] for c in harness.api.commands(language_code="hi")}
    marathi = {c["command"]: c["description"] for c in harness.api.commands(language_code="mr")}
    assert default["language"] == "Change language"
    assert hindi["language"] == "भाषा बदलें"
    assert marathi["language"] == "भाषा बदला"
    assert set(default) == set(hindi) == set(marathi) >= {"start", "help", "language", "cancel"}


async def test_what_can_this_bot_do_is_set_in_three_languages(harness: Harness) -> None:
    """Telegram shows these before anyone writes: default English, Hindi and Marathi."""
    api = harness.api
    assert api.description().startswith("Kirana Partner: collect your parcels")
    assert api.description("hi").startswith("किराना पार्टनर:")
    assert api.description("mr").startswith("किराणा पार्टनर:")
    assert api.description(short=True).startswith("Collect your parcels at a neighbourhood shop")
    for lang in ("hi", "mr"):
        assert 0 < len(api.description(lang)) <= 512
        assert 0 < len(api.description(lang, short=True)) <= 120
        assert api.description(lang, short=True) != api.description(short=True)


async def test_language_survives_a_restart(harness: Harness) -> None:
    asha = await harness.person(101, "en")
    await asha.send("/language")
    await asha.press("मराठी")
    await harness.restart()
    (help_msg,) = await asha.send("/help")
    assert help_msg.text.startswith(HELP_HEADER["mr"])


async def test_returning_user_gets_menu_without_language_question(harness: Harness) -> None:
    asha = await harness.person(101, "hi")
    (menu,) = await asha.send("/start")
    assert menu.text.startswith("नमस्ते, Asha!")
    assert menu.button_texts() == MENU["hi"][1]


async def test_admin_gets_admin_menu(harness: Harness) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    (menu,) = await admin.send("/start")
    assert "Admin menu" in menu.text


@pytest.mark.parametrize(
    ("lang", "hint"),
    [
        ("en", "Sorry, I did not understand that."),
        ("hi", "माफ़ कीजिए, यह मैं समझ नहीं पाया।"),
        ("mr", "माफ करा, मला ते समजले नाही."),
    ],
)
async def test_unexpected_input_gets_hint_and_menu(harness: Harness, lang: str, hint: str) -> None:
    asha = await harness.person(101, lang)
    for act in (asha.send("hello?"), asha.send_sticker(), asha.send_photo()):
        (reply,) = await act
        assert reply.text.startswith(hint)
        assert reply.button_texts() == MENU[lang][1]
    (reply,) = await asha.send("/frobnicate")
    assert "/help" in reply.text


@pytest.mark.parametrize("data", ["1:nothing:here", "0:menu:store", "garbage", "1:menu:nope"])
async def test_stale_or_forged_buttons_are_answered_and_do_nothing(
    harness: Harness, data: str
) -> None:
    asha = await harness.person(101, "hi")
    menu = asha.last()
    update = asha.fake.press("📦 पार्सल लें", message_id=menu.message_id)
    update["callback_query"]["data"] = data
    await harness.feed(update)
    answers = asha.callback_answers()
    assert answers[-1].text == "यह बटन अब काम नहीं करता।"
    assert asha.new() == []


async def test_every_button_press_is_answered(harness: Harness) -> None:
    asha = await harness.person(101, "en")
    await asha.press("📦 Collect a parcel")
    presses = harness.api.count("answerCallbackQuery")
    assert presses == len(asha.callback_answers()) == 2  # language + menu button


async def test_cancel_with_nothing_to_cancel(harness: Harness) -> None:
    asha = await harness.person(101, "mr")
    (reply,) = await asha.send("/cancel")
    assert reply.text.startswith("रद्द करण्यासारखे काहीही नाही.")


async def test_failure_inside_a_handler_gets_a_short_localised_apology(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    asha = await harness.person(101, "hi")
    harness.api.fail_next("sendMessage", 400, "Bad Request: something odd", chat_id=101)
    seen = await asha.send("/help")
    assert [m.text for m in seen] == ["माफ़ कीजिए, हमारी तरफ़ से कुछ गड़बड़ हो गई। कृपया फिर से कोशिश करें।"]
    assert "Traceback" not in seen[0].text
    assert any("error while handling" in r.message for r in caplog.records)


async def test_the_same_button_update_delivered_twice_gets_no_apology(harness: Harness) -> None:
    asha = await harness.person(101, "en")
    update = asha.fake.press("📦 Collect a parcel")
    await harness.feed(update)
    asha.new()
    await harness.replay(update)  # handled again after a kill; a second answer is refused
    assert not any("went wrong" in (m.text or "") for m in asha.new())


async def test_an_admin_who_runs_a_store_sees_both_menus_and_commands(harness: Harness) -> None:
    from tests.factories import approved_store

    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    await approved_store(harness.svc, ADMIN_ID)
    await admin.send("/language")
    await admin.press("English")
    (menu,) = await admin.send("/start")
    buttons = menu.button_texts()
    assert "📝 Store applications" in buttons and "📦 Hand over a parcel" in buttons
    (help_msg,) = await admin.send("/help")
    assert "/applications" in help_msg.text and "/pickup" in help_msg.text
    chat = {c["command"] for c in harness.api.commands(BotCommandScopeChat(ADMIN_ID))}
    assert {"applications", "pickup", "earnings"} <= chat


async def test_a_notice_to_someone_else_during_shutdown_is_recorded_not_raised(
    harness: Harness,
) -> None:
    from bot.handlers.delivery import deliver

    await harness.person(101, "en")
    svc, bot = harness.svc, harness.app.bot
    await bot.shutdown()  # the HTTP client closes, as at the end of run_polling
    assert await deliver(bot, svc, 101, "Your parcel has arrived") is None
    row = await svc.db.fetchone(
        "SELECT chat_id, payload ->> '$.text' AS text, error FROM outbox WHERE state = 'failed'")
    assert (row["chat_id"], row["text"]) == (101, "Your parcel has arrived")
    assert "stopping" in row["error"]
    await bot.initialize()
