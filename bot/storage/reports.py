"""A second, read-only connection for reports (/stats, /stores, payouts).

The bot's one read-write connection runs every statement under one asyncio lock. A report that
scans a million parcels would hold that lock for a good part of a second and keep every
shopkeeper's handover waiting behind it. WAL lets readers run beside the writer, so reports read
from their own connection (its own thread): a consistent snapshot, and nobody waits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.db import Database


class ReportReader:
    """Lazily opened ``mode=ro`` connection to the bot's database file."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.path: Path = db.path
        self._conn: aiosqlite.Connection | None = None

    async def _open(self) -> aiosqlite.Connection:
        if self._conn is None:
            uri = f"file:{self.path.resolve()}?mode=ro"
            conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA query_only = 1")
            self._conn = conn
        return self._conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """Reads inside see one state of the database (a read transaction)."""
        if str(self.path) == ":memory:":  # nothing to open beside it: share the bot's own
            async with self.db.reading() as shared:
                yield shared
            return
        conn = await self._open()
        await conn.execute("BEGIN")
        try:
            yield conn
        finally:
            await conn.execute("COMMIT")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
