"""SQL of the payout ledger (``earnings``): totals of a store over a time range."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import to_db

TOTAL_BETWEEN = """
    SELECT COUNT(*), COALESCE(SUM(amount_paise), 0) FROM earnings
    WHERE store_id = ? AND at >= ? AND at < ?
"""


async def total_between(
    conn: aiosqlite.Connection, store_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """(entries, paise) of the store's ledger entries with ``start <= at < end``."""
    cur = await conn.execute(TOTAL_BETWEEN, (store_id, to_db(start), to_db(end)))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
