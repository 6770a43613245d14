"""How the bot talks HTTP to the Bot API: PTB's ``BaseRequest`` on an aiohttp session.

PTB's default backend (``HTTPXRequest``) costs about 1.8 ms of CPU per request: httpcore checks
every pooled connection's socket on every request (``has_expired`` → ``getpeername``), plus
anyio and URL parsing. The same ``sendMessage`` through aiohttp costs about 0.25 ms (7 × less)
(``benchmarks/http_backends.py``). At 1,000 messages a second that difference is the whole
of a core, so the outbox could not keep up (issue #10).

This is PTB's own extension point (``BaseRequest``): PTB still builds the request (``RequestData``),
parses Telegram's answer and raises its errors (``RetryAfter``, ``Forbidden``, ``BadRequest`` …)
in ``BaseRequest._request_wrapper``; only the transport differs. The error a transport failure
raises keeps the aiohttp exception as its ``__cause__``, which :func:`bot.outbox.errors.fate_known`
reads to tell "never reached Telegram" from "may have been acted on".

Timeouts, as PTB's documentation defines them:

* ``pool_timeout`` + ``connect_timeout`` — getting a connection (aiohttp ``connect``: waiting for
  a free one in the pool, then connecting); a failure here is certain not to have been sent;
* ``connect_timeout`` — the TCP/TLS connect alone (aiohttp ``sock_connect``);
* ``read_timeout`` — between two reads of the answer (aiohttp ``sock_read``);
* ``write_timeout`` — aiohttp has no separate write timeout: for an ordinary call (a small
  body) it is part of an overall ceiling, the sum of all four, so that no call can hang for
  ever. A file upload or download gets no overall ceiling (a 20 MB label photo on a slow link
  takes as long as it takes, as with httpx): only the read and connect timeouts apply.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

NOT_INITIALIZED = "This AiohttpRequest is not initialized!"


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _sum(*parts: float | None) -> float | None:
    """None (no limit) if any part is None."""
    if any(p is None for p in parts):
        return None
    return sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """``Application.builder().request(AiohttpRequest(256)).get_updates_request(AiohttpRequest(1))``."""

    __slots__ = ("_connect", "_limit", "_media_write", "_pool", "_proxies", "_read", "_session",
                 "_write")

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._limit = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit, limit_per_host=0,
                ssl=ssl.create_default_context(cafile=certifi.where()),
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                # Not trust_env: aiohttp would then read ~/.netrc in a thread on every request
                # (a third of the CPU at 1,000/s). The proxy variables are read once, here.
                trust_env=False,
            )
            self._proxies = urllib.request.getproxies_environment()

    def _proxy_for(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as httpx and curl read them."""
        parts = urllib.parse.urlsplit(url)
        if urllib.request.proxy_bypass_environment(parts.hostname or "", self._proxies):
            return None
        return self._proxies.get(parts.scheme) or self._proxies.get("all")

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError(NOT_INITIALIZED)
        files = request_data.multipart_data if request_data else None
        read = _value(read_timeout, self._read)
        connect = _value(connect_timeout, self._connect)
        pool = _value(pool_timeout, self._pool)
        write = _value(write_timeout, self._media_write if files else self._write)
        timeout = aiohttp.ClientTimeout(
            total=None if files or method == "GET" else _sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        data: Any = None
        if request_data is not None:
            data = _form(request_data.json_parameters, files) if files else \
                request_data.json_parameters
        try:
            async with session.request(method, url, data=data, timeout=timeout,
                                       proxy=self._proxy_for(url) if self._proxies else None,
                                       ) as answer:
                return answer.status, await answer.read()
        except TimeoutError as err:  # aiohttp's ServerTimeoutError is one too
            if isinstance(err, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "Pool or connect timeout: the request was *not* sent to Telegram."
                ) from err
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_without_token(str(err))}") \
                from err


_TOKEN_IN_URL = re.compile(r"/bot[^/\s'\"]+/")


def _without_token(text: str) -> str:
    """Some aiohttp errors quote the URL, which carries the bot token: the message may be
    stored (an undelivered message's error) or shown to admins."""
    return _TOKEN_IN_URL.sub("/bot<bot-token>/", text)


def _form(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    """A multipart body: PTB's parameters as text fields, then its files
    (``{name: (filename, bytes or file, mime type)}``)."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename or name, content_type=mimetype)
    return form


def is_connection_never_made(cause: BaseException) -> bool:
    """True for an aiohttp error raised before the request could be written (no connection
    from the pool, or none could be opened): Telegram certainly did not act on it."""
    return isinstance(cause, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError)


def is_transport_error(cause: BaseException) -> bool:
    return isinstance(cause, aiohttp.ClientError | asyncio.TimeoutError)
