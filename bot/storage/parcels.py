"""SQL for parcels and their events.

Functions taking an ``aiosqlite.Connection`` run inside the caller's transaction
(``async with db.transaction() as conn``); those taking the ``Database`` are single reads.
Every change of a parcel's state is followed, in the same transaction, by :func:`append_event`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.clock import to_db
from bot.storage.db import Database, Row

HELD = "('arrived', 'to_return')"
ACTIVE = "('expected', 'arrived', 'to_return')"


async def append_event(
    conn: aiosqlite.Connection,
    parcel_id: int,
    event: str,
    actor_id: int | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the parcel's history. ``details`` must never hold a pickup code."""
    await conn.execute(
        "INSERT INTO parcel_events (parcel_id, at, event, actor_id, details) VALUES (?, ?, ?, ?, ?)",
        (parcel_id, to_db(now), event, actor_id,
         json.dumps(details or {}, ensure_ascii=False, sort_keys=True)),
    )


async def append_events(
    conn: aiosqlite.Connection,
    events: Sequence[tuple[int, str, int | None, datetime, dict[str, Any] | None]],
) -> None:
    """:func:`append_event` for many (parcel_id, event, actor_id, now, details) at once."""
    await conn.executemany(
        "INSERT INTO parcel_events (parcel_id, at, event, actor_id, details) VALUES (?, ?, ?, ?, ?)",
        [(p, to_db(now), event, actor, json.dumps(details or {}, ensure_ascii=False,
                                                  sort_keys=True))
         for p, event, actor, now, details in events],
    )


