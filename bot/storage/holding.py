"""SQL of the holding period: due reminders, due expiries, returns, morning summaries.

Each sweep query is a module constant so that tests and the benchmark can ``EXPLAIN QUERY
PLAN`` it: every one must be answered from an index (migration 0060), never by scanning
``parcels``. The two that find work name their partial index (``INDEXED BY``): without
statistics SQLite may prefer a wider index, and a missing index must be an error, not a scan. Functions taking an ``aiosqlite.Connection`` run inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.clock import to_db

# Waiting parcels owed a reminder for their current last day, the last day within reach.
# Uses parcels_reminder_due (partial: only parcels not yet reminded for their last day).
REMINDERS_DUE = """
    SELECT customer_phone, store_id, last_day FROM parcels INDEXED BY parcels_reminder_due
    WHERE status = 'arrived' AND reminded_for IS NOT last_day
      AND last_day >= :today AND last_day <= :horizon
    ORDER BY last_day, id LIMIT :limit
"""
# Claims one reminder: every parcel of one customer at one store with one last day.
# Uses parcels_phone (customer_phone, status).
CLAIM_REMINDER = """
    UPDATE parcels SET reminded_for = last_day, updated_at = :now
    WHERE customer_phone = :phone AND status = 'arrived' AND store_id = :store
      AND last_day = :day AND reminded_for IS NOT last_day
    RETURNING id, tracking_id
"""
# Stores with waiting parcels whose last day is over. Uses parcels_expiry_due.
EXPIRIES_DUE = """
    SELECT DISTINCT store_id FROM parcels INDEXED BY parcels_expiry_due
    WHERE status = 'arrived' AND last_day < :today
    LIMIT :limit
"""
# Claims a store's expired parcels: to_return, the code voided. Uses parcels_store_status.
CLAIM_EXPIRIES = """
    UPDATE parcels
    SET status = 'to_return', code_hash = NULL, expired_at = :now, updated_at = :now
    WHERE store_id = :store AND status = 'arrived' AND last_day < :today
    RETURNING id, tracking_id, customer_phone, last_day
"""
# Approved stores not yet considered for today's summary. Uses stores_status and the
# store_summaries primary key.
SUMMARIES_DUE = """
    SELECT s.id, s.owner_user_id FROM stores s
    WHERE s.status = 'approved'
      AND NOT EXISTS (SELECT 1 FROM store_summaries m WHERE m.store_id = s.id AND m.day = :day)
    ORDER BY s.id LIMIT :limit
"""
STORE_COUNTS = """
    SELECT
      (SELECT COUNT(*) FROM parcels WHERE store_id = :store AND status = 'arrived'),
      (SELECT COUNT(*) FROM parcels WHERE store_id = :store AND status = 'arrived'
                                      AND last_day = :today),
      (SELECT COUNT(*) FROM parcels WHERE store_id = :store AND status = 'to_return')
"""
# A store's parcels to give back to the courier. Uses parcels_to_return.
RETURNS_OF_STORE = """
    SELECT id, tracking_id, customer_name, last_day, expired_at FROM parcels
    WHERE store_id = :store AND status = 'to_return'
    ORDER BY expired_at, id LIMIT :limit
"""
COUNT_RETURNS = "SELECT COUNT(*) FROM parcels WHERE store_id = :store AND status = 'to_return'"
MARK_RETURNED = """
    UPDATE parcels
    SET status = 'returned', returned_at = :now, returned_by = :user, updated_at = :now
    WHERE id = :id AND store_id = :store AND status = 'to_return'
    RETURNING id, tracking_id, customer_phone
"""
# "All returned": those the shopkeeper saw, i.e. due back at the moment the screen was shown.
MARK_ALL_RETURNED = """
    UPDATE parcels
    SET status = 'returned', returned_at = :now, returned_by = :user, updated_at = :now
    WHERE store_id = :store AND status = 'to_return' AND expired_at <= :shown
    RETURNING id, tracking_id, customer_phone
