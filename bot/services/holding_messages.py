"""The holding period's messages: their kinds and how they are queued.

Every message is an outbox row written by the caller's transaction (the claim that makes it
owed), with a JSON payload that holds everything needed to render it; it is rendered in the
recipient's language when it is sent (``bot/handlers/holding_texts.py`` registers a renderer
per kind). Nothing here sends.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot import outbox

REMINDER = "holding.reminder"          # customer: last day coming
EXPIRED = "holding.expired"            # customer: not collected in time, goes back
RETURNS_DUE = "holding.returns_due"    # shopkeeper: give these back to the courier
RETURNED = "holding.returned"          # customer: it went back to the sender
SUMMARY = "holding.summary"            # shopkeeper: the morning summary

KINDS = (REMINDER, EXPIRED, RETURNS_DUE, RETURNED, SUMMARY)

# Reminders and summaries are routine; what changed a parcel's fate goes with the notices.
PRIORITY = {
    REMINDER: outbox.Priority.ROUTINE,
    SUMMARY: outbox.Priority.ROUTINE,
    EXPIRED: outbox.Priority.NOTICE,
    RETURNS_DUE: outbox.Priority.NOTICE,
    RETURNED: outbox.Priority.NOTICE,
}


async def queue_many(
    conn: aiosqlite.Connection, messages: list[tuple[int, str, dict]], now: datetime
) -> int:
    """Queue (chat id, kind, payload) messages in the caller's transaction, in one statement."""
    if messages:
        await outbox.enqueue_batch(
            conn, [(chat, kind, payload, PRIORITY[kind]) for chat, kind, payload in messages],
            now=now)
    return len(messages)


async def queue(
    conn: aiosqlite.Connection, *, chat_id: int, kind: str, payload: dict, now: datetime
) -> int | None:
    """Queue one message in the caller's transaction (the claim that makes it owed)."""
    return await outbox.enqueue(conn, chat_id, kind, payload, now=now, priority=PRIORITY[kind])
