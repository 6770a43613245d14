"""The holding period's messages: their kinds and how they are queued.

Every message is an outbox row written by the caller's transaction (the claim that makes it
owed), with a JSON payload that holds everything needed to render it; it is rendered in the
recipient's language when it is sent (``bot/handlers/holding_texts.py`` registers a renderer
per kind). Nothing here sends.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

REMINDER = "holding.reminder"          # customer: last day coming
EXPIRED = "holding.expired"            # customer: not collected in time, goes back
RETURNS_DUE = "holding.returns_due"    # shopkeeper: give these back to the courier
RETURNED = "holding.returned"          # customer: it went back to the sender
SUMMARY = "holding.summary"            # shopkeeper: the morning summary

KINDS = (REMINDER, EXPIRED, RETURNS_DUE, RETURNED, SUMMARY)


async def queue(
    conn: aiosqlite.Connection, *, chat_id: int, kind: str, payload: dict, now: datetime
) -> int:
    """Queue one message in the caller's transaction; returns the outbox row id."""
    raise NotImplementedError