"""

SWEEP_QUERIES = {
    "reminders_due": REMINDERS_DUE,
    "claim_reminder": CLAIM_REMINDER,
    "expiries_due": EXPIRIES_DUE,
    "claim_expiries": CLAIM_EXPIRIES,
    "summaries_due": SUMMARIES_DUE,
    "store_counts": STORE_COUNTS,
    "returns_of_store": RETURNS_OF_STORE,
}


@dataclass(frozen=True)
class Claimed:
    id: int
    tracking_id: str
    customer_phone: str = ""
    last_day: date | None = None


async def reminders_due(
    conn: aiosqlite.Connection, today: date, horizon: date, limit: int
) -> list[tuple[str, int, date]]:
    """(phone, store, last day) of each reminder owed, with repeats (one per parcel)."""
    cur = await conn.execute(REMINDERS_DUE, {
        "today": today.isoformat(), "horizon": horizon.isoformat(), "limit": limit})
    return [(r[0], r[1], date.fromisoformat(r[2])) for r in await cur.fetchall()]


async def claim_reminder(
    conn: aiosqlite.Connection, phone: str, store_id: int, day: date, now: datetime
) -> list[Claimed]:
    cur = await conn.execute(CLAIM_REMINDER, {
        "now": to_db(now), "phone": phone, "store": store_id, "day": day.isoformat()})
    rows = await cur.fetchall()
    return sorted((Claimed(r[0], r[1], phone, day) for r in rows), key=lambda c: c.tracking_id)


async def stores_with_expiries(conn: aiosqlite.Connection, today: date, limit: int) -> list[int]:
    cur = await conn.execute(EXPIRIES_DUE, {"today": today.isoformat(), "limit": limit})
    return [r[0] for r in await cur.fetchall()]


async def claim_expiries(
    conn: aiosqlite.Connection, store_id: int, today: date, now: datetime
) -> list[Claimed]:
    cur = await conn.execute(CLAIM_EXPIRIES, {
        "now": to_db(now), "store": store_id, "today": today.isoformat()})
    rows = await cur.fetchall()
    return sorted((Claimed(r[0], r[1], r[2], date.fromisoformat(r[3])) for r in rows),
                  key=lambda c: c.tracking_id)


async def summaries_due(conn: aiosqlite.Connection, day: date, limit: int) -> list[tuple[int, int]]:
    """(store id, owner user id) of approved stores whose summary for ``day`` is undecided."""
    cur = await conn.execute(SUMMARIES_DUE, {"day": day.isoformat(), "limit": limit})
    return [(r[0], r[1]) for r in await cur.fetchall()]


async def store_counts(
    conn: aiosqlite.Connection, store_id: int, today: date
) -> tuple[int, int, int]:
    """(waiting, due today, to return) of one store."""
    cur = await conn.execute(STORE_COUNTS, {"store": store_id, "today": today.isoformat()})
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def record_summary(
    conn: aiosqlite.Connection, store_id: int, day: date, queued: bool, now: datetime
) -> bool:
    """Decide a store's summary for ``day`` once; False when it was already decided."""
    cur = await conn.execute(
        """INSERT INTO store_summaries (store_id, day, decided_at, queued) VALUES (?, ?, ?, ?)
           ON CONFLICT (store_id, day) DO NOTHING""",
        (store_id, day.isoformat(), to_db(now), int(queued)),
    )
    return cur.rowcount == 1


async def returns_of_store(
    conn: aiosqlite.Connection, store_id: int, limit: int
) -> list[aiosqlite.Row]:
    cur = await conn.execute(RETURNS_OF_STORE, {"store": store_id, "limit": limit})
    return list(await cur.fetchall())


async def count_returns(conn: aiosqlite.Connection, store_id: int) -> int:
    cur = await conn.execute(COUNT_RETURNS, {"store": store_id})
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def mark_returned(
    conn: aiosqlite.Connection, store_id: int, parcel_id: int, user_id: int, now: datetime
) -> list[Claimed]:
    cur = await conn.execute(MARK_RETURNED, {
        "now": to_db(now), "user": user_id, "id": parcel_id, "store": store_id})
    return [Claimed(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def mark_all_returned(
    conn: aiosqlite.Connection, store_id: int, shown_at: datetime, user_id: int, now: datetime
) -> list[Claimed]:
    cur = await conn.execute(MARK_ALL_RETURNED, {
        "now": to_db(now), "user": user_id, "store": store_id, "shown": to_db(shown_at)})
    return sorted((Claimed(r[0], r[1], r[2]) for r in await cur.fetchall()),
                  key=lambda c: c.tracking_id)
