"""A small, faithful fake of the Telegram Bot API for tests and benchmarks.

* :class:`FakeBotAPI` — state, method dispatch, simulated users, fault injection.
* :class:`FakeRequest` — PTB ``BaseRequest`` answering in-process (flow tests).
* :class:`FakeBotAPIServer` — the same over real HTTP/1.1 (end-to-end tests, benchmarks).

See README.md in this directory.
"""

from .core import (
    DEFAULT_TOKEN,
    OWN_ID,
    BotMessage,
    CallbackAnswer,
    DeliveryReport,
    FakeBotAPI,
    FakeUser,
    FloodViolation,
    InjectedFault,
    MessageVersion,
    RecordedRequest,
    StoredFile,
    TelegramAPIError,
    UploadedFile,
    WaitTimeout,
    normalize_params,
    parse_reply_markup,
)
from .entities import EntityParseError, parse_html, utf16_len
from .http import FakeBotAPIServer
from .request import FakeRequest, params_from_request_data

__all__ = [
    "DEFAULT_TOKEN",
    "OWN_ID",
    "BotMessage",
    "CallbackAnswer",
    "DeliveryReport",
    "EntityParseError",
    "FakeBotAPI",
    "FakeBotAPIServer",
    "FakeRequest",
    "FakeUser",
    "FloodViolation",
    "InjectedFault",
    "MessageVersion",
    "RecordedRequest",
    "StoredFile",
    "TelegramAPIError",
    "UploadedFile",
    "WaitTimeout",
    "normalize_params",
    "params_from_request_data",
    "parse_html",
    "parse_reply_markup",
    "utf16_len",
]
