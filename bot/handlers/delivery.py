"""Sending a reply with retries, recorded if lost (the new-code message, /applications cards).

Everything sent *to someone else* (notices, receipts, alerts, cards, outcomes) is an outbox
message instead: ``bot/outbox/``, docs/outbox.md. A reply that could not be sent is recorded
with the outbox's failures (``users.record_undelivered``: one place).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.ratelimit import RateLimiterClosed, retry_seconds
from bot.services.context import Services
from bot.storage import users as users_repo

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_SECONDS = (0.5, 1.5, 4.0)


async def send_with_retries(
    bot: Bot, svc: Services, chat_id: int, text: str, *, record: str | None = None,
    **kwargs: Any,
) -> tuple[Message | None, str]:
    """Send ``text``; returns (message, "") or, when it could not be sent, (None, error).

    429 waits ``retry_after``; timeouts and 5xx back off and retry; 403 marks the user blocked.
    A message that still fails is recorded (with the outbox failures) as ``record`` (default: the
    text itself; pass a redacted copy when the text holds a secret such as a pickup code).
    """
    error = ""
    for attempt in range(ATTEMPTS):
        try:
            return await bot.send_message(chat_id, text, **kwargs), ""
        except RetryAfter as exc:
            delay = retry_seconds(exc)
            error = f"429 retry after {delay:g} s"
            await asyncio.sleep(delay)
        except Forbidden as exc:
            await users_repo.mark_blocked(svc.db, chat_id, svc.clock.now())
            error = f"403 {exc.message}"
            break
        except BadRequest as exc:
            error = f"400 {exc.message}"
            break
        except RateLimiterClosed as exc:  # the bot is stopping: waiting would only stall it
            error = f"not sent: {exc.message}"
            break
        except (TimedOut, NetworkError) as exc:
            if "not initialized" in exc.message:  # PTB's HTTP client closed: shutting down
                error = f"not sent, the bot is stopping: {exc.message}"
                break
            error = f"network: {exc.message}"
            if attempt < len(BACKOFF_SECONDS):
                await asyncio.sleep(BACKOFF_SECONDS[attempt])
    log.warning("message to chat %s not delivered: %s", chat_id, error)
    await users_repo.record_undelivered(
        svc.db, chat_id, text if record is None else record, error, svc.clock.now()
    )
    return None, error


async def deliver(
    bot: Bot, svc: Services, chat_id: int, text: str, **kwargs: Any
) -> Message | None:
    """Send ``text`` to ``chat_id`` with retries (see :func:`send_with_retries`); never raises."""
    message, _error = await send_with_retries(bot, svc, chat_id, text, **kwargs)
    return message
