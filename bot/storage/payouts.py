"""SQL of monthly payouts: the month's ledger per store, paid months, statements owed.

Month bounds are UTC instants computed by the service from the programme's calendar.
"""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.clock import to_db

MONTH_ROWS = """
    SELECT s.id, s.code, s.shop_name, s.owner_name, s.mobile, s.upi_id, s.owner_user_id,
           e.parcels, e.paise
    FROM (SELECT store_id, COUNT(*) AS parcels, SUM(amount_paise) AS paise
          FROM earnings INDEXED BY earnings_at WHERE at >= ? AND at < ? GROUP BY store_id) AS e
    JOIN stores s ON s.id = e.store_id
    ORDER BY s.id
"""


async def month_rows(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[aiosqlite.Row]:
    """Every store with ledger entries in [start, end): store fields, parcels, paise."""
    cur = await conn.execute(MONTH_ROWS, (to_db(start), to_db(end)))
    return list(await cur.fetchall())


async def ledger_total(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> tuple[int, int]:
    """(entries, paise) of the whole ledger in [start, end), summed straight from the table."""
    cur = await conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount_paise), 0) FROM earnings WHERE at >= ? AND at < ?",
        (to_db(start), to_db(end)))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def paid_month(conn: aiosqlite.Connection, month: str) -> aiosqlite.Row | None:
    cur = await conn.execute("SELECT * FROM payout_months WHERE month = ?", (month,))
    return await cur.fetchone()


async def mark_paid(
    conn: aiosqlite.Connection, month: str, start: datetime, end: datetime, parcels: int,
    paise: int, by_user: int | None, now: datetime,
) -> bool:
    """Record the month as paid; False when it already was (nothing changes then)."""
    cur = await conn.execute(
        """INSERT INTO payout_months (month, starts_at, ends_at, parcels, paise, paid_at, paid_by)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month) DO NOTHING""",
        (month, to_db(start), to_db(end), parcels, paise, to_db(now), by_user))
    return cur.rowcount == 1


async def statements_written(
    conn: aiosqlite.Connection, month: str, store_ids: list[int]
) -> set[int]:
    """Which of ``store_ids`` already have the month's statement."""
    cur = await conn.execute(
        "SELECT store_id FROM payout_statements WHERE month = ? "
        "AND store_id IN (SELECT value FROM json_each(?))", (month, json.dumps(store_ids)))
    return {int(r[0]) for r in await cur.fetchall()}


async def add_statement(
    conn: aiosqlite.Connection, month: str, store_id: int, parcels: int, paise: int,
    upi_id: str | None, outbox_id: int | None, now: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO payout_statements
               (month, store_id, parcels, paise, upi_id, created_at, outbox_id)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (month, store_id, parcels, paise, upi_id, to_db(now), outbox_id))


async def statement(conn: aiosqlite.Connection, month: str, store_id: int) -> aiosqlite.Row | None:
    cur = await conn.execute(
        """SELECT st.*, s.code, s.shop_name FROM payout_statements st
           JOIN stores s ON s.id = st.store_id WHERE st.month = ? AND st.store_id = ?""",
        (month, store_id))
    return await cur.fetchone()
