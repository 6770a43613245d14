"""SQL of wrong pickup codes and code-entry locks (used inside a caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db


@dataclass(frozen=True)
class LockRow:
    id: int
    store_id: int
    locked_at: datetime
    locked_until: datetime
    admins_told_at: datetime | None


LATEST_LOCK = """
    SELECT * FROM pickup_locks WHERE store_id = ? ORDER BY locked_until DESC LIMIT 1
"""
WRONG_SINCE = "SELECT COUNT(*) FROM pickup_attempts WHERE store_id = ? AND at > ?"


def _lock(row: aiosqlite.Row | None) -> LockRow | None:
    if row is None:
        return None
    return LockRow(
        id=row["id"],
        store_id=row["store_id"],
        locked_at=from_db(row["locked_at"]),
        locked_until=from_db(row["locked_until"]),
        admins_told_at=from_db(row["admins_told_at"]) if row["admins_told_at"] else None,
    )


async def latest_lock(conn: aiosqlite.Connection, store_id: int) -> LockRow | None:
    cur = await conn.execute(LATEST_LOCK, (store_id,))
    return _lock(await cur.fetchone())


async def add_wrong_code(
    conn: aiosqlite.Connection, store_id: int, user_id: int, now: datetime,
    message: tuple[int, int] | None = None,
) -> bool:
    """Record a wrong code; with ``message`` (chat id, message id) only once per message.
    False when that message was recorded before (the same update handled again)."""
    chat_id, message_id = message if message is not None else (None, None)
    cur = await conn.execute(
        "INSERT INTO pickup_attempts (store_id, user_id, at, chat_id, message_id) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO NOTHING",
        (store_id, user_id, to_db(now), chat_id, message_id),
    )
    return cur.rowcount == 1


LOCK_STARTED_BY = """
    SELECT 1 FROM pickup_locks l JOIN pickup_attempts a
      ON a.store_id = l.store_id AND a.at = l.locked_at
    WHERE l.id = ? AND a.chat_id = ? AND a.message_id = ?
"""


async def lock_started_by(
    conn: aiosqlite.Connection, lock_id: int, message: tuple[int, int]
) -> bool:
    """Whether the wrong code typed in ``message`` (chat id, message id) started the lock."""
    cur = await conn.execute(LOCK_STARTED_BY, (lock_id, *message))
    return await cur.fetchone() is not None


async def wrong_codes_since(conn: aiosqlite.Connection, store_id: int, since: datetime) -> int:
    """Wrong codes typed at the store strictly after ``since``."""
    cur = await conn.execute(WRONG_SINCE, (store_id, to_db(since)))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def add_lock(
    conn: aiosqlite.Connection, store_id: int, now: datetime, until: datetime
) -> LockRow:
    cur = await conn.execute(
        "INSERT INTO pickup_locks (store_id, locked_at, locked_until) VALUES (?, ?, ?)",
        (store_id, to_db(now), to_db(until)),
    )
    assert cur.lastrowid is not None
    return LockRow(cur.lastrowid, store_id, now, until, None)


async def mark_admins_told(conn: aiosqlite.Connection, lock_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE pickup_locks SET admins_told_at = ? WHERE id = ? AND admins_told_at IS NULL",
        (to_db(now), lock_id),
    )
    return cur.rowcount == 1
