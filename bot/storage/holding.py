"""SQL of the holding period: due reminders, due expiries, returns, morning summaries.

Each sweep query is a module constant so that tests and the benchmark can ``EXPLAIN QUERY
PLAN`` it: every one must be answered from an index (migration 0060), never by scanning
``parcels``. The two that find work name their partial index (``INDEXED BY``): without
statistics SQLite may prefer a wider index, and a missing index must be an error, not a scan. Functions taking an ``aiosqlite.Connection`` run inside the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.clock import to_db
from bot.storage.db import Row

# Waiting parcels owed a reminder for their current last day, the last day within reach.
# Uses parcels_reminder_due (partial: only parcels not yet reminded for their last day).
REMINDERS_DUE = """
    SELECT customer_phone, store_id, last_day FROM parcels INDEXED BY parcels_reminder_due
    WHERE status = 'arrived' AND reminded_for IS NOT last_day
      AND last_day >= :today AND last_day <= :horizon
    ORDER BY last_day, id LIMIT :limit
"""
# Claims reminders, each group (customer, store, last day) whole: every parcel of the group,
# also those past the finding query's LIMIT. One statement for the batch; parcels_phone per group.
CLAIM_REMINDERS = """
    UPDATE parcels INDEXED BY parcels_phone SET reminded_for = last_day, updated_at = :now
    FROM (SELECT json_extract(value, '$[0]') AS phone, json_extract(value, '$[1]') AS store,
                 json_extract(value, '$[2]') AS day FROM json_each(:groups)) AS g
    WHERE parcels.customer_phone = g.phone AND parcels.status = 'arrived'
      AND parcels.store_id = g.store AND parcels.last_day = g.day
      AND parcels.reminded_for IS NOT parcels.last_day
    RETURNING id, tracking_id, customer_phone, store_id, last_day
"""
# Stores with waiting parcels whose last day is over, and how many. Uses parcels_expiry_due.
EXPIRIES_DUE = """
    SELECT store_id, COUNT(*) FROM parcels INDEXED BY parcels_expiry_due
    WHERE status = 'arrived' AND last_day < :today
    GROUP BY store_id LIMIT :limit
"""
# Claims the expired parcels of a batch of stores: to_return, the code voided. Reads only the
# parcels past their last day (parcels_expiry_due), not every waiting parcel of the stores.
CLAIM_EXPIRIES = """
    UPDATE parcels INDEXED BY parcels_expiry_due
    SET status = 'to_return', code_hash = NULL, expired_at = :now, updated_at = :now
    WHERE status = 'arrived' AND last_day < :today
      AND store_id IN (SELECT value FROM json_each(:stores))
    RETURNING id, tracking_id, customer_phone, store_id, last_day
"""
# Approved stores not yet considered for today's summary. Uses stores_status and the
# store_summaries primary key.
SUMMARIES_DUE = """
    SELECT s.id, s.owner_user_id, s.shop_name FROM stores s
    WHERE s.status = 'approved'
      AND NOT EXISTS (SELECT 1 FROM store_summaries m WHERE m.store_id = s.id AND m.day = :day)
    ORDER BY s.id LIMIT :limit
"""
# The summary's figures of a batch of stores: parcels_store_status and earnings_store_at.
SUMMARY_FIGURES = """
    SELECT g.value,
      (SELECT COUNT(*) FROM parcels WHERE store_id = g.value AND status = 'arrived'),
      (SELECT COUNT(*) FROM parcels WHERE store_id = g.value AND status = 'to_return'),
      (SELECT COUNT(*) FROM earnings WHERE store_id = g.value AND at >= :since AND at < :until),
      (SELECT COALESCE(SUM(amount_paise), 0) FROM earnings
       WHERE store_id = g.value AND at >= :since AND at < :until)
    FROM json_each(:stores) AS g
"""
# Parcels whose last day is today, per store, in one pass over them (parcels_expiry_due).
DUE_TODAY = """
    SELECT store_id, COUNT(*) FROM parcels INDEXED BY parcels_expiry_due
    WHERE status = 'arrived' AND last_day = :today GROUP BY store_id
"""
# Decides summaries once: returns the stores decided by this statement (not those already).
RECORD_SUMMARIES = """
    INSERT INTO store_summaries (store_id, day, decided_at, queued)
    SELECT json_extract(value, '$[0]'), :day, :now, json_extract(value, '$[1]')
    FROM json_each(:rows) WHERE true
    ON CONFLICT (store_id, day) DO NOTHING
    RETURNING store_id
"""
CUSTOMERS_OF_PHONES = """
    SELECT phone, user_id FROM customers WHERE phone IN (SELECT value FROM json_each(?))
"""
STORES_BY_IDS = "SELECT * FROM stores WHERE id IN (SELECT value FROM json_each(?))"
INSERT_EVENT = """
    INSERT INTO parcel_events (parcel_id, at, event, actor_id, details) VALUES (?, ?, ?, ?, ?)
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
    "claim_reminders": CLAIM_REMINDERS,
    "expiries_due": EXPIRIES_DUE,
    "claim_expiries": CLAIM_EXPIRIES,
    "summaries_due": SUMMARIES_DUE,
    "summary_figures": SUMMARY_FIGURES,
    "due_today": DUE_TODAY,
    "record_summaries": RECORD_SUMMARIES,
    "returns_of_store": RETURNS_OF_STORE,
}


