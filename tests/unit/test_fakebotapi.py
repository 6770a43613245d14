"""The fake Bot API answers a real PTB ``Bot`` the way Telegram does.

Most tests run twice: in-process through ``FakeRequest`` and over real HTTP through
``FakeBotAPIServer`` with the bot's own transport (``bot.telegram_request.AiohttpRequest``:
uploads, downloads and errors included), so both are held to the same behaviour.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.playground.botapi import (
    DEFAULT_TOKEN,
    EntityParseError,
    FakeBotAPI,
    FakeBotAPIServer,
    FakeRequest,
    FakeUser,
    WaitTimeout,
    parse_html,
)
from bot.playground.botapi.control import action
from bot.playground.botapi.core import NOT_MODIFIED, QUERY_TOO_OLD
from bot.telegram_request import AiohttpRequest

CHAT = 1001

# PTB itself warns when it builds a RetryAfter with an int retry_after.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    api: FakeBotAPI
    bot: Bot
    user: FakeUser


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _make_bot(api: FakeBotAPI, base_url: str | None = None, file_url: str | None = None) -> Bot:
    if base_url is None:
        return Bot(api.token, request=FakeRequest(api), get_updates_request=FakeRequest(api))
    return Bot(api.token, base_url=base_url, base_file_url=file_url,
               request=AiohttpRequest(8), get_updates_request=AiohttpRequest(1))


@pytest.fixture(params=["inprocess", "http"])
async def env(request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    clock = FakeClock()
    api = FakeBotAPI(clock=clock)
    user = api.user(CHAT, first_name="Asha", language_code="hi")
    server: FakeBotAPIServer | None = None
    if request.param == "http":
        server = FakeBotAPIServer(api)
        base_url, file_url = await server.start()
        bot = _make_bot(api, base_url, file_url)
    else:
        bot = _make_bot(api)
    try:
        async with bot:
            yield Env(api, bot, user)
    finally:
        if server is not None:
            await server.stop()


@pytest.fixture
async def inproc() -> AsyncIterator[Env]:
    api = FakeBotAPI(clock=FakeClock())
    user = api.user(CHAT)
    async with _make_bot(api) as bot:
        yield Env(api, bot, user)


# ----------------------------------------------------------------- basics


async def test_get_me_is_a_proper_bot_user(env: Env) -> None:
    me = await env.bot.get_me()
    assert me.is_bot is True
    assert me.username == "kirana_test_bot"
    assert me.id == int(DEFAULT_TOKEN.split(":")[0])
    assert me.can_join_groups is True
    assert env.api.count("getme") >= 1


async def test_send_message_has_telegram_shape(env: Env) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes ✅", callback_data="yes")]])
    first = await env.bot.send_message(
        CHAT, "<b>Namaste</b> Asha &amp; co", parse_mode="HTML", reply_markup=markup
    )
    second = await env.bot.send_message(CHAT, "plain")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.from_user.is_bot and first.from_user.username == "kirana_test_bot"
    assert first.text == "Namaste Asha & co"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bold", 0, 7)]
    assert first.reply_markup == markup
    assert isinstance(first.date, dtm.datetime)
    assert abs(first.date.timestamp() - env.api.wall_clock()) < 5  # seconds, not ms

    raw = env.api.requests_for("sendMessage")[0]
    assert raw.params["chat_id"] == CHAT and raw.status == 200
    stored = env.api.messages(CHAT)
    assert [m.text for m in stored] == ["Namaste Asha & co", "plain"]
    assert stored[0].reply_markup == markup.to_dict()
    assert stored[0].button_texts() == ["Yes ✅"]
    assert env.user.texts() == ["Namaste Asha & co", "plain"]
    assert env.api.sent_texts(CHAT) == ["Namaste Asha & co", "plain"]
    assert env.api.delivered_count == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("2 < 3", 'unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "unmatched end tag at byte offset 4"),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("Sharma & Sons", '"&" at byte offset 7'),
        ('<span class="x">y</span>', 'tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_bad_request(env: Env, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as info:
        await env.bot.send_message(CHAT, text, parse_mode="HTML")
    assert "can't parse entities" in info.value.message.lower()
    assert fragment.lower() in info.value.message.lower()
    assert env.api.messages(CHAT) == []


async def test_supported_html_is_accepted(env: Env) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://x.example/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>z</blockquote>'
        "&lt;&gt;&quot;&#39;&#x41;"
    )
    message = await env.bot.send_message(CHAT, text, parse_mode="HTML")
    assert message.text.endswith("<>\"'A")
    types = [e.type for e in message.entities]
    assert "text_link" in types and "pre" in types and "spoiler" in types
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"


async def test_message_length_is_counted_on_visible_utf16(env: Env) -> None:
    await env.bot.send_message(CHAT, "a" * 4096)
    await env.bot.send_message(CHAT, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await env.bot.send_message(CHAT, "😀" * 2048)  # 4096 UTF-16 code units
    for too_long in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await env.bot.send_message(CHAT, too_long)
    assert len(env.api.messages(CHAT)) == 3


async def test_empty_text_is_rejected(env: Env) -> None:
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await env.bot.send_message(CHAT, "")


async def test_unknown_chat_is_not_found(env: Env) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await env.bot.send_message(424242, "hello")


async def test_injected_429_raises_retry_after(env: Env) -> None:
    env.api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await env.bot.send_message(CHAT, "one")
    assert _retry_after_seconds(info.value) == 7
    await env.bot.send_message(CHAT, "two")  # the rule was used up
    assert env.user.texts() == ["two"]
    assert [f.error_code for f in env.api.injected_faults] == [429]


async def test_fail_next_for_one_chat_and_other_codes(env: Env) -> None:
    env.api.user(2002)
    env.api.fail_next("sendmessage", 502, count=2, chat_id=2002)
    await env.bot.send_message(CHAT, "unaffected")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await env.bot.send_message(2002, "x")
    await env.bot.send_message(2002, "now fine")


async def test_blocked_user_is_forbidden(env: Env) -> None:
    await env.bot.send_message(CHAT, "before")
    env.user.block()
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await env.bot.send_message(CHAT, "after")
    with pytest.raises(Forbidden):
        await env.bot.send_chat_action(CHAT, "typing")
    assert env.user.texts() == ["before"]


async def test_inline_keyboard_validation(env: Env) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await env.bot.send_message(CHAT, "x", reply_markup=too_long)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 64)]])
    await env.bot.send_message(CHAT, "x", reply_markup=ok)

    many = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(101)]]
    )
    with pytest.raises(BadRequest, match="(?i)reply markup is too long"):
        await env.bot.send_message(CHAT, "x", reply_markup=many)

    with pytest.raises(BadRequest, match="(?i)text buttons are unallowed"):
        await env.bot.send_message(
            CHAT, "x", api_kwargs={"reply_markup": {"inline_keyboard": [[{"text": "t"}]]}}
        )
    with pytest.raises(BadRequest, match="(?i)can't parse reply keyboard markup"):
        await env.bot.send_message(CHAT, "x", api_kwargs={"reply_markup": "{not json"})


async def test_edit_and_delete(env: Env) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await env.bot.send_message(CHAT, "v1", reply_markup=markup)
    edited = await env.bot.edit_message_text("v2", CHAT, sent.message_id, reply_markup=markup)
    assert edited.text == "v2" and edited.edit_date is not None

    with pytest.raises(BadRequest) as info:
        await env.bot.edit_message_text("v2", CHAT, sent.message_id, reply_markup=markup)
    assert info.value.message.lower() == NOT_MODIFIED.lower()

    # editing without reply_markup removes the inline keyboard, as on Telegram
    await env.bot.edit_message_text("v2", CHAT, sent.message_id)
    message = env.api.message(CHAT, sent.message_id)
    assert message.reply_markup is None
    assert [v.text for v in message.history] == ["v1", "v2"]
    assert env.api.sent_texts(CHAT) == ["v1"]

    await env.bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)
    assert env.api.message(CHAT, sent.message_id).callback_data() == ["a"]

    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await env.bot.edit_message_text("x", CHAT, 999)
    assert await env.bot.delete_message(CHAT, sent.message_id) is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await env.bot.delete_message(CHAT, sent.message_id)
    assert env.api.messages(CHAT) == []
    assert len(env.api.messages(CHAT, include_deleted=True)) == 1


async def test_press_and_answer_callback_query(env: Env) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Accept", callback_data="acc:1")],
            [InlineKeyboardButton("Site", url="https://e.example")],
        ]
    )
    await env.bot.send_message(CHAT, "Parcel #1", reply_markup=markup)
    update = Update.de_json(env.user.press("Accept"), env.bot)
    query = update.callback_query
    assert query.data == "acc:1" and query.from_user.id == CHAT
    assert query.message.text == "Parcel #1" and query.chat_instance

    assert await env.bot.answer_callback_query(query.id, text="Done") is True
    with pytest.raises(BadRequest) as info:
        await env.bot.answer_callback_query(query.id)
    assert info.value.message.lower() == QUERY_TOO_OLD.lower()
    with pytest.raises(BadRequest):
        await env.bot.answer_callback_query("12345")
    assert [(a.data, a.text) for a in env.user.callback_answers()] == [("acc:1", "Done")]

    assert env.user.press("acc:1")["callback_query"]["data"] == "acc:1"  # by data too
    with pytest.raises(AssertionError, match="'Accept' -> 'acc:1'"):
        env.user.press("Reject")
    with pytest.raises(AssertionError, match="not a callback button"):
        env.user.press("Site")


async def test_reply_keyboard_and_contact(env: Env) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Cancel"]],
        resize_keyboard=True,
    )
    message = await env.bot.send_message(CHAT, "Your number?", reply_markup=keyboard)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    rows = env.user.reply_keyboard()
    assert rows == [[{"text": "Share phone", "request_contact": True}], [{"text": "Cancel"}]]

    own = Update.de_json(env.user.share_contact("+919812345678"), env.bot).message
    assert own.contact.user_id == CHAT and own.contact.phone_number == "+919812345678"
    forged = env.user.share_contact("+919800000000", user_id=555)
    assert forged["message"]["contact"]["user_id"] == 555
    assert "user_id" not in env.user.share_contact("+1", user_id=None)["message"]["contact"]

    await env.bot.send_message(CHAT, "Thanks", reply_markup={"remove_keyboard": True})
    assert env.user.reply_keyboard() is None


async def test_user_update_shapes(env: Env) -> None:
    command = Update.de_json(env.user.send_text("/start ref_42"), env.bot).message
    assert command.text == "/start ref_42"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert command.from_user.language_code == "hi"
    assert isinstance(command.date, dtm.datetime)
    location = Update.de_json(env.user.share_location(19.07, 72.87), env.bot).message
    assert location.location.latitude == pytest.approx(19.07)
    sticker = Update.de_json(env.user.send_sticker(), env.bot).message
    assert sticker.sticker.file_id
    photo = Update.de_json(env.user.send_photo(caption="shelf"), env.bot).message
    assert photo.photo[-1].file_id and photo.caption == "shelf"
    ids = [u["update_id"] for u in env.api.pending_updates]
    assert ids == sorted(ids) and len(set(ids)) == 4
    message_ids = [command.message_id, location.message_id, sticker.message_id, photo.message_id]
    assert message_ids == [1, 2, 3, 4]


# ----------------------------------------------------------------- long polling


async def test_long_poll_returns_when_an_update_arrives(env: Env) -> None:
    poll = asyncio.create_task(env.bot.get_updates(timeout=30))
    await env.api.wait_for(lambda: env.api.active_polls == 1)
    assert not poll.done()
    env.user.send_text("hello")
    updates = await asyncio.wait_for(poll, 10)  # far below the 30 s poll timeout
    assert [u.message.text for u in updates] == ["hello"]


async def test_offset_confirms_and_drops_updates(env: Env) -> None:
    for text in ("a", "b", "c"):
        env.user.send_text(text)
    first = await env.bot.get_updates()
    assert [u.message.text for u in first] == ["a", "b", "c"]
    again = await env.bot.get_updates(limit=2)
    assert [u.message.text for u in again] == ["a", "b"]  # not confirmed yet
    after_b = await env.bot.get_updates(offset=first[1].update_id + 1)
    assert [u.message.text for u in after_b] == ["c"]
    assert [u["message"]["text"] for u in env.api.pending_updates] == ["c"]
    assert await env.bot.get_updates(offset=first[2].update_id + 1, timeout=0) == ()
    assert env.api.pending_updates == []


async def test_get_updates_conflicts_with_webhook(env: Env) -> None:
    assert await env.bot.set_webhook("https://example.com/hook")
    assert (await env.bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict):
        await env.bot.get_updates()
    assert await env.bot.delete_webhook(drop_pending_updates=True)
    assert await env.bot.get_updates() == ()


# ----------------------------------------------------------------- flood control


async def test_flood_control_flags_two_messages_to_one_chat_within_a_second(env: Env) -> None:
    clock = env.api.clock
    assert isinstance(clock, FakeClock)
    env.api.flood_control(enabled=True)
    await env.bot.send_message(CHAT, "one")
    clock.now += 0.5
    with pytest.raises(RetryAfter) as info:
        await env.bot.send_message(CHAT, "two")
    assert _retry_after_seconds(info.value) == 1
    assert env.api.flood_violations == 1
    assert env.api.flood_violation_log[0].kind == "per_chat"
    clock.now += 0.5
    await env.bot.send_message(CHAT, "two")
    assert env.user.texts() == ["one", "two"]


async def test_flood_control_flags_31_messages_in_a_second(env: Env) -> None:
    clock = env.api.clock
    assert isinstance(clock, FakeClock)
    chats = [5000 + i for i in range(40)]
    for chat in chats:
        env.api.user(chat)
    env.api.flood_control(enabled=True, global_per_second=30, per_chat_interval=1.0)
    for chat in chats[:30]:
        await env.bot.send_message(chat, "broadcast")
        clock.now += 0.02
    with pytest.raises(RetryAfter):
        await env.bot.send_message(chats[30], "broadcast")
    assert env.api.flood_violations == 1
    assert env.api.flood_violation_log[0].kind == "global"
    clock.now += 1.0  # the window has slid past the first messages
    await env.bot.send_message(chats[30], "broadcast")
    env.api.assert_delivered_once(chats[:31])
    with pytest.raises(AssertionError, match="missing"):
        env.api.assert_delivered_once(chats)


async def test_send_log_gives_every_send_with_its_time_chat_and_answer(env: Env) -> None:
    """What benchmarks/wave_timeline.py reads: each sendMessage, refused ones too."""
    clock = env.api.clock
    assert isinstance(clock, FakeClock)
    env.api.user(5001)
    env.api.flood_control(enabled=True, global_per_second=30, per_chat_interval=1.0)
    start = clock.now
    await env.bot.send_message(CHAT, "one")
    clock.now += 0.25
    await env.bot.send_message(5001, "two")
    clock.now += 0.25
    with pytest.raises(RetryAfter):
        await env.bot.send_message(CHAT, "too soon")
    log = await action(env.api, "send_log", {})
    assert log == [[start, CHAT, 200], [start + 0.25, 5001, 200], [start + 0.5, CHAT, 429]]


async def test_random_403_blocks_the_chat_for_good(env: Env) -> None:
    env.api.set_fault_rates(p403=1.0, seed=1)
    with pytest.raises(Forbidden):
        await env.bot.send_message(CHAT, "x")
    env.api.set_fault_rates()
    with pytest.raises(Forbidden):
        await env.bot.send_message(CHAT, "x")
    assert env.user.blocked


# ----------------------------------------------------------------- files & commands


async def test_file_upload_and_download_roundtrip(env: Env) -> None:
    content = b"awb,phone\nAWB1,+919800000001\n" * 50
    update = Update.de_json(env.user.send_document("parcels.csv", content), env.bot)
    document = update.message.document
    assert document.file_name == "parcels.csv" and document.mime_type == "text/csv"
    telegram_file = await env.bot.get_file(document.file_id)
    assert telegram_file.file_path.endswith(".csv")
    assert bytes(await telegram_file.download_as_bytearray()) == content

    report = b"shop,count\nA,3\n"
    sent = await env.bot.send_document(
        CHAT, report, filename="report.csv", caption="<b>Daily</b>", parse_mode="HTML"
    )
    assert sent.document.file_name == "report.csv" and sent.caption == "Daily"
    again = await env.bot.get_file(sent.document.file_id)
    assert bytes(await again.download_as_bytearray()) == report
    assert env.api.file_content(sent.document.file_id) == report

    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await env.bot.get_file("nope")


async def test_commands_are_stored_per_scope_and_language(env: Env) -> None:
    await env.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await env.bot.set_my_commands([BotCommand("start", "शुरू करें")], language_code="hi")
    scope = {"type": "chat", "chat_id": CHAT}
    await env.bot.set_my_commands([BotCommand("admin", "Admin")], api_kwargs={"scope": scope})
    assert [c.command for c in await env.bot.get_my_commands()] == ["start", "help"]
    assert env.api.commands(language_code="hi") == [{"command": "start", "description": "शुरू करें"}]
    assert env.api.commands(scope) == [{"command": "admin", "description": "Admin"}]
    for bad in ("Start", "with-dash", "x" * 33):
        with pytest.raises(BadRequest):
            await env.bot.set_my_commands([BotCommand(bad, "d")])
    with pytest.raises(BadRequest, match="(?i)description must be non-empty"):
        await env.bot.set_my_commands([BotCommand("ok", " ")])
    assert await env.bot.delete_my_commands()
    assert env.api.commands() == []


async def test_wrong_token_and_unknown_method(env: Env) -> None:
    assert await env.api.call("123:wrong", "getMe", {}) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    status, body = await env.api.call(env.api.token, "noSuchMethod", {})
    assert (status, body["description"]) == (404, "Not Found")
    status, _ = await env.api.call(env.api.token, "SENDmessage", {"chat_id": CHAT, "text": "hi"})
    assert status == 200  # method names are case-insensitive
    with pytest.raises(InvalidToken):
        request = FakeRequest(env.api)
        async with Bot(
            "123:wrong-token-here", request=request, get_updates_request=FakeRequest(env.api)
        ):
            pass


# ----------------------------------------------------------------- PTB application


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    await context.bot.send_message(update.effective_chat.id, "Welcome", reply_markup=markup)


async def _ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("pong")
    await query.edit_message_text("Pinged")


def _application(api: FakeBotAPI) -> Application:
    app = (
        Application.builder()
        .token(api.token)
        .request(FakeRequest(api))
        .get_updates_request(FakeRequest(api))
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_ping))
    return app


async def test_application_process_update_directly() -> None:
    api = FakeBotAPI()
    user = api.user(CHAT)
    app = _application(api)
    async with app:
        await app.process_update(Update.de_json(user.send_text("/start"), app.bot))
        assert user.last_text() == "Welcome"
        await app.process_update(Update.de_json(user.press("Ping"), app.bot))
    assert user.last_text() == "Pinged" and user.texts() == ["Pinged"]
    assert [a.text for a in api.callback_answers] == ["pong"]


@pytest.mark.parametrize("transport", ["inprocess", "http"])
async def test_application_polling(transport: str) -> None:
    api = FakeBotAPI()
    user = api.user(CHAT)
    server: FakeBotAPIServer | None = None
    if transport == "http":
        server = FakeBotAPIServer(api)
        base_url, file_url = await server.start()
        builder = Application.builder().token(api.token).base_url(base_url)
        app = builder.base_file_url(file_url).build()
        app.add_handler(CommandHandler("start", _start))
        app.add_handler(CallbackQueryHandler(_ping))
    else:
        app = _application(api)
    try:
        async with app:
            await app.updater.start_polling(poll_interval=0, timeout=10)
            await app.start()
            try:
                user.send_text("/start")
                await api.wait_for_messages(CHAT, 1)
                user.press("ping")
                await api.wait_for(lambda: user.last_text() == "Pinged")
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        if server is not None:
            await server.stop()
    assert api.pending_updates == []  # PTB confirmed what it processed
    assert api.count("answerCallbackQuery") == 1


async def test_a_new_long_poll_ends_the_old_one_with_conflict() -> None:
    api = FakeBotAPI()
    old = asyncio.create_task(api.call(api.token, "getUpdates", {"timeout": "30"}))
    await api.wait_for(lambda: api.active_polls == 1)
    assert await api.call(api.token, "getUpdates", {"timeout": "0"}) == (
        200,
        {"ok": True, "result": []},
    )
    status, body = await asyncio.wait_for(old, 5)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]


async def test_wait_for_times_out_with_a_clear_error() -> None:
    api = FakeBotAPI()
    with pytest.raises(WaitTimeout, match="2 bot message"):
        await api.wait_for_messages(CHAT, 2, timeout=0.05)


# ----------------------------------------------------------------- HTTP specifics


async def test_http_accepts_form_json_multipart_and_query() -> None:
    api = FakeBotAPI()
    user = api.user(CHAT)
    async with FakeBotAPIServer(api) as server, httpx.AsyncClient() as client:
        url = f"{server.base_url}{api.token}"
        form = await client.post(f"{url}/sendMessage", data={"chat_id": str(CHAT), "text": "007"})
        assert form.json()["result"]["text"] == "007"  # string fields stay strings
        as_json = await client.post(
            f"{url}/sendMessage",
            json={
                "chat_id": CHAT,
                "text": "json",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
            },
        )
        assert (
            as_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            == "b"
        )
        query = await client.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "get"})
        assert query.status_code == 200
        upload = await client.post(
            f"{url}/sendDocument",
            data={"chat_id": str(CHAT)},
            files={"document": ("a.csv", b"x,y\n", "text/csv")},
        )
        file_id = upload.json()["result"]["document"]["file_id"]
        path = (await client.post(f"{url}/getFile", data={"file_id": file_id})).json()["result"][
            "file_path"
        ]
        download = await client.get(f"{server.file_url}{api.token}/{path}")
        assert download.content == b"x,y\n"
        missing = await client.get(f"{server.base_url}{api.token}/nope")
        assert missing.status_code == 404 and missing.json()["description"] == "Not Found"
        bad = await client.post(f"{server.base_url}1:x/getMe")
        assert bad.status_code == 401
    assert user.texts() == ["007", "json", "get"]


async def test_http_control_surface() -> None:
    api = FakeBotAPI()
    async with FakeBotAPIServer(api) as server, httpx.AsyncClient() as client:
        root = server.base_url[: -len("/bot")]
        sent = await client.post(
            f"{root}/_control/send_text",
            json={"user_id": 77, "text": "/start", "language_code": "mr"},
        )
        assert sent.json()["result"]["message"]["from"]["language_code"] == "mr"
        await api.call(
            api.token,
            "sendMessage",
            {
                "chat_id": 77,
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
            },
        )
        pressed = await client.post(f"{root}/_control/press", json={"user_id": 77, "data": "Go"})
        assert pressed.json()["result"]["callback_query"]["data"] == "go"
        listing = await client.get(f"{root}/_control/messages", params={"chat_id": 77})
        assert [m["text"] for m in listing.json()["result"]] == ["hi"]
        wrong = await client.post(f"{root}/_control/press", json={"user_id": 77, "data": "nope"})
        assert wrong.status_code == 400 and "'Go' -> 'go'" in wrong.json()["description"]
    assert len(api.pending_updates) == 2


async def test_http_long_poll_is_released_on_stop() -> None:
    api = FakeBotAPI()
    server = FakeBotAPIServer(api)
    await server.start()
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(
                f"{server.base_url}{api.token}/getUpdates", data={"timeout": "30"}, timeout=40
            )
        )
        await api.wait_for(lambda: api.active_polls == 1)
        await server.stop()
        with pytest.raises(httpx.HTTPError):
            await poll


# ----------------------------------------------------------------- HTML parser


def test_parse_html_entities_are_utf16() -> None:
    text, entities = parse_html("😀 <b>नमस्ते</b> <i><u>x</u></i>")
    assert text == "😀 नमस्ते x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "italic", "offset": 10, "length": 1},
        {"type": "underline", "offset": 10, "length": 1},
    ]


def test_parse_html_lenient_ampersand_like_the_real_server() -> None:
    assert parse_html("Tom & Jerry", strict_ampersand=False) == ("Tom & Jerry", [])
    with pytest.raises(EntityParseError):
        parse_html("Tom & Jerry")
    assert parse_html("a &amp; b &#8377;")[0] == "a & b ₹"


async def test_photo_is_stored_with_its_size_and_can_be_downloaded(env: Env) -> None:
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big")
           + (480).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00rest-of-image")
    sent = await env.bot.send_photo(CHAT, png, caption="<b>Parcels</b> this week",
                                    parse_mode="HTML")
    (size,) = sent.photo
    assert (size.width, size.height) == (640, 480)
    assert sent.caption == "Parcels this week"
    assert sent.caption_entities[0].type == "bold"
    message = env.api.messages(CHAT)[-1]
    assert message.kind == "photo" and message.caption == "Parcels this week"
    telegram_file = await env.bot.get_file(size.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == png
    again = await env.bot.send_photo(CHAT, size.file_id)  # resent by file_id
    assert again.photo[0].file_id == size.file_id
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await env.bot.send_photo(CHAT, "nope")


async def test_photos_list_their_sizes_and_big_files_are_not_served(env: Env) -> None:
    """A user's photo lists its sizes smallest first (as Telegram does), and each can be
    fetched; getFile refuses a file over 20 MB, as Telegram does."""
    update = env.user.send_photo(content=b"full", width=1280, height=960, thumbnail=b"thumb")
    sizes = update["message"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 90), (1280, 960)]
    file = await env.bot.get_file(sizes[-1]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"full"
    big = env.user.send_document("big.jpg", b"\0" * (20 * 1024 * 1024 + 1), "image/jpeg")
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await env.bot.get_file(big["message"]["document"]["file_id"])