async def by_ids_with_owner(conn: aiosqlite.Connection, ids: Iterable[int]) -> dict[int, Row]:
    """Parcels by id, each with ``owner``: the user now linked to its phone (or None)."""
    cur = await conn.execute(
        "SELECT p.*, c.user_id AS owner FROM parcels p "
        "LEFT JOIN customers c ON c.phone = p.customer_phone "
        "WHERE p.id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(set(ids))),))
    return {r["id"]: r for r in await cur.fetchall()}


async def by_tracking(conn: aiosqlite.Connection | Database, tracking_id: str) -> Row | None:
    sql = "SELECT * FROM parcels WHERE tracking_id = ?"
    if isinstance(conn, Database):
        return await conn.fetchone(sql, (tracking_id,))
    cur = await conn.execute(sql, (tracking_id,))
    return await cur.fetchone()


async def by_id(conn: aiosqlite.Connection | Database, parcel_id: int) -> Row | None:
    sql = "SELECT * FROM parcels WHERE id = ?"
    if isinstance(conn, Database):
        return await conn.fetchone(sql, (parcel_id,))
    cur = await conn.execute(sql, (parcel_id,))
    return await cur.fetchone()


async def by_token(db: Database, token: str) -> Row | None:
    return await db.fetchone("SELECT * FROM parcels WHERE link_token = ?", (token,))


async def by_trackings(conn: aiosqlite.Connection, tracking_ids: Iterable[str]) -> dict[str, Row]:
    cur = await conn.execute(
        "SELECT * FROM parcels WHERE tracking_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(tracking_ids))),),
    )
    return {row["tracking_id"]: row for row in await cur.fetchall()}


async def held_count(conn: aiosqlite.Connection | Database, store_id: int) -> int:
    """Parcels on the store's shelf: arrived, or due back to the courier but not yet returned."""
    sql = f"SELECT COUNT(*) FROM parcels WHERE store_id = ? AND status IN {HELD}"
    if isinstance(conn, Database):
        return int(await conn.fetchval(sql, (store_id,)))
    cur = await conn.execute(sql, (store_id,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def insert(
    conn: aiosqlite.Connection,
    *,
    tracking_id: str,
    store_id: int,
    phone: str,
    name: str | None,
    status: str,
    link_token: str,
    now: datetime,
    manifest_id: int | None = None,
) -> int:
    ts = to_db(now)
    cur = await conn.execute(
        """INSERT INTO parcels (tracking_id, store_id, customer_phone, customer_name, status,
                                link_token, manifest_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (tracking_id, store_id, phone, name, status, link_token, manifest_id, ts, ts),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def insert_many_expected(
    conn: aiosqlite.Connection,
    rows: Sequence[tuple[str, int, str, str | None, str]],
    manifest_id: int,
    now: datetime,
) -> None:
    """Bulk insert of expected parcels: (tracking_id, store_id, phone, name, link_token)."""
    ts = to_db(now)
    await conn.executemany(
        """INSERT INTO parcels (tracking_id, store_id, customer_phone, customer_name, status,
                                link_token, manifest_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'expected', ?, ?, ?, ?)""",
        [(t, s, p, n, token, manifest_id, ts, ts) for t, s, p, n, token in rows],
    )


async def append_manifest_events(
    conn: aiosqlite.Connection, manifest_id: int, actor_id: int | None, now: datetime
) -> None:
    """One ``expected`` event for every parcel the manifest added (one statement)."""
    await conn.execute(
        """INSERT INTO parcel_events (parcel_id, at, event, actor_id, details)
           SELECT id, ?, 'expected', ?, json_object('manifest', ?)
           FROM parcels WHERE manifest_id = ? ORDER BY id""",
        (to_db(now), actor_id, manifest_id, manifest_id),
    )


async def mark_arrived(
    conn: aiosqlite.Connection, parcel_id: int, last_day: date, now: datetime
) -> bool:
    """expected → arrived; False when the parcel was not expected any more (a race lost)."""
    ts = to_db(now)
    cur = await conn.execute(
        """UPDATE parcels SET status = 'arrived', arrived_at = ?, last_day = ?, updated_at = ?
           WHERE id = ? AND status = 'expected'""",
        (ts, last_day.isoformat(), ts, parcel_id),
    )
    return cur.rowcount == 1


async def mark_refused(conn: aiosqlite.Connection, parcel_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE parcels SET status = 'refused', updated_at = ? WHERE id = ? AND status = 'expected'",
        (to_db(now), parcel_id),
    )
    return cur.rowcount == 1


async def waiting_at_store(db: Database, store_id: int) -> list[Row]:
    """Parcels on the shelf waiting for their customer, soonest last day first."""
    return await db.fetchall(
        """SELECT * FROM parcels WHERE store_id = ? AND status = 'arrived'
           ORDER BY last_day, arrived_at, id""",
        (store_id,),
    )


async def active_for_phone(db: Database, phone: str) -> list[Row]:
    return await db.fetchall(
        f"""SELECT * FROM parcels WHERE customer_phone = ? AND status IN {ACTIVE}
            ORDER BY CASE status WHEN 'arrived' THEN 0 WHEN 'to_return' THEN 1 ELSE 2 END,
                     last_day, created_at, id""",
        (phone,),
    )


async def active_ids_for_phone(conn: aiosqlite.Connection, phone: str) -> list[int]:
    cur = await conn.execute(
        f"SELECT id FROM parcels WHERE customer_phone = ? AND status IN {ACTIVE} ORDER BY id",
        (phone,),
    )
    return [row[0] for row in await cur.fetchall()]


async def unnotified_for_phone(
    conn: aiosqlite.Connection, phone: str, claim_expired_before: datetime
) -> list[Row]:
    """Arrived parcels whose notice has not reached the customer and is not being sent now."""
    cur = await conn.execute(
        """SELECT * FROM parcels
           WHERE customer_phone = ? AND status = 'arrived' AND notified_at IS NULL
             AND (notice_attempt_at IS NULL OR notice_attempt_at < ?)
           ORDER BY arrived_at, id""",
        (phone, to_db(claim_expired_before)),
    )
    return list(await cur.fetchall())


async def claim_notice(conn: aiosqlite.Connection, parcel_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE parcels SET notice_attempt_at = ? WHERE id = ?", (to_db(now), parcel_id)
    )


async def mark_notified(conn: aiosqlite.Connection, parcel_id: int, now: datetime) -> None:
    ts = to_db(now)
    await conn.execute(
        """UPDATE parcels SET notified_at = COALESCE(notified_at, ?), notice_attempt_at = NULL,
                              updated_at = ? WHERE id = ?""",
        (ts, ts, parcel_id),
    )


async def mark_many_notified(
    conn: aiosqlite.Connection, parcels: Sequence[tuple[int, datetime]]
) -> None:
    """:func:`mark_notified` for many (parcel_id, now) at once."""
    await conn.executemany(
        """UPDATE parcels SET notified_at = COALESCE(notified_at, ?), notice_attempt_at = NULL,
                              updated_at = ? WHERE id = ?""",
        [(to_db(now), to_db(now), parcel_id) for parcel_id, now in parcels],
    )


async def release_notice(conn: aiosqlite.Connection, parcel_id: int) -> None:
    await conn.execute("UPDATE parcels SET notice_attempt_at = NULL WHERE id = ?", (parcel_id,))


async def extend_hold(
    conn: aiosqlite.Connection, parcel_id: int, last_day: date, now: datetime
) -> bool:
    """Move the last day once; False when already extended or no longer waiting."""
    cur = await conn.execute(
        """UPDATE parcels SET last_day = ?, extended = extended + 1, updated_at = ?
           WHERE id = ? AND status = 'arrived' AND extended = 0""",
        (last_day.isoformat(), to_db(now), parcel_id),
    )
    return cur.rowcount == 1


async def events_of(db: Database, parcel_id: int, limit: int = 50) -> list[Row]:
    """The parcel's most recent events, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM parcel_events WHERE parcel_id = ? ORDER BY id DESC LIMIT ?",
        (parcel_id, limit),
    )
    return list(reversed(rows))


async def count_events(db: Database, parcel_id: int) -> int:
    return int(await db.fetchval(
        "SELECT COUNT(*) FROM parcel_events WHERE parcel_id = ?", (parcel_id,)))