@dataclass(frozen=True)
class Claimed:
    id: int
    tracking_id: str
    customer_phone: str = ""
    store_id: int = 0
    last_day: date | None = None


def _claimed(rows: list) -> list[Claimed]:
    return sorted((Claimed(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]) if r[4] else None)
                   for r in rows), key=lambda c: (c.store_id, c.customer_phone, c.tracking_id))


async def reminders_due(
    conn: aiosqlite.Connection, today: date, horizon: date, limit: int
) -> list[tuple[str, int, date]]:
    """(phone, store, last day) of each reminder owed, with repeats (one per parcel)."""
    cur = await conn.execute(REMINDERS_DUE, {
        "today": today.isoformat(), "horizon": horizon.isoformat(), "limit": limit})
    return [(r[0], r[1], date.fromisoformat(r[2])) for r in await cur.fetchall()]


async def claim_reminders(
    conn: aiosqlite.Connection, groups: list[tuple[str, int, date]], now: datetime
) -> list[Claimed]:
    """Mark every parcel of these (phone, store, last day) groups reminded; the claimed ones."""
    cur = await conn.execute(CLAIM_REMINDERS, {
        "now": to_db(now),
        "groups": json.dumps([[p, s, d.isoformat()] for p, s, d in groups])})
    return _claimed(list(await cur.fetchall()))


async def stores_with_expiries(
    conn: aiosqlite.Connection, today: date, limit: int
) -> list[tuple[int, int]]:
    """(store id, parcels past their last day) of up to ``limit`` stores."""
    cur = await conn.execute(EXPIRIES_DUE, {"today": today.isoformat(), "limit": limit})
    return [(r[0], int(r[1])) for r in await cur.fetchall()]


async def claim_expiries(
    conn: aiosqlite.Connection, store_ids: list[int], today: date, now: datetime
) -> list[Claimed]:
    cur = await conn.execute(CLAIM_EXPIRIES, {
        "now": to_db(now), "stores": json.dumps(store_ids), "today": today.isoformat()})
    return _claimed(list(await cur.fetchall()))


async def summaries_due(
    conn: aiosqlite.Connection, day: date, limit: int
) -> list[tuple[int, int, str]]:
    """(store id, owner user id, shop name) of approved stores whose summary is undecided."""
    cur = await conn.execute(SUMMARIES_DUE, {"day": day.isoformat(), "limit": limit})
    return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def summary_figures(
    conn: aiosqlite.Connection, store_ids: list[int], today: date, since: datetime,
    until: datetime,
) -> dict[int, tuple[int, int, int, int, int]]:
    """Per store: (waiting, due today, to return, handovers and paise in [since, until))."""
    cur = await conn.execute(DUE_TODAY, {"today": today.isoformat()})
    due_today = {r[0]: int(r[1]) for r in await cur.fetchall()}
    cur = await conn.execute(SUMMARY_FIGURES, {
        "stores": json.dumps(store_ids), "since": to_db(since), "until": to_db(until)})
    return {r[0]: (int(r[1]), due_today.get(r[0], 0), int(r[2]), int(r[3]), int(r[4]))
            for r in await cur.fetchall()}


async def record_summaries(
    conn: aiosqlite.Connection, decided: list[tuple[int, bool]], day: date, now: datetime
) -> set[int]:
    """Decide each (store, queued) for ``day`` once; returns the stores decided now."""
    cur = await conn.execute(RECORD_SUMMARIES, {
        "rows": json.dumps([[store, int(queued)] for store, queued in decided]),
        "day": day.isoformat(), "now": to_db(now)})
    return {r[0] for r in await cur.fetchall()}


async def customers_of(conn: aiosqlite.Connection, phones: list[str]) -> dict[str, int]:
    """Linked Telegram user of each phone (those linked)."""
    cur = await conn.execute(CUSTOMERS_OF_PHONES, (json.dumps(sorted(set(phones))),))
    return {r[0]: r[1] for r in await cur.fetchall()}


async def stores_by_ids(conn: aiosqlite.Connection, store_ids: list[int]) -> dict[int, Row]:
    cur = await conn.execute(STORES_BY_IDS, (json.dumps(sorted(set(store_ids))),))
    return {r["id"]: r for r in await cur.fetchall()}


async def append_events(
    conn: aiosqlite.Connection,
    events: list[tuple[int, str, int | None, dict[str, Any]]],
    now: datetime,
) -> None:
    """Many (parcel id, event, actor, details) history entries in one statement."""
    ts = to_db(now)
    await conn.executemany(INSERT_EVENT, [
        (pid, ts, event, actor, json.dumps(details, ensure_ascii=False, sort_keys=True))
        for pid, event, actor, details in events])


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
