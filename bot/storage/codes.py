"""SQL for pickup-code hashes on parcels (used inside a caller's transaction)."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.clock import to_db


async def codes_in_use(
    conn: aiosqlite.Connection, wanted: list[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Which of the (store id, code hash) pairs a waiting parcel already has: one statement,
    one index lookup per pair (CROSS JOIN keeps the pairs outside: a plain JOIN lets SQLite
    scan every waiting parcel instead)."""
    cur = await conn.execute(
        "SELECT p.store_id, p.code_hash FROM json_each(?) AS v CROSS JOIN parcels p "
        "ON p.store_id = v.value ->> 0 AND p.code_hash = v.value ->> 1 AND p.status = 'arrived'",
        (json.dumps(wanted),),
    )
    return {(r[0], r[1]) for r in await cur.fetchall()}


async def set_code_hashes(
    conn: aiosqlite.Connection, hashes: list[tuple[int, str]], now: datetime
) -> None:
    """Store the code hashes of many (parcel id, code hash) pairs in one statement."""
    await conn.execute(
        "UPDATE parcels SET code_hash = v.value ->> 1, updated_at = ? "
        "FROM json_each(?) AS v WHERE parcels.id = v.value ->> 0",
        (to_db(now), json.dumps(hashes)),
    )
