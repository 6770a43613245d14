"""SQL for the manifests table (one row per manifest file loaded)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db
from bot.storage.db import Database


async def first_loaded_at(
    db: Database, sha256: str, before_id: int | None = None
) -> datetime | None:
    """When a file with exactly these bytes was first loaded, if ever (only by manifests
    older than ``before_id``, when given)."""
    value = await db.fetchval(
        "SELECT MIN(loaded_at) FROM manifests WHERE sha256 = ? AND (? IS NULL OR id < ?)",
        (sha256, before_id, before_id),
    )
    return from_db(value) if value else None


async def loaded_by_message(db: Database, message: tuple[int, int]) -> int | None:
    """The manifest that this message (chat id, message id) loaded, if it was handled before."""
    value = await db.fetchval(
        "SELECT id FROM manifests WHERE chat_id = ? AND message_id = ?", message)
    return int(value) if value is not None else None


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
    message: tuple[int, int] | None = None,
) -> int:
    chat_id, message_id = message if message is not None else (None, None)
    cur = await conn.execute(
        """INSERT INTO manifests (file_name, sha256, source, loaded_by, loaded_at, rows_total,
                                  loaded, skipped, errors, chat_id, message_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (file_name, sha256, source, loaded_by, to_db(now), rows_total, loaded, skipped, errors,
         chat_id, message_id),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid
