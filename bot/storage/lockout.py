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
    conn: aiosqlite.Connection, store_id: int, user_id: int, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO pickup_attempts (store_id, user_id, at) VALUES (?, ?, ?)",
        (store_id, user_id, to_db(now)),
    )


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
