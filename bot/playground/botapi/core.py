"""In-memory fake of the Telegram Bot API: state, method dispatch and simulated users.

:class:`FakeBotAPI` knows nothing about transports.  ``await api.call(token, method,
params)`` returns ``(http_status, json_body)`` exactly as the real server would answer
the request; :mod:`.request` (in-process, through PTB's ``BaseRequest``) and :mod:`.http`
(a real HTTP server) are thin adapters around it.

Parameters may arrive as the strings of a form body (Telegram parses each field by
its type, and so does the fake) or already typed (JSON bodies, in-process calls).
"""

from __future__ import annotations

import asyncio
import copy
import enum
import itertools
import json
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from .entities import EntityParseError, parse_html, strip_text, utf16_len

JSON = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeBotApiTokenForTests-0123456789"
"""Token the fake accepts by default (the shape ``bot.config`` validates)."""

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
LONG_POLL_MAX_TIMEOUT = 50

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_ACTIONS = frozenset(
    (
        "typing upload_photo record_video upload_video record_voice upload_voice "
        "upload_document choose_sticker find_location record_video_note upload_video_note"
    ).split()
)
_DEFAULT_ALLOWED_UPDATES = frozenset(
    (
        "message edited_message channel_post edited_channel_post business_connection "
        "business_message edited_business_message deleted_business_messages inline_query "
        "chosen_inline_result callback_query shipping_query pre_checkout_query "
        "purchased_paid_media poll poll_answer my_chat_member chat_join_request "
        "chat_boost removed_chat_boost"
    ).split()
)
_INLINE_ACTIONS = (
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
# Fields Telegram reads as strings: a form value such as "123" must stay a string there.
_STRING_PARAMS = frozenset(
    (
        "text caption parse_mode callback_query_id url language_code file_id "
        "inline_message_id action secret_token ip_address business_connection_id "
        "message_effect_id phone_number first_name last_name vcard title address "
        "description short_description name emoji query document photo sticker audio "
        "video voice animation video_note thumbnail start_parameter payload currency "
        "provider_token custom_title switch_pm_text switch_pm_parameter next_offset "
        "error_message shipping_query_id pre_checkout_query_id foursquare_id "
        "foursquare_type google_place_id google_place_type question explanation"
    ).split()
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class TelegramAPIError(Exception):
    """An error answer: ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(message: str) -> TelegramAPIError:
    return TelegramAPIError(400, f"Bad Request: {message}")


class WaitTimeout(AssertionError):
    """Raised by :meth:`FakeBotAPI.wait_for` when the condition did not come true in time."""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (``params[name]`` holds one of these)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.content)


class RecordedRequest(NamedTuple):
    """One API call as seen by the fake (``params`` after type normalisation)."""

    time: float
    method: str
    params: dict[str, Any]
    status: int


class FloodViolation(NamedTuple):
    time: float
    chat_id: int
    kind: str  # "global" or "per_chat"
    retry_after: int


class InjectedFault(NamedTuple):
    time: float
    method: str
    chat_id: int | None
    error_code: int
    description: str


@dataclass(slots=True)
class MessageVersion:
    """An earlier state of an edited bot message."""

    text: str | None
    entities: list[JSON]
    reply_markup: JSON | None
    time: float


@dataclass(slots=True)
class BotMessage:
    """A message the bot sent, in its current state (after edits)."""

    chat_id: int
    message_id: int
    date: int
    kind: str  # "text" | "location" | "document" | "photo"
    text: str | None
    entities: list[JSON]
    reply_markup: JSON | None
    parse_mode: str | None
    raw: JSON
    original_text: str | None
    caption: str | None = None
    document: JSON | None = None
    location: JSON | None = None
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    edit_date: int | None = None

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            rows: list[list[JSON]] = self.reply_markup["inline_keyboard"]
            return rows
        return []

    def buttons(self) -> list[JSON]:
        """Inline buttons, row by row, flattened."""
        return [button for row in self.inline_keyboard for button in row]

    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons()]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]

    @property
    def edit_count(self) -> int:
        return len(self.history)

    def to_dict(self) -> JSON:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "caption": self.caption,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "parse_mode": self.parse_mode,
            "deleted": self.deleted,
            "edits": self.edit_count,
            "document": self.document,
            "location": self.location,
        }


@dataclass(slots=True)
class CallbackAnswer:
    callback_query_id: str
    user_id: int
    data: str | None
    message_id: int | None
    text: str
    show_alert: bool
    url: str | None
    cache_time: int
    time: float


@dataclass(slots=True)
class DeliveryReport:
    """Result of :meth:`FakeBotAPI.delivery_report`."""

    missing: list[int]
    duplicates: dict[int, int]
    unexpected: list[int]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicates or self.unexpected)


@dataclass(slots=True)
class _CallbackQuery:
    user_id: int
    data: str | None
    message_id: int | None
    answered: bool = False


@dataclass(slots=True)
class _FaultRule:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None


@dataclass(slots=True)
class _TransportRule:
    """A hang (``seconds`` or until ``until`` is set) or a connection reset."""

    method: str
    remaining: int
    chat_id: int | None
    seconds: float | None = None
    until: asyncio.Event | None = None
    reset: bool = False


class ConnectionReset(Exception):  # noqa: N818 - named for what the client sees
    """The fake drops the connection without an answer (raised out of ``call``)."""



@dataclass(slots=True)
class _FloodSettings:
    enabled: bool = False
    global_per_second: int = 30
    per_chat_interval: float = 1.0
    window: float = 1.0
    methods: frozenset[str] = frozenset({"sendmessage"})


class _Described(NamedTuple):
    result: Any
    description: str


class _Own(enum.Enum):
    OWN = "own"


OWN_ID = _Own.OWN
"""Default of :meth:`FakeUser.share_contact`'s ``user_id``: the sharer's own id."""


class _Notifier:
    """Wakes every waiter on :meth:`notify`; works across event loops and threads."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def future(self) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        return fut

    def discard(self, fut: asyncio.Future[None]) -> None:
        self._waiters.discard(fut)

    def notify(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, set()
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for fut in waiters:
            loop = fut.get_loop()
            if loop is running:
                if not fut.done():
                    fut.set_result(None)
            else:
                try:
                    loop.call_soon_threadsafe(_resolve, fut)
                except RuntimeError:  # that loop is closed
                    pass

    async def wait(self, fut: asyncio.Future[None], seconds: float | None) -> bool:
        """Await ``fut`` (from :meth:`future`); ``False`` after ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                await fut
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


# --------------------------------------------------------------------------- params


def normalize_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-decode form strings of non-string fields (``"123"`` → 123, ``"{...}"`` → dict)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and value and key not in _STRING_PARAMS:
            if value[0] in '{["-0123456789' or value in ("true", "false", "null"):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
        out[key] = value
    return out


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _str(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _bool(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _int(params: Mapping[str, Any], name: str, default: int) -> int:
    value = _as_int(params.get(name))
    return default if value is None else value


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value)
    return value


def parse_reply_markup(value: Any) -> JSON | None:
    """Validate ``reply_markup`` like the Bot API does; the dict as given, or ``None``."""
    if value is None or value == "":
        return None
    try:
        markup = _json_value(value)
    except ValueError:
        raise _bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise _bad_request("object expected as reply markup")

    keyboard = markup.get("keyboard")
    if keyboard is not None:
        if not isinstance(keyboard, list):
            raise _bad_request('field "keyboard" must be of type Array')
        for row in keyboard:
            if not isinstance(row, list):
                raise _bad_request('field "keyboard" must be an Array of Arrays')
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict):
                    raise _bad_request(
                        "can't parse keyboard button: KeyboardButton must be a String or an Object"
                    )
                _check_button_text(button, "keyboard button")

    inline = markup.get("inline_keyboard")
    if inline is not None:
        if not isinstance(inline, list):
            raise _bad_request('field "inline_keyboard" must be of type Array')
        count = 0
        for row in inline:
            if not isinstance(row, list):
                raise _bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for button in row:
                count += 1
                _check_inline_button(button)
        if count > MAX_INLINE_BUTTONS:
            raise _bad_request("reply markup is too long")
    return dict(markup)


def _check_button_text(button: JSON, what: str) -> None:
    if "text" not in button:
        raise _bad_request(f"can't parse {what}: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise _bad_request(f'can\'t parse {what}: Field "text" must be of type String')


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _bad_request(prefix + "InlineKeyboardButton must be an Object")
    _check_button_text(button, "inline keyboard button")
    url = button.get("url")
    if url is not None and not isinstance(url, str):
        raise _bad_request(prefix + 'Field "url" must be of type String')
    if url:
        return
    data = button.get("callback_data")
    if data is not None and not isinstance(data, str):
        raise _bad_request(prefix + 'Field "callback_data" must be of type String')
    if data:
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
        return
    if any(key in button for key in _INLINE_ACTIONS):
        return
    raise _bad_request(prefix + "Text buttons are unallowed in the inline keyboard")


def _inline_part(markup: JSON | None) -> JSON | None:
    return markup if _markup_kind(markup) == "inline" else None


def _markup_kind(markup: JSON | None) -> str | None:
    if not markup:
        return None
    if markup.get("keyboard"):
        return "keyboard"
    if markup.get("inline_keyboard"):
        return "inline"
    if markup.get("remove_keyboard") or markup.get("hide_keyboard"):
        return "remove"
    if markup.get("force_reply"):
        return "force_reply"
    return None


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (from its header); other images are taken as 320 x 320."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    return 320, 320


# --------------------------------------------------------------------------- users


class FakeUser:
    """A simulated Telegram user in a private chat with the bot (chat id == user id).

    Every action enqueues a real-shaped update for ``getUpdates`` and returns it, so a
    test may also feed it to ``application.process_update(Update.de_json(u, bot))``.
    """

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
        last_name: str | None,
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self.blocked = False

    def __repr__(self) -> str:
        return f"FakeUser(user_id={self.user_id}, first_name={self.first_name!r})"

    @property
    def id(self) -> int:
        return self.user_id

    @property
    def chat_id(self) -> int:
        return self.user_id

    def as_user_dict(self) -> JSON:
        user: JSON = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> JSON:
        chat: JSON = {"id": self.user_id, "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        chat["type"] = "private"
        return chat

    # ---- actions (each returns the enqueued update)

    def send_text(self, text: str) -> JSON:
        """A text message; ``/command`` text gets a ``bot_command`` entity at offset 0."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self.api._enqueue_user_message(self, content)

    def press(self, button: str, *, message_id: int | None = None) -> JSON:
        """Press an inline button, given its ``callback_data`` or its visible text.

        Searches the newest bot message in this chat that has an inline keyboard (or the
        message ``message_id``) and enqueues a ``callback_query`` update.
        """
        return self.api._press(self, button, message_id)

    def press_forged(self, data: str, *, message_id: int | None = None) -> JSON:
        """Send ``data`` as if it were the callback data of a button of the newest bot message
        with an inline keyboard (or of ``message_id``): what a modified client can do."""
        return self.api._press(self, button="", message_id=message_id, forged=data)

    def share_contact(
        self,
        phone_number: str = "+919800000001",
        *,
        user_id: int | None | _Own = OWN_ID,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """Share a contact; by default the user's own (``user_id`` = own id).

        Pass another ``user_id`` to forge someone else's contact, or ``None`` for a
        contact card without a Telegram account.
        """
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name if first_name is not None else self.first_name,
        }
        if last_name:
            contact["last_name"] = last_name
        owner = self.user_id if user_id is OWN_ID else user_id
        if owner is not None:
            contact["user_id"] = owner
        return self.api._enqueue_user_message(self, {"contact": contact})

    def share_location(self, latitude: float, longitude: float) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self.api._enqueue_user_message(self, {"location": location})

    def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "text/csv",
        caption: str | None = None,
    ) -> JSON:
        """Send a file; the bot can ``getFile`` it and download ``content`` back."""
        stored = self.api._store_file(content, filename, mime_type, folder="documents")
        document: JSON = {
            "file_name": filename,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        message: JSON = {"document": document}
        if caption:
            message["caption"] = caption
        return self.api._enqueue_user_message(self, message)

    def send_sticker(self, emoji: str = "👍") -> JSON:
        stored = self.api._store_file(b"RIFF\0\0\0\0WEBP", None, "image/webp", folder="stickers")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return self.api._enqueue_user_message(self, {"sticker": sticker})

    def send_photo(
        self,
        caption: str | None = None,
        *,
        content: bytes = b"\xff\xd8\xff\xe0fakejpeg",
        width: int = 90,
        height: int = 90,
        thumbnail: bytes | None = None,
    ) -> JSON:
        """Send a photo. Like Telegram, ``photo`` lists the sizes smallest first: a
        ``thumbnail`` (when given, 90 px) and then ``content`` at ``width`` x ``height``."""
        sizes = []
        for data, w, h in ([(thumbnail, 90, 90)] if thumbnail is not None else []) + [
            (content, width, height)
        ]:
            stored = self.api._store_file(data, None, "image/jpeg", folder="photos")
            sizes.append({
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": w,
                "height": h,
                "file_size": stored.file_size,
            })
        message: JSON = {"photo": sizes}
        if caption:
            message["caption"] = caption
        return self.api._enqueue_user_message(self, message)

    def block(self) -> None:
        """The user blocks the bot: later sends to this chat get 403."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    # ---- what the user sees

    def messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        return self.api.messages(self.user_id, include_deleted=include_deleted)

    def last_message(self) -> BotMessage:
        visible = self.messages()
        if not visible:
            raise AssertionError(f"the bot has sent no (undeleted) message to chat {self.user_id}")
        return visible[-1]

    def last_text(self) -> str:
        """Current text of the newest visible bot text message (edits applied)."""
        for message in reversed(self.messages()):
            if message.text is not None:
                return message.text
        raise AssertionError(f"the bot has sent no text message to chat {self.user_id}")

    def texts(self) -> list[str]:
        """Current texts of all visible bot text messages, oldest first."""
        return [m.text for m in self.messages() if m.text is not None]

    def reply_keyboard(self) -> list[list[JSON]] | None:
        """Rows of the reply keyboard currently shown (buttons as dicts), or ``None``.

        The newest message carrying a ``ReplyKeyboardMarkup`` or ``ReplyKeyboardRemove``
        decides; string buttons are returned as ``{"text": ...}``.
        """
        for message in reversed(self.messages(include_deleted=True)):
            kind = _markup_kind(message.reply_markup)
            if kind == "remove":
                return None
            if kind == "keyboard":
                assert message.reply_markup is not None
                return [
                    [{"text": b} if isinstance(b, str) else dict(b) for b in row]
                    for row in message.reply_markup["keyboard"]
                ]
        return None

    def callback_answers(self) -> list[CallbackAnswer]:
        return [a for a in self.api.callback_answers if a.user_id == self.user_id]

    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the agreed API
    ) -> list[BotMessage]:
        return await self.api.wait_for_messages(self.user_id, count, timeout)


# --------------------------------------------------------------------------- the API


class FakeBotAPI:
    """State and method dispatch of a fake Bot API serving one bot token."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "kirana_test_bot",
        bot_first_name: str = "Kirana Partner Bot",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        strict_html: bool = True,
    ) -> None:
        head = token.partition(":")[0]
        self.token = token
        self.bot_id = int(head) if head.isdigit() else 123456789
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._bot_from: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.clock = clock
        self.wall_clock = wall_clock
        self.strict_html = strict_html

        # recording
        self.requests: list[RecordedRequest] = []
        self.counts: Counter[str] = Counter()
        # Calls as they arrive (a long poll is counted when it starts, not when it returns).
        self.arrivals: Counter[str] = Counter()
        self.callback_answers: list[CallbackAnswer] = []
        self.delivered: Counter[int] = Counter()
        self.flood_violations = 0
        self.flood_violation_log: list[FloodViolation] = []
        self.injected_faults: list[InjectedFault] = []
        self.webhook: JSON | None = None
        self.active_polls = 0
        """getUpdates calls currently waiting for updates (long polling)."""

        # state
        self._users: dict[int, FakeUser] = {}
        self._messages: dict[int, list[BotMessage]] = {}
        self._by_id: dict[tuple[int, int], BotMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._user_message_ids: dict[int, set[int]] = {}
        self._updates: deque[JSON] = deque()
        self._next_update_id = 10001
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._next_callback_id = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        # (kind "description" / "short_description", language_code or "") -> text
        self._descriptions: dict[tuple[str, str], str] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0

        # faults
        self._fault_rules: list[_FaultRule] = []
        self._transport_rules: list[_TransportRule] = []
        self._rng = random.Random(0)
        self._p429 = self._p403 = self._p5xx = 0.0
        self._fault_retry_after = 1
        self._p_hang = self._p_reset = 0.0
        self._hang_seconds = 8.0
        self._net_methods: frozenset[str] = frozenset({"sendmessage"})
        self._net_rng = random.Random(0)
        self._flood = _FloodSettings()
        self._flood_times: deque[float] = deque()
        self._flood_last: dict[int, float] = {}

        self._updates_notifier = _Notifier()
        self._calls_notifier = _Notifier()

        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendLocation": self._send_location,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getUpdates": self._ok,  # handled specially: it is a coroutine
        }
        self._dispatch: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, fn) for name, fn in handlers.items()
        }

    # ================================================================ transport entry

    async def call(
        self, token: str, method: str, params: Mapping[str, Any] | None = None
    ) -> tuple[int, JSON]:
        """Handle one Bot API request; returns ``(http_status, json_body)``."""
        key = method.lower()
        entry = self._dispatch.get(key)
        canonical = entry[0] if entry is not None else method
        normalized = normalize_params(params or {})
        self.arrivals[canonical] += 1
        self._calls_notifier.notify()
        if (self._p_hang or self._p_reset) and key in self._net_methods:
            await self._network_fault(canonical, normalized)
        try:
            self._check_token(token)
            if entry is None:
                raise TelegramAPIError(404, "Not Found")
            if self._transport_rules:
                await self._apply_transport_rules(key, normalized)
            self._apply_fail_rules(key, normalized)
            if key == "getupdates":
                result: Any = await self._get_updates(normalized)
            else:
                result = entry[1](normalized)
            if isinstance(result, _Described):
                status, body = (
                    200,
                    {"ok": True, "result": result.result, "description": result.description},
                )
            else:
                status, body = 200, {"ok": True, "result": result}
        except TelegramAPIError as exc:
            status, body = exc.error_code, exc.body()
        self._record(canonical, normalized, status)
        return status, body

    def download(self, token: str, file_path: str) -> tuple[int, bytes]:
        """Serve ``GET <file_url><token>/<file_path>``: ``(200, bytes)`` or ``(404, json)``."""
        stored = self._files_by_path.get(file_path)
        ok = token == self.token and stored is not None
        self._record("downloadFile", {"file_path": file_path}, 200 if ok else 404)
        if not ok or stored is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return 404, json.dumps(body).encode()
        return 200, stored.content

    def _check_token(self, token: str) -> None:
        if token == self.token:
            return
        head, sep, tail = token.partition(":")
        if not (sep and head.isdigit() and tail):
            raise TelegramAPIError(404, "Not Found")
        raise TelegramAPIError(401, "Unauthorized")

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        self.requests.append(RecordedRequest(self.clock(), method, params, status))
        self.counts[method] += 1
        self._calls_notifier.notify()

    # ================================================================ users & updates

    def user(
        self,
        user_id: int,
        first_name: str = "Asha",
        language_code: str | None = "hi",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register (or return the already registered) user; its private chat now exists."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(self, user_id, first_name, language_code, username, last_name)
        self._users[user_id] = user
        self._messages.setdefault(user_id, [])
        return user

    def get_user(self, user_id: int) -> FakeUser:
        return self._users[user_id]

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self._updates)

    def drop_pending_updates(self) -> None:
        self._updates.clear()

    def _enqueue(self, payload: JSON) -> JSON:
        update: JSON = {"update_id": self._next_update_id}
        update.update(payload)
        self._next_update_id += 1
        # Like Telegram, allowed_updates filters updates when they are created.
        if all(kind in self._allowed_updates for kind in payload):
            self._updates.append(update)
        self._updates_notifier.notify()
        self._calls_notifier.notify()
        return copy.deepcopy(update)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _enqueue_user_message(self, user: FakeUser, content: JSON) -> JSON:
        message_id = self._new_message_id(user.user_id)
        self._user_message_ids.setdefault(user.user_id, set()).add(message_id)
        message: JSON = {
            "message_id": message_id,
            "from": user.as_user_dict(),
            "chat": user.chat_dict(),
            "date": int(self.wall_clock()),
        }
        message.update(content)
        return self._enqueue({"message": message})

    def _press(
        self, user: FakeUser, button: str, message_id: int | None, forged: str | None = None
    ) -> JSON:
        chat_id = user.user_id
        if message_id is not None:
            target = self._by_id.get((chat_id, message_id))
            if target is None or target.deleted:
                raise AssertionError(f"no bot message {message_id} in chat {chat_id}")
        else:
            keyboards = [m for m in self.messages(chat_id) if m.inline_keyboard]
            if not keyboards:
                sent = [m.text for m in self.messages(chat_id)]
                raise AssertionError(
                    f"no bot message with an inline keyboard in chat {chat_id}; messages: {sent!r}"
                )
            target = keyboards[-1]
        buttons = target.buttons()
        if forged is not None:
            buttons = [{"text": "forged", "callback_data": forged}]
            button = forged
        chosen = next((b for b in buttons if b.get("callback_data") == button), None)
        if chosen is None:
            chosen = next((b for b in buttons if b.get("text") == button), None)
        if chosen is None or "callback_data" not in chosen:
            listing = ", ".join(
                f"{b.get('text')!r} -> {b.get('callback_data', b.get('url'))!r}" for b in buttons
            )
            problem = "is not a callback button" if chosen is not None else "not found"
            raise AssertionError(
                f"button {button!r} {problem} in message {target.message_id} "
                f"({target.text!r}) of chat {chat_id}; buttons: [{listing}]"
            )
        data: str = chosen["callback_data"]
        self._next_callback_id += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_callback_id)
        self._callback_queries[query_id] = _CallbackQuery(chat_id, data, target.message_id)
        query: JSON = {
            "id": query_id,
            "from": user.as_user_dict(),
            "message": copy.deepcopy(target.raw),
            "chat_instance": str(-(6_000_000_000_000_000_000 + chat_id)),
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    # ================================================================ inspection

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Bot messages in the chat, oldest first, in their current (edited) state."""
        messages = self._messages.get(chat_id, [])
        if include_deleted:
            return list(messages)
        return [m for m in messages if not m.deleted]

    def all_messages(self) -> list[BotMessage]:
        return [m for messages in self._messages.values() for m in messages]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        return self._by_id[(chat_id, message_id)]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts as originally sent with sendMessage (including later edited/deleted ones)."""
        return [
            m.original_text for m in self._messages.get(chat_id, []) if m.original_text is not None
        ]

    def commands(self, scope: Any = None, language_code: str | None = None) -> list[JSON]:
        """Commands stored by setMyCommands for ``scope`` (a dict, default scope if None)."""
        if scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        key = (self._scope_key(scope, check_chat=False), language_code or "")
        return [dict(c) for c in self._commands.get(key, [])]

    def description(self, language_code: str | None = None, *, short: bool = False) -> str:
        """Text stored by setMyDescription (or setMyShortDescription) for ``language_code``."""
        kind = "short_description" if short else "description"
        return self._descriptions.get((kind, language_code or ""), "")

    def count(self, method: str) -> int:
        """Number of calls of ``method`` (any letter case), successful or not."""
        entry = self._dispatch.get(method.lower())
        return self.counts[entry[0] if entry else method]

    def requests_for(self, method: str) -> list[RecordedRequest]:
        entry = self._dispatch.get(method.lower())
        name = entry[0] if entry else method
        return [r for r in self.requests if r.method == name]

    @property
    def delivered_count(self) -> int:
        """Messages successfully created by the bot (sendMessage/Location/Document/Photo)."""
        return sum(self.delivered.values())

    def delivery_report(self, chat_ids: Iterable[int]) -> DeliveryReport:
        """Compare successful deliveries with the chats that should each get exactly one."""
        expected = set(chat_ids)
        missing = sorted(c for c in expected if self.delivered[c] == 0)
        duplicates = {c: n for c, n in sorted(self.delivered.items()) if c in expected and n > 1}
        unexpected = sorted(c for c, n in self.delivered.items() if n and c not in expected)
        return DeliveryReport(missing, duplicates, unexpected)

    def assert_delivered_once(self, chat_ids: Iterable[int]) -> None:
        report = self.delivery_report(chat_ids)
        if not report.ok:
            raise AssertionError(
                f"delivery not exactly-once: missing={report.missing[:20]} "
                f"({len(report.missing)}), duplicates={dict(list(report.duplicates.items())[:20])} "
                f"({len(report.duplicates)}), unexpected={report.unexpected[:20]}"
            )

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    def stored_file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def clear_records(self) -> None:
        """Forget recorded requests, counters and deliveries (state is kept)."""
        self.requests.clear()
        self.counts.clear()
        self.delivered.clear()
        self.flood_violations = 0
        self.flood_violation_log.clear()
        self.injected_faults.clear()

    # ================================================================ waiting

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the agreed API
        *,
        description: str = "",
    ) -> T:
        """Return ``predicate()`` once truthy; re-checked on every recorded call/update.

        An ``AssertionError`` raised by the predicate (e.g. ``user.last_text()`` before
        any message) counts as "not yet"; the last one is reported on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error: AssertionError | None = None
        while True:
            fut = self._calls_notifier.future()
            try:
                result = predicate()
            except AssertionError as exc:
                last_error, result = exc, None  # type: ignore[assignment]
            if result:
                self._calls_notifier.discard(fut)
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._calls_notifier.discard(fut)
                what = description or getattr(predicate, "__name__", repr(predicate))
                detail = f" (last: {last_error})" if last_error is not None else ""
                raise WaitTimeout(f"condition not met within {timeout}s: {what}{detail}")
            await self._calls_notifier.wait(fut, remaining)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the agreed API
    ) -> list[BotMessage]:
        """Wait until the bot has sent at least ``count`` messages to the chat (ever,
        deleted ones included); returns them all, oldest first."""

        def enough() -> list[BotMessage] | None:
            sent = self._messages.get(chat_id, [])
            return list(sent) if len(sent) >= count else None

        try:
            result = await self.wait_for(enough, timeout)
        except WaitTimeout:
            sent = [
                m.text if m.text is not None else f"<{m.kind}>"
                for m in self._messages.get(chat_id, [])
            ]
            raise WaitTimeout(
                f"expected {count} bot message(s) in chat {chat_id} within {timeout}s, "
                f"got {len(sent)}: {sent!r}"
            ) from None
        assert result is not None
        return result

    # ================================================================ fault injection

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail with this error.

        ``chat_id`` restricts the rule to calls for that chat.  For 429 the default
        ``retry_after`` is 1 and the description "Too Many Requests: retry after N".
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(error_code, "Bad Request")
        self._fault_rules.append(
            _FaultRule(method.lower(), error_code, description, retry_after, count, chat_id)
        )

    def hang_next(
        self,
        method: str,
        seconds: float | None = None,
        *,
        until: asyncio.Event | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) wait ``seconds`` (or until
        ``until`` is set) before they are handled; the client may time out meanwhile."""
        self._transport_rules.append(
            _TransportRule(method.lower(), count, chat_id, seconds=seconds, until=until))

    def reset_next(self, method: str, *, count: int = 1, chat_id: int | None = None) -> None:
        """Make the next ``count`` calls of ``method`` end with the connection dropped, before
        anything is done (the client sees a network error and does not know the outcome)."""
        self._transport_rules.append(_TransportRule(method.lower(), count, chat_id, reset=True))

    @property
    def network_faults_on(self) -> bool:
        """Random hangs or resets are switched on (:meth:`set_network_faults`)."""
        return bool(self._p_hang or self._p_reset)

    @property
    def hangs_pending(self) -> bool:
        return any(not r.reset for r in self._transport_rules)

    async def _apply_transport_rules(self, key: str, params: dict[str, Any]) -> None:
        chat_id = _as_int(params.get("chat_id"))
        for rule in list(self._transport_rules):
            if rule.method not in (key, "*"):
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._transport_rules.remove(rule)
            name = self._dispatch[key][0] if key in self._dispatch else key
            if rule.reset:
                self.injected_faults.append(
                    InjectedFault(self.clock(), name, chat_id, 0, "connection reset"))
                raise ConnectionReset(name)
            self.injected_faults.append(InjectedFault(self.clock(), name, chat_id, 0, "hang"))
            self._calls_notifier.notify()  # wait_for(...) may be waiting for the hang to begin
            if rule.until is not None:
                await rule.until.wait()
            elif rule.seconds is not None:
                await asyncio.sleep(rule.seconds)
            return

    def set_fault_rates(
        self,
        p429: float = 0.0,
        p403: float = 0.0,
        p5xx: float = 0.0,
        retry_after: int = 1,
        seed: int | None = None,
    ) -> None:
        """Random faults on sendMessage; a random 403 blocks that chat for good."""
        if p429 + p403 + p5xx > 1.0:
            raise ValueError("fault probabilities add up to more than 1")
        self._p429, self._p403, self._p5xx = p429, p403, p5xx
        self._fault_retry_after = retry_after
        self._rng = random.Random(seed)

    def set_network_faults(
        self,
        p_hang: float = 0.0,
        p_reset: float = 0.0,
        hang_seconds: float = 8.0,
        methods: Iterable[str] = ("sendMessage",),
        seed: int | None = None,
    ) -> None:
        """Random network faults on ``methods``: a *hang* answers only after ``hang_seconds``
        (the request is then handled: a client that timed out may have delivered it); a
        *reset* drops the connection before the request is handled (nothing delivered)."""
        if p_hang + p_reset > 1.0:
            raise ValueError("fault probabilities add up to more than 1")
        self._p_hang, self._p_reset, self._hang_seconds = p_hang, p_reset, hang_seconds
        self._net_methods = frozenset(m.lower() for m in methods)
        self._net_rng = random.Random(seed)

    async def _network_fault(self, name: str, params: dict[str, Any]) -> None:
        r = self._net_rng.random()
        chat_id = _as_int(params.get("chat_id"))
        if r < self._p_reset:
            self.injected_faults.append(InjectedFault(self.clock(), name, chat_id, 0, "reset"))
            raise ConnectionReset(name)
        if r < self._p_reset + self._p_hang:
            self.injected_faults.append(InjectedFault(self.clock(), name, chat_id, 0, "hang"))
            await asyncio.sleep(self._hang_seconds)

    def flood_control(
        self,
        enabled: bool = True,
        global_per_second: int = 30,
        per_chat_interval: float = 1.0,
        methods: Iterable[str] = ("sendMessage",),
    ) -> None:
        """Enforce Telegram's broadcast limits on ``methods`` (429 + ``flood_violations``).

        A call fails if it would make more than ``global_per_second`` deliveries in any
        sliding one-second window, or comes less than ``per_chat_interval`` seconds after
        the previous delivery to the same chat.  Measured with ``clock``.
        """
        self._flood = _FloodSettings(
            enabled=enabled,
            global_per_second=global_per_second,
            per_chat_interval=per_chat_interval,
            methods=frozenset(m.lower() for m in methods),
        )
        self._flood_times.clear()
        self._flood_last.clear()

    def clear_faults(self) -> None:
        """Drop fail_next rules, random fault rates, network faults and flood control."""
        self._fault_rules.clear()
        self._transport_rules.clear()
        self.set_fault_rates()
        self.set_network_faults()
        self.flood_control(enabled=False)

    def _apply_fail_rules(self, key: str, params: dict[str, Any]) -> None:
        if not self._fault_rules:
            return
        chat_id = _as_int(params.get("chat_id"))
        for rule in self._fault_rules:
            if rule.method not in (key, "*"):
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._fault_rules.remove(rule)
            self._raise_fault(key, chat_id, rule.error_code, rule.description, rule.retry_after)

    def _raise_fault(
        self,
        key: str,
        chat_id: int | None,
        error_code: int,
        description: str,
        retry_after: int | None,
    ) -> None:
        name = self._dispatch[key][0] if key in self._dispatch else key
        self.injected_faults.append(
            InjectedFault(self.clock(), name, chat_id, error_code, description)
        )
        raise TelegramAPIError(error_code, description, retry_after=retry_after)

    def _random_fault(self, key: str, user: FakeUser) -> None:
        if key != "sendmessage" or not (self._p429 or self._p403 or self._p5xx):
            return
        r = self._rng.random()
        if r < self._p429:
            ra = self._fault_retry_after
            self._raise_fault(key, user.user_id, 429, f"Too Many Requests: retry after {ra}", ra)
        elif r < self._p429 + self._p403:
            user.blocked = True
            self._raise_fault(key, user.user_id, 403, BLOCKED, None)
        elif r < self._p429 + self._p403 + self._p5xx:
            self._raise_fault(key, user.user_id, 500, "Internal Server Error", None)

    def _check_flood(self, key: str, chat_id: int) -> float | None:
        """429 if this delivery would break the limits; else the time to note it at."""
        settings = self._flood
        if not settings.enabled or key not in settings.methods:
            return None
        now = self.clock()
        times = self._flood_times
        while times and times[0] <= now - settings.window:
            times.popleft()
        wait: float | None = None
        kind = ""
        if len(times) >= settings.global_per_second:
            wait, kind = times[0] + settings.window - now, "global"
        else:
            last = self._flood_last.get(chat_id)
            if last is not None and now - last < settings.per_chat_interval:
                wait, kind = last + settings.per_chat_interval - now, "per_chat"
        if wait is not None:
            retry_after = max(1, math.ceil(wait))
            self.flood_violations += 1
            self.flood_violation_log.append(FloodViolation(now, chat_id, kind, retry_after))
            raise TelegramAPIError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        return now

    def _note_delivery(self, chat_id: int, flood_time: float | None) -> None:
        self.delivered[chat_id] += 1
        if flood_time is not None:
            self._flood_times.append(flood_time)
            self._flood_last[chat_id] = flood_time

    # ================================================================ helpers

    def _chat(self, params: Mapping[str, Any]) -> FakeUser:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        chat_id = _as_int(raw)
        user = self._users.get(chat_id) if chat_id is not None else None
        if user is None:
            raise _bad_request("chat not found")
        return user

    def _writable_chat(self, params: Mapping[str, Any]) -> FakeUser:
        user = self._chat(params)
        if user.blocked:
            raise TelegramAPIError(403, BLOCKED)
        return user

    def _formatted(
        self,
        text: str,
        params: Mapping[str, Any],
        *,
        mode_field: str,
        entities_field: str,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> tuple[str, list[JSON], str | None]:
        mode = _str(params, mode_field).strip()
        entities: list[JSON] = []
        if mode:
            lowered = mode.lower()
            if lowered == "html":
                try:
                    text, entities = parse_html(text, strict_ampersand=self.strict_html)
                except EntityParseError as exc:
                    raise _bad_request(f"can't parse entities: {exc}") from None
            elif lowered not in ("markdown", "markdownv2"):
                raise _bad_request("unsupported parse_mode")
        else:
            given = params.get(entities_field)
            if given:
                try:
                    parsed = _json_value(given)
                except ValueError:
                    raise _bad_request("can't parse entities JSON object") from None
                if isinstance(parsed, list):
                    entities = [dict(e) for e in parsed if isinstance(e, dict)]
        text, entities = strip_text(text, entities)
        if empty is not None and not text:
            raise _bad_request(empty)
        if utf16_len(text) > limit:
            raise _bad_request(too_long)
        return text, entities, mode or None

    def _message_text(self, params: Mapping[str, Any]) -> tuple[str, list[JSON], str | None]:
        raw = _str(params, "text")
        if not raw:
            raise _bad_request("message text is empty")
        return self._formatted(
            raw,
            params,
            mode_field="parse_mode",
            entities_field="entities",
            limit=MAX_MESSAGE_LENGTH,
            too_long="message is too long",
            empty="message must be non-empty",
        )

    def _new_bot_message(
        self,
        user: FakeUser,
        *,
        kind: str,
        text: str | None = None,
        entities: list[JSON] | None = None,
        parse_mode: str | None = None,
        reply_markup: JSON | None = None,
        extra: JSON | None = None,
    ) -> BotMessage:
        chat_id = user.user_id
        message_id = self._new_message_id(chat_id)
        date = int(self.wall_clock())
        raw: JSON = {
            "message_id": message_id,
            "from": dict(self._bot_from),
            "chat": user.chat_dict(),
            "date": date,
        }
        if text is not None:
            raw["text"] = text
            if entities:
                raw["entities"] = entities
        if extra:
            raw.update(extra)
        if _markup_kind(reply_markup) == "inline":
            raw["reply_markup"] = reply_markup
        message = BotMessage(
            chat_id=chat_id,
            message_id=message_id,
            date=date,
            kind=kind,
            text=text,
            entities=list(entities or []),
            reply_markup=reply_markup,
            parse_mode=parse_mode,
            raw=raw,
            original_text=text,
            caption=(extra or {}).get("caption"),
            document=(extra or {}).get("document"),
            location=(extra or {}).get("location"),
        )
        self._messages.setdefault(chat_id, []).append(message)
        self._by_id[(chat_id, message_id)] = message
        return message

    def _find_message(self, params: Mapping[str, Any], what: str) -> BotMessage:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        user = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._by_id.get((user.user_id, message_id))
        if message is None or message.deleted:
            if what == "message to edit" and message_id in self._user_message_ids.get(
                user.user_id, set()
            ):
                raise _bad_request("message can't be edited")
            raise _bad_request(f"{what} not found")
        return message

    def _edit(
        self, message: BotMessage, text: str | None, entities: list[JSON], markup: JSON | None
    ) -> None:
        message.history.append(
            MessageVersion(message.text, message.entities, message.reply_markup, self.clock())
        )
        message.text = text
        message.entities = list(entities)
        # A reply keyboard sent with the message stays on the client; only the inline
        # keyboard is replaced (or removed) by an edit.
        if markup is not None or _markup_kind(message.reply_markup) == "inline":
            message.reply_markup = markup
        message.edit_date = int(self.wall_clock())
        raw = message.raw
        if text is not None and message.kind == "text":
            raw["text"] = text
            if entities:
                raw["entities"] = entities
            else:
                raw.pop("entities", None)
        if _markup_kind(markup) == "inline":
            raw["reply_markup"] = markup
        else:
            raw.pop("reply_markup", None)
        raw["edit_date"] = message.edit_date

    def _inline_markup(self, params: Mapping[str, Any]) -> JSON | None:
        markup = parse_reply_markup(params.get("reply_markup"))
        kind = _markup_kind(markup)
        if kind is None:
            return None
        if kind != "inline":
            raise _bad_request("inline keyboard expected")
        return markup

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None, *, folder: str
    ) -> StoredFile:
        self._file_counter += 1
        n = self._file_counter
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        elif folder == "photos":
            extension = ".jpg"
        elif folder == "stickers":
            extension = ".webp"
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{n:08X}FakeFileId{self.bot_id % 100000:05d}",
            file_unique_id=f"AgAD{n:06X}",
            file_path=f"{folder}/file_{n}{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _scope_key(self, raw: Any, *, check_chat: bool) -> str:
        if raw is None or raw == "":
            return '{"type": "default"}'
        try:
            scope = _json_value(raw)
        except ValueError:
            raise _bad_request("can't parse BotCommandScope JSON object") from None
        prefix = "can't parse BotCommandScope: "
        if not isinstance(scope, dict):
            raise _bad_request(prefix + "BotCommandScope must be an Object")
        kind = scope.get("type")
        if not isinstance(kind, str):
            raise _bad_request(prefix + 'Can\'t find field "type"')
        key: JSON = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_raw = scope.get("chat_id")
            if chat_raw is None or chat_raw == "":
                raise _bad_request(prefix + "Empty chat_id specified")
            chat_id = _as_int(chat_raw)
            if check_chat and (chat_id is None or chat_id not in self._users):
                raise _bad_request("chat not found")
            key["chat_id"] = chat_id if chat_id is not None else chat_raw
            if kind == "chat_member":
                user_id = _as_int(scope.get("user_id"))
                if user_id is None or user_id <= 0:
                    raise _bad_request(prefix + "Invalid user_id specified")
                key["user_id"] = user_id
        elif kind not in (
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
        ):
            raise _bad_request(prefix + "Unsupported type specified")
        return json.dumps(key, sort_keys=True)

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        scope = self._scope_key(params.get("scope"), check_chat=True)
        language = _str(params, "language_code")
        if language and not (len(language) == 2 and language.isascii() and language.islower()):
            raise _bad_request("invalid language code specified")
        return scope, language

    # ================================================================ methods

    def _ok(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> JSON:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[JSON]:
        if self.webhook is not None:
            raise TelegramAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params, "offset", 0)
        limit = min(max(_int(params, "limit", 100), 1), 100)
        timeout = min(max(_int(params, "timeout", 0), 0), LONG_POLL_MAX_TIMEOUT)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str) and allowed:
            try:
                allowed = json.loads(allowed)
            except ValueError:
                allowed = None
        if isinstance(allowed, list):
            self._allowed_updates = (
                frozenset(str(a) for a in allowed) if allowed else _DEFAULT_ALLOWED_UPDATES
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_notifier.notify()  # an older waiting getUpdates ends with 409 Conflict
        self._confirm_updates(offset)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            fut = self._updates_notifier.future()
            batch = self._take_updates(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                self._updates_notifier.discard(fut)
                return batch
            self.active_polls += 1
            self._calls_notifier.notify()
            try:
                await self._updates_notifier.wait(fut, remaining)
            finally:
                self.active_polls -= 1
            if self._poll_generation != generation:
                raise TelegramAPIError(409, _DEFAULT_DESCRIPTIONS[409])
            if self.webhook is not None:
                raise TelegramAPIError(409, "Conflict: terminated by setWebhook request")

    def _confirm_updates(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _take_updates(self, limit: int) -> list[JSON]:
        if len(self._updates) <= limit:
            return list(self._updates)
        return list(itertools.islice(self._updates, limit))

    def _set_webhook(self, params: dict[str, Any]) -> _Described:
        url = _str(params, "url")
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        if not url:
            return self._delete_webhook({})
        already = self.webhook is not None and self.webhook.get("url") == url
        self.webhook = {
            "url": url,
            "max_connections": _int(params, "max_connections", 40),
            "secret_token": _str(params, "secret_token") or None,
            "allowed_updates": params.get("allowed_updates"),
        }
        self._updates_notifier.notify()
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    def _delete_webhook(self, params: dict[str, Any]) -> _Described:
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        existed = self.webhook is not None
        self.webhook = None
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    def _get_webhook_info(self, params: dict[str, Any]) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        return info

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        raw = params.get("commands")
        commands: Any = []
        if raw is not None and raw != "":
            try:
                commands = _json_value(raw)
            except ValueError:
                raise _bad_request("can't parse commands JSON object") from None
        if not isinstance(commands, list):
            raise _bad_request("expected an Array of BotCommand")
        cleaned: list[JSON] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad_request("can't parse BotCommand: expected an Object")
            for name in ("command", "description"):
                if name not in item:
                    raise _bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
                if not isinstance(item[name], str):
                    raise _bad_request(
                        f'can\'t parse BotCommand: Field "{name}" must be of type String'
                    )
            command = item["command"].strip()
            if command.startswith("/"):
                command = command[1:]
            description = item["description"].strip()
            if not command:
                raise _bad_request("command must be non-empty")
            if len(command) > 32:
                raise _bad_request("command length must not exceed 32")
            if not description:
                raise _bad_request("command description must be non-empty")
            if len(description) > 256:
                raise _bad_request("command description length must not exceed 256")
            if not all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in command):
                raise _bad_request("BOT_COMMAND_INVALID")
            cleaned.append({"command": command, "description": description})
        if len(cleaned) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        key = self._commands_key(params)
        self._commands[key] = cleaned
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[JSON]:
        key = self._commands_key(params)
        return [dict(c) for c in self._commands.get(key, [])]

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = self._commands_key(params)
        self._commands.pop(key, None)
        return True

    def _store_description(self, kind: str, limit: int, params: dict[str, Any]) -> bool:
        text = params.get(kind) or ""
        if not isinstance(text, str):
            raise _bad_request(f"{kind} must be a String")
        if len(text) > limit:
            raise _bad_request(f"{kind.upper()}_TOO_LONG")
        key = (kind, params.get("language_code") or "")
        if text:
            self._descriptions[key] = text
        else:
            self._descriptions.pop(key, None)
        return True

    def _set_my_description(self, params: dict[str, Any]) -> bool:
        return self._store_description("description", 512, params)

    def _set_my_short_description(self, params: dict[str, Any]) -> bool:
        return self._store_description("short_description", 120, params)

    def _get_my_description(self, params: dict[str, Any]) -> JSON:
        return {"description": self.description(params.get("language_code"))}

    def _get_my_short_description(self, params: dict[str, Any]) -> JSON:
        return {"short_description": self.description(params.get("language_code"), short=True)}

    def _send_message(self, params: dict[str, Any]) -> JSON:
        text, entities, mode = self._message_text(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        user = self._writable_chat(params)
        flood_time = self._check_flood("sendmessage", user.user_id)
        self._random_fault("sendmessage", user)
        message = self._new_bot_message(
            user, kind="text", text=text, entities=entities, parse_mode=mode, reply_markup=markup
        )
        self._note_delivery(user.user_id, flood_time)
        return message.raw

    def _send_location(self, params: dict[str, Any]) -> JSON:
        latitude = _as_float(params.get("latitude"))
        if latitude is None:
            raise _bad_request("latitude is empty")
        longitude = _as_float(params.get("longitude"))
        if longitude is None:
            raise _bad_request("longitude is empty")
        markup = parse_reply_markup(params.get("reply_markup"))
        user = self._writable_chat(params)
        flood_time = self._check_flood("sendlocation", user.user_id)
        location = {"latitude": latitude, "longitude": longitude}
        message = self._new_bot_message(
            user, kind="location", reply_markup=markup, extra={"location": location}
        )
        self._note_delivery(user.user_id, flood_time)
        return message.raw

    def _send_document(self, params: dict[str, Any]) -> JSON:
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document[len("attach://") :])
        if isinstance(document, UploadedFile):
            stored = self._store_file(
                document.content, document.filename, document.mime_type, folder="documents"
            )
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        elif isinstance(document, str) and document.startswith(("http://", "https://")):
            name = document.rstrip("/").rsplit("/", 1)[-1] or "file"
            stored = self._store_file(b"", name, "application/octet-stream", folder="documents")
        elif isinstance(document, str) and document:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise _bad_request("there is no document in the request")
        caption_raw = _str(params, "caption")
        caption, caption_entities, mode = self._formatted(
            caption_raw,
            params,
            mode_field="parse_mode",
            entities_field="caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )
        markup = parse_reply_markup(params.get("reply_markup"))
        user = self._writable_chat(params)
        flood_time = self._check_flood("senddocument", user.user_id)
        doc: JSON = {
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        media = {k: v for k, v in doc.items() if v is not None}
        return self._deliver_media(user, "document", media, caption, caption_entities, mode,
                                   markup, flood_time)

    def _send_photo(self, params: dict[str, Any]) -> JSON:
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo[len("attach://") :])
        if isinstance(photo, UploadedFile):
            if not photo.content:
                raise _bad_request("IMAGE_PROCESS_FAILED")
            stored = self._store_file(photo.content, None, "image/jpeg", folder="photos")
        elif isinstance(photo, str) and photo in self._files:
            stored = self._files[photo]
        elif isinstance(photo, str) and photo:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise _bad_request("there is no photo in the request")
        caption, caption_entities, mode = self._formatted(
            _str(params, "caption"),
            params,
            mode_field="parse_mode",
            entities_field="caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )
        markup = parse_reply_markup(params.get("reply_markup"))
        user = self._writable_chat(params)
        flood_time = self._check_flood("sendphoto", user.user_id)
        width, height = _image_size(stored.content)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "width": width,
            "height": height,
        }
        return self._deliver_media(user, "photo", [size], caption, caption_entities, mode,
                                   markup, flood_time)

    def _deliver_media(self, user: Any, kind: str, media: Any, caption: str | None,
                       caption_entities: Any, mode: Any, markup: Any,
                       flood_time: float | None) -> JSON:
        """Record a document or photo message (with its caption) in the chat; its raw JSON."""
        extra: JSON = {kind: media}
        if caption:
            extra["caption"] = caption
            if caption_entities:
                extra["caption_entities"] = caption_entities
        message = self._new_bot_message(
            user, kind=kind, parse_mode=mode, reply_markup=markup, extra=extra
        )
        self._note_delivery(user.user_id, flood_time)
        return message.raw

    def _edit_message_text(self, params: dict[str, Any]) -> JSON:
        text, entities, mode = self._message_text(params)
        markup = self._inline_markup(params)
        message = self._find_message(params, "message to edit")
        if message.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        if (
            message.text == text
            and message.entities == entities
            and _inline_part(message.reply_markup) == markup
        ):
            raise _bad_request(NOT_MODIFIED)
        message.parse_mode = mode
        self._edit(message, text, entities, markup)
        return message.raw

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSON:
        markup = self._inline_markup(params)
        message = self._find_message(params, "message to edit")
        if _inline_part(message.reply_markup) == markup:
            raise _bad_request(NOT_MODIFIED)
        self._edit(message, message.text, message.entities, markup)
        return message.raw

    def _delete_message(self, params: dict[str, Any]) -> bool:
        user = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._by_id.get((user.user_id, message_id))
        if message is not None and not message.deleted:
            message.deleted = True
            return True
        own = self._user_message_ids.get(user.user_id, set())
        if message_id in own:
            own.discard(message_id)
            return True
        raise _bad_request("message to delete not found")

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = _str(params, "callback_query_id")
        pending = self._callback_queries.get(query_id)
        if pending is None or pending.answered:
            raise _bad_request(QUERY_TOO_OLD)
        text = _str(params, "text")
        if utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        pending.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                user_id=pending.user_id,
                data=pending.data,
                message_id=pending.message_id,
                text=text,
                show_alert=_bool(params, "show_alert"),
                url=_str(params, "url") or None,
                cache_time=_int(params, "cache_time", 0),
                time=self.clock(),
            )
        )
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        action = _str(params, "action").lower()
        if action not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._writable_chat(params)
        return True

    def _get_file(self, params: dict[str, Any]) -> JSON:
        file_id = _str(params, "file_id")
        if not file_id:
            raise _bad_request("file_id not specified")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }
