"""SQL for pickup-code hashes on parcels (used inside a caller's transaction)."""

from __future__ import annotations

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
