"""The outbox table: enqueue inside a transaction, and the sender's reads and writes.

No Telegram here: services call :func:`enqueue` with the connection of the transaction that
makes the change, so the message exists if and only if the change was committed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

import aiosqlite

from bot.clock import to_db
from bot.storage.db import Database


class Priority(IntEnum):
    """Which messages go first when there are more than Telegram takes (lower first)."""

    URGENT = 0     # handover receipts, admin alerts, application cards and outcomes
    NOTICE = 1     # arrival notices
    ROUTINE = 2    # reminders, summaries
    # Broadcasts come after all of these (their own table; rank 9 in the rate limiter).


PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
DROPPED = "dropped"   # the renderer said there is nothing to send any more


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int
    attempts: int
    language: str | None = None      # the recipient's, read with the row
    tg_language: str | None = None


_enqueued = False


def take_enqueued_flag() -> bool:
    """Whether :func:`enqueue` ran since the last call (the sender then reads the table again,
    as a new row may be more urgent than those it holds)."""
    global _enqueued
    flag, _enqueued = _enqueued, False
    return flag


async def enqueue(
    conn: aiosqlite.Connection,
    chat_id: int,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    priority: Priority | int = Priority.NOTICE,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Add a message for ``chat_id``, to be rendered by the renderer of ``kind`` when sent.

    Call it inside ``async with db.transaction() as conn`` with the change that causes the
    message: a rollback drops it too. ``payload`` is JSON (ids and facts, never a readable
    pickup code). With ``dedupe_key``, a second pending message with the same key is not added
    (returns None). Returns the row id. The sender is woken when the transaction commits.
    """
    global _enqueued
    _enqueued = True
    cur = await conn.execute(
        """
        INSERT INTO outbox (chat_id, kind, payload, priority, dedupe_key, not_before, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL DO NOTHING
        """,
        (chat_id, kind, json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True),
         int(priority), dedupe_key, to_db(not_before or now), to_db(now)),
    )
    return cur.lastrowid if cur.rowcount else None


async def enqueue_many(
    conn: aiosqlite.Connection,
    chat_ids: Sequence[int],
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    priority: Priority | int = Priority.URGENT,
) -> int:
    """The same message to several chats (e.g. every admin); returns how many were added."""
    added = 0
    for chat_id in chat_ids:
        if await enqueue(conn, chat_id, kind, payload, now=now, priority=priority) is not None:
            added += 1
    return added


