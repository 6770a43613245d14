"""Stores as pick-up points (read-only SQL): which store a shopkeeper runs, stores by code.

Onboarding owns the ``stores`` table; parcels only read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import aiosqlite

from bot.storage.db import Database, Row


async def approved_store_of_owner(db: Database, user_id: int) -> Row | None:
    """The shopkeeper's approved store: the oldest, should there ever be several — the same
    store /pickup, /earnings and "My store" use (storage.stores.approved_store_of)."""
    return await db.fetchone(
        "SELECT * FROM stores WHERE owner_user_id = ? AND status = 'approved' "
        "ORDER BY id LIMIT 1",
        (user_id,),
    )


async def returning_store_of_owner(db: Database, user_id: int) -> Row | None:
    """The store whose parcels the shopkeeper gives back to the courier: approved, or suspended
    (a suspension stops receiving and handing over, not giving back what is on the shelf)."""
    return await db.fetchone(
        "SELECT * FROM stores WHERE owner_user_id = ? AND status IN ('approved', 'suspended') "
        "ORDER BY status = 'suspended', id LIMIT 1",
        (user_id,),
    )


async def store_by_id(conn: aiosqlite.Connection | Database, store_id: int) -> Row | None:
    if isinstance(conn, Database):
        return await conn.fetchone("SELECT * FROM stores WHERE id = ?", (store_id,))
    cur = await conn.execute("SELECT * FROM stores WHERE id = ?", (store_id,))
    return await cur.fetchone()


async def stores_by_ids(conn: aiosqlite.Connection, ids: Iterable[int]) -> list[Row]:
    cur = await conn.execute(
        "SELECT * FROM stores WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(ids))),),
    )
    return list(await cur.fetchall())


async def stores_by_codes(conn: aiosqlite.Connection, codes: Iterable[str]) -> dict[str, Row]:
    """Stores whose code is one of ``codes``, by code (any status)."""
    cur = await conn.execute(
        "SELECT * FROM stores WHERE code IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(codes))),),
    )
    return {row["code"]: row for row in await cur.fetchall()}
