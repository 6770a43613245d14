"""SQL of monthly payouts: the month's ledger per store, paid months, statements owed.

Month bounds are UTC instants computed by the service from the programme's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
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


async def add_statements(
    conn: aiosqlite.Connection, month: str, rows: Iterable[tuple[int, int, int, str | None]],
    now: datetime,
) -> int:
    """Write the month's statements (store_id, parcels, paise, upi_id) not written yet;
    returns how many were new."""
    before = conn.total_changes
    await conn.executemany(
        """INSERT INTO payout_statements (month, store_id, parcels, paise, upi_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (month, store_id) DO NOTHING""",
        [(month, store_id, parcels, paise, upi, to_db(now))
         for store_id, parcels, paise, upi in rows])
    return conn.total_changes - before


async def untold_statements(conn: aiosqlite.Connection, limit: int) -> list[aiosqlite.Row]:
    """Statements whose shopkeeper has not been told yet, with the store and owner."""
    cur = await conn.execute(
        """SELECT st.month, st.store_id, st.parcels, st.paise, st.upi_id,
                  s.code, s.shop_name, s.owner_user_id, u.language, u.blocked
           FROM payout_statements st INDEXED BY payout_statements_untold
           JOIN stores s ON s.id = st.store_id
           LEFT JOIN users u ON u.user_id = s.owner_user_id
           WHERE st.told_at IS NULL ORDER BY st.month, st.store_id LIMIT ?""",
        (limit,))
    return list(await cur.fetchall())


async def mark_told(conn: aiosqlite.Connection, month: str, store_id: int, now: datetime) -> bool:
    """Claim the statement's message: True for the one caller that should send it."""
    cur = await conn.execute(
        "UPDATE payout_statements SET told_at = ? WHERE month = ? AND store_id = ? "
        "AND told_at IS NULL", (to_db(now), month, store_id))
    return cur.rowcount == 1