async def enqueue_batch(
    conn: aiosqlite.Connection,
    messages: Sequence[tuple[int, str, Mapping[str, Any], Priority | int]],
    *,
    now: datetime,
) -> None:
    """Many different messages, (chat id, kind, payload, priority) each, in one statement.

    For work that queues thousands at once in one transaction (the holding sweep): each
    ``enqueue`` is a round trip to the database thread. No dedupe key.
    """
    ts = to_db(now)
    await conn.executemany(
        """INSERT INTO outbox (chat_id, kind, payload, priority, not_before, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [(chat_id, kind, json.dumps(dict(payload), ensure_ascii=False, sort_keys=True),
          int(priority), ts, ts) for chat_id, kind, payload, priority in messages],
    )


def _row(r: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(r["id"], r["chat_id"], r["kind"], json.loads(r["payload"]), r["priority"],
                     r["attempts"], r["language"], r["tg_language"])


async def due(db: Database, now: datetime, limit: int) -> list[OutboxRow]:
    """Pending rows that may be sent now, most urgent first, each its chat's oldest pending row
    (one chat's messages go in the order they were written)."""
    rows = await db.fetchall(
        """
        SELECT o.id, o.chat_id, o.kind, o.payload, o.priority, o.attempts,
               u.language, u.tg_language
        FROM outbox o LEFT JOIN users u ON u.user_id = o.chat_id  -- private chats: chat = user
        WHERE o.state = 'pending' AND o.not_before <= ?
          AND o.id = (SELECT MIN(p.id) FROM outbox p
                      WHERE p.chat_id = o.chat_id AND p.state = 'pending')
        ORDER BY o.priority, o.id
        LIMIT ?
        """,
        (to_db(now), limit),
    )
    return [_row(r) for r in rows]


async def next_due_at(db: Database) -> str | None:
    """The earliest ``not_before`` of a pending row (ISO text), or None."""
    return await db.fetchval("SELECT MIN(not_before) FROM outbox WHERE state = 'pending'")


async def mark_done(
    conn: aiosqlite.Connection, row_id: int, state: str, now: datetime, *,
    message_id: int | None = None, error: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE outbox SET state = ?, done_at = ?, message_id = ?, error = COALESCE(?, error), "
        "attempts = attempts + (? <> 'sent') WHERE id = ? AND state = 'pending'",
        (state, to_db(now), message_id, error, state, row_id),
    )


async def postpone(
    conn: aiosqlite.Connection, row_id: int, not_before: datetime, error: str, *,
    count_attempt: bool = True,
) -> None:
    await conn.execute(
        "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + ? "
        "WHERE id = ? AND state = 'pending'",
        (to_db(not_before), error[:300], 1 if count_attempt else 0, row_id),
    )


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happened to one row: ``state`` (``pending`` = try again at ``not_before``)."""

    row_id: int
    state: str
    tries: int = 0                      # added to ``attempts``
    message_id: int | None = None
    error: str | None = None
    not_before: datetime | None = None


_OUTCOMES_SQL = """
UPDATE outbox SET
    state = v.state,
    done_at = CASE WHEN v.state = 'pending' THEN outbox.done_at ELSE :now END,
    message_id = v.message_id,
    error = COALESCE(v.error, outbox.error),
    not_before = COALESCE(v.not_before, outbox.not_before),
    attempts = outbox.attempts + v.tries
FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS state, value ->> '$[2]' AS tries,
             value ->> '$[3]' AS message_id, value ->> '$[4]' AS error,
             value ->> '$[5]' AS not_before
      FROM json_each(:rows)) AS v
WHERE outbox.id = v.id AND outbox.state = 'pending'
"""


def outcomes_statement(outcomes: Sequence[RowOutcome], now: datetime) -> tuple[str, dict[str, str]]:
    """One ``UPDATE … FROM json_each(?)`` recording many rows' outcomes (the sender's group
    commit: one statement, one round trip to the database thread, however many rows)."""
    rows = [[o.row_id, o.state, o.tries, o.message_id,
             None if o.error is None else o.error[:300],
             None if o.not_before is None else to_db(o.not_before)] for o in outcomes]
    return _OUTCOMES_SQL, {"now": to_db(now), "rows": json.dumps(rows, ensure_ascii=False)}


async def record_outcomes(conn: aiosqlite.Connection, outcomes: Sequence[RowOutcome],
                          now: datetime) -> None:
    """Inside a transaction: see :func:`outcomes_statement`."""
    if outcomes:
        await conn.execute(*outcomes_statement(outcomes, now))


async def mark_users_blocked(conn: aiosqlite.Connection, chat_ids: Sequence[int],
                             now: datetime) -> None:
    await conn.executemany(
        "UPDATE users SET blocked = 1, blocked_at = ? WHERE chat_id = ? AND blocked = 0",
        [(to_db(now), c) for c in chat_ids],
    )


async def mark_user_blocked(conn: aiosqlite.Connection, chat_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE users SET blocked = 1, blocked_at = ? WHERE chat_id = ? AND blocked = 0",
        (to_db(now), chat_id),
    )


async def counts(db: Database) -> dict[str, int]:
    """Rows per state (for admins and tests)."""
    rows = await db.fetchall("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
    return {r["state"]: r["n"] for r in rows}


async def any_pending(db: Database) -> bool:
    """Whether any row is still pending (one lookup in the ``outbox_pending`` index)."""
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending')"))


async def undelivered_since(db: Database, since: datetime) -> int:
    """Messages that could not be delivered (failed or blocked) since ``since``."""
    return int(await db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE state IN ('failed', 'blocked') AND done_at >= ?",
        (to_db(since),)) or 0)


async def waiting_count(db: Database) -> int:
    """Messages not sent yet (due now or waiting out a back-off)."""
    return int(await db.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") or 0)


async def undelivered_by_state(db: Database, since: datetime) -> dict[str, int]:
    """Messages that could not be delivered since ``since``: {"failed": n, "blocked": m}."""
    rows = await db.fetchall(
        "SELECT state, COUNT(*) AS n FROM outbox WHERE state IN ('failed', 'blocked') "
        "AND done_at >= ? GROUP BY state", (to_db(since),))
    return {r["state"]: int(r["n"]) for r in rows}
