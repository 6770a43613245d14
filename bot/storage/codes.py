"""SQL for pickup-code hashes on parcels (used inside a caller's transaction)."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.clock import to_db


async def code_in_use(conn: aiosqlite.Connection, store_id: int, code_hash: str) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM parcels WHERE store_id = ? AND code_hash = ? AND status = 'arrived'",
        (store_id, code_hash),
    )
    return await cur.fetchone() is not None


async def set_code_hash(
    conn: aiosqlite.Connection, parcel_id: int, code_hash: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE parcels SET code_hash = ?, updated_at = ? WHERE id = ?",
        (code_hash, to_db(now), parcel_id),
    )


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
    """``set_code_hash`` for many (parcel id, code hash) pairs in one statement."""
    await conn.execute(
        "UPDATE parcels SET code_hash = v.value ->> 1, updated_at = ? "
        "FROM json_each(?) AS v WHERE parcels.id = v.value ->> 0",
        (to_db(now), json.dumps(hashes)),
    )
