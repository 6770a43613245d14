"""SQL of the admin's figures (/stats): counts by status, handovers in time ranges, waits, shelves.

Every function reads through the caller's connection (a :class:`bot.storage.reports.ReportReader`
snapshot). Time ranges are UTC instants computed by the service from local days, so the
queries are plain index range counts (see the indexes of migration 0070).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.clock import to_db

Range = tuple[datetime, datetime]

# Days between arrival and handover, from the parcels_picked_up index alone.
_WAIT = "(julianday(picked_up_at) - julianday(arrived_at))"
_HANDED_OVER_IN = (
    "FROM parcels INDEXED BY parcels_picked_up "
    "WHERE picked_up_at >= ? AND picked_up_at < ? AND arrived_at IS NOT NULL"
)


async def _pairs(conn: aiosqlite.Connection, sql: str, params: Sequence = ()) -> dict[str, int]:
    cur = await conn.execute(sql, params)
    return {row[0]: int(row[1]) for row in await cur.fetchall()}


async def stores_by_status(conn: aiosqlite.Connection) -> dict[str, int]:
    return await _pairs(conn, "SELECT status, COUNT(*) FROM stores GROUP BY status")


async def parcels_by_status(conn: aiosqlite.Connection) -> dict[str, int]:
    return await _pairs(
        conn, "SELECT status, COUNT(*) FROM parcels INDEXED BY parcels_status GROUP BY status")


async def counts_per_range(
    conn: aiosqlite.Connection, column: str, ranges: Sequence[Range]
) -> list[int]:
    """How many parcels have ``column`` (``arrived_at`` or ``picked_up_at``) in each range."""
    if column not in {"arrived_at", "picked_up_at"}:
        raise ValueError(column)
    index = "parcels_arrived_at" if column == "arrived_at" else "parcels_picked_up"
    bounds = json.dumps([[to_db(start), to_db(end)] for start, end in ranges])
    cur = await conn.execute(
        f"""SELECT r.key, (SELECT COUNT(*) FROM parcels INDEXED BY {index}
                             WHERE {column} >= r.value ->> 0 AND {column} < r.value ->> 1)
            FROM json_each(?) AS r ORDER BY r.key""",
        (bounds,),
    )
    return [int(row[1]) for row in await cur.fetchall()]


async def wait_days(conn: aiosqlite.Connection, period: Range) -> tuple[int, float, float]:
    """(handovers, average days, 90th-percentile days) from arrival to handover, of the parcels
    handed over in ``period``; the percentile by nearest rank (no interpolation).

    Both from the ``parcels_picked_up`` index alone. The percentile is the (n − rank + 1)-th
    largest: ``ORDER BY d DESC … OFFSET n − rank`` makes SQLite keep the top 10 % only, where
    ascending order kept 90 % (0.8 s for 190,000 handovers); fetching every wait into Python
    cost 0.4 s of CPU, these two queries 0.15 s."""
    params = (to_db(period[0]), to_db(period[1]))
    cur = await conn.execute(f"SELECT COUNT(*), AVG({_WAIT}) {_HANDED_OVER_IN}", params)
    row = await cur.fetchone()
    assert row is not None
    count = int(row[0])
    if count == 0:
        return 0, 0.0, 0.0
    rank = -(-count * 9 // 10)  # ceil(0.9 * count), 1-based from the smallest
    cur = await conn.execute(
        f"SELECT {_WAIT} AS d {_HANDED_OVER_IN} ORDER BY d DESC LIMIT 1 OFFSET ?",
        (*params, count - rank))
    p90 = await cur.fetchone()
    assert p90 is not None
    return count, float(row[1]), float(p90[0])


SHELVES = """
    WITH held AS (
        SELECT store_id, COUNT(*) AS n FROM parcels INDEXED BY parcels_held
        WHERE status IN ('arrived', 'to_return') GROUP BY store_id
    )
    SELECT s.code, s.shop_name, held.n AS held, s.capacity
    FROM held JOIN stores s ON s.id = held.store_id
    WHERE s.status = 'approved' AND held.n * 100 >= s.capacity * ?
    ORDER BY held.n * 1.0 / s.capacity DESC, s.id
"""


async def full_shelves(
    conn: aiosqlite.Connection, near_percent: int, limit: int
) -> tuple[int, int, list[aiosqlite.Row]]:
    """(stores at capacity, stores at ``near_percent``% or more but not full, the fullest
    ``limit`` of them) among approved stores."""
    cur = await conn.execute(SHELVES, (near_percent,))
    rows = list(await cur.fetchall())
    full = sum(1 for r in rows if r["held"] >= r["capacity"])
    return full, len(rows) - full, rows[:limit]


async def outbox_counts(conn: aiosqlite.Connection, since: datetime) -> tuple[int, int]:
    """(messages waiting in the outbox, messages not delivered since ``since``)."""
    cur = await conn.execute(
        """SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
                  (SELECT COUNT(*) FROM outbox INDEXED BY outbox_undelivered
                   WHERE state IN ('failed', 'blocked') AND done_at >= ?)""",
        (to_db(since),))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
