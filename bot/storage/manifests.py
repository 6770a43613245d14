"""SQL for the manifests table (one row per manifest file loaded)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db
from bot.storage.db import Database


async def first_loaded_at(db: Database, sha256: str) -> datetime | None:
    """When a file with exactly these bytes was first loaded, if ever."""
    value = await db.fetchval(
        "SELECT MIN(loaded_at) FROM manifests WHERE sha256 = ?", (sha256,)
    )
    return from_db(value) if value else None


async def insert(
    conn: aiosqlite.Connection,
    *,
    file_name: str,
    sha256: str,
    source: str,
    loaded_by: int | None,
    now: datetime,
    rows_total: int,
    loaded: int,
    skipped: int,
    errors: int,
) -> int:
    cur = await conn.execute(
        """INSERT INTO manifests (file_name, sha256, source, loaded_by, loaded_at, rows_total,
                                  loaded, skipped, errors)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (file_name, sha256, source, loaded_by, to_db(now), rows_total, loaded, skipped, errors),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid
