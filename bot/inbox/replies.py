"""Retry rules for replies to the person being answered, at one place: the rate limiter.

A *reply* is a message request (``send*``, ``edit*``, ...) to the chat whose update is being
handled (:data:`bot.inbox.dispatcher.current_chat`). Messages to anyone else keep their own
sender's rules (``bot/handlers/delivery.py``, the broadcast sender).

* 429: the limiter holds only that chat for ``retry_after`` and retries (``RateLimiter``).
* 5xx, timeouts, connection resets: back off (0.5 s doubling, at most 5 s) and retry until
  ``retry_seconds`` have passed since the first attempt.
* 400 "message is not modified" on an edit: the message already reads that way — success
  (a double tap on a button edits with the same text).
* What still fails is recorded in ``undelivered`` (6-digit numbers masked: a reply may carry
  the user's own pickup code) and raised to the handler, so the error handler still runs.
* ``answerCallbackQuery`` is only the spinner on a button: one attempt, at most
  :data:`ANSWER_TIMEOUT` seconds; a failure or a hang is logged and ignored, so it never
  undoes or delays what the button did.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.inbox.dispatcher import current_chat
from bot.ratelimit import RateLimiter, RateLimiterClosed, _chat_key

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 3.0
_NOT_MODIFIED = "message is not modified"
_CODE_LIKE = re.compile(r"(?<!\d)\d{6}(?!\d)")

Recorder = Callable[[int, str, str], Awaitable[None]]


def redact(text: str) -> str:
    """The text as it may be kept in ``undelivered``: 6-digit numbers masked."""
    return _CODE_LIKE.sub("••••••", text)


class ReplyingRateLimiter(RateLimiter):
    """:class:`~bot.ratelimit.RateLimiter` plus the reply rules of this module."""

    def __init__(self, *args: Any, retry_seconds: float = 20.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reply_retry_seconds = retry_seconds
        self.answer_timeout = ANSWER_TIMEOUT
        self.record: Recorder | None = None
        self.reply_stats = {"retried": 0, "not_modified": 0, "lost": 0, "answers_failed": 0}

    async def process_request(  # noqa: PLR0913 - PTB's signature
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        lowered = endpoint.lower()
        if lowered == "answercallbackquery":
            return await self._answer(callback, args, kwargs, endpoint, data, rate_limit_args)
        chat = current_chat.get()
        if chat is None or _chat_key(data.get("chat_id")) != chat:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args)
        return await self._reply(callback, args, kwargs, endpoint, data, rate_limit_args, chat)

    async def _answer(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # noqa: ANN001, ANN202, PLR0913
        try:
            return await asyncio.wait_for(
                super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args),
                self.answer_timeout,
            )
        except (TimeoutError, TelegramError) as exc:
            self.reply_stats["answers_failed"] += 1
            log.info("button answer failed, ignored: %s", exc or "timed out")
            return True

    async def _reply(self, callback, args, kwargs, endpoint, data, rate_limit_args, chat):  # noqa: ANN001, ANN202, PLR0913
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_retry_seconds
        delay = 0.5
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest as exc:
                if endpoint.lower().startswith("edit") and _NOT_MODIFIED in exc.message.lower():
                    self.reply_stats["not_modified"] += 1
                    return True
                await self._lost(chat, data, f"400 {exc.message}")
                raise
            except RetryAfter as exc:  # the limiter already retried this chat several times
                await self._lost(chat, data, f"429 {exc.message}")
                raise
            except RateLimiterClosed:
                raise
            except (TimedOut, NetworkError) as exc:
                if "not initialized" in exc.message or loop.time() + delay > deadline:
                    await self._lost(chat, data, f"network: {exc.message}")
                    raise
                self.reply_stats["retried"] += 1
                log.info("reply to chat %s failed (%s); retrying in %.1f s", chat, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except TelegramError as exc:  # 403 and the like: no point retrying
                await self._lost(chat, data, f"{type(exc).__name__}: {exc.message}")
                raise

    async def _lost(self, chat: int, data: dict[str, Any], error: str) -> None:
        self.reply_stats["lost"] += 1
        text = data.get("text") or data.get("caption") or ""
        log.warning("reply to chat %s not delivered: %s", chat, error)
        if self.record is None:
            return
        try:
            await self.record(chat, redact(str(text)), error)
        except Exception:  # noqa: BLE001 - recording must not hide the original error
            log.exception("could not record an undelivered reply")
