"""What a Telegram error means for a message to someone else (outbox and broadcasts alike)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.ratelimit import RateLimiterClosed, retry_seconds
from bot.telegram_request import is_connection_never_made, is_transport_error


class Verdict(Enum):
    RETRY_AFTER = "retry_after"   # 429: Telegram says when; only this chat waits
    RETRY = "retry"               # 5xx, timeout, reset, no connection: back off and retry
    BLOCKED = "blocked"           # 403: the user blocked the bot (or is deactivated)
    FAILED = "failed"             # 400 and other refusals: sending again cannot help
    STOPPING = "stopping"         # the bot is shutting down: nothing was sent, try at next start


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    error: str
    delay: float = 0.0
    fate_known: bool = True  # False: the request may have reached Telegram


def fate_known(exc: NetworkError) -> bool:
    """True when Telegram certainly did not act on the request, so sending again is safe.

    An HTTP answer (5xx, 502) or a connection that was never made: known. A request that was
    written but whose answer never came (read timeout, connection reset mid-answer): unknown.
    Both transports are understood: the bot's own (aiohttp, ``bot/telegram_request.py``) and
    PTB's default (httpx), which a caller may still pass to ``build_application``.
    """
    if isinstance(exc, RateLimiterClosed):
        return True
    cause = exc.__cause__
    if cause is not None and is_transport_error(cause):
        return is_connection_never_made(cause)
    if not isinstance(cause, httpx.HTTPError):
        return True
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def judge(exc: TelegramError) -> Judgement:
    if isinstance(exc, RetryAfter):
        delay = retry_seconds(exc)
        return Judgement(Verdict.RETRY_AFTER, f"429 retry after {delay:g} s", delay)
    if isinstance(exc, Forbidden):
        return Judgement(Verdict.BLOCKED, f"403 {exc.message}")
    if isinstance(exc, BadRequest):
        return Judgement(Verdict.FAILED, f"400 {exc.message}")
    if isinstance(exc, RateLimiterClosed):
        return Judgement(Verdict.STOPPING, exc.message)
    if isinstance(exc, NetworkError):  # TimedOut included
        if "not initialized" in exc.message:  # PTB's HTTP client closed: shutting down
            return Judgement(Verdict.STOPPING, exc.message)
        return Judgement(Verdict.RETRY, f"network: {exc.message}", fate_known=fate_known(exc))
    return Judgement(Verdict.FAILED, exc.message)
