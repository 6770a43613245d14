"""Read-only connections for reports (/stats, /stores, /track, payouts).

The bot's one read-write connection runs every statement under one asyncio lock. A report that
scans a million parcels would hold that lock for a good part of a second and keep every
shopkeeper's handover waiting behind it. WAL lets readers run beside the writer, so reports read
from connections of their own (``mode=ro``, each in its own thread): a consistent snapshot per
``snapshot()``, and nobody waits. Up to ``size`` snapshots run at once, so one report can count
several things in parallel (SQLite releases the GIL while it steps).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.db import Database


class ReportReader:
    """A small pool of lazily opened read-only connections to the bot's database file."""

    def __init__(self, db: Database, size: int = 3) -> None:
        self.db = db
        self.path: Path = db.path
        self.size = size
        self._free: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all: list[aiosqlite.Connection] = []
        self._opening = asyncio.Lock()

    async def _connect(self) -> aiosqlite.Connection:
        uri = f"file:{self.path.resolve()}?mode=ro"
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA query_only = 1")
        return conn

    async def _take(self) -> aiosqlite.Connection:
        if self._free is None:
            self._free = asyncio.Queue()
        async with self._opening:
            if self._free.empty() and len(self._all) < self.size:
                conn = await self._connect()
                self._all.append(conn)
                return conn
        return await self._free.get()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """Reads inside see one state of the database (a read transaction)."""
        if str(self.path) == ":memory:":  # nothing to open beside it: share the bot's own
            async with self.db.reading() as shared:
                yield shared
            return
        conn = await self._take()
        try:
            await conn.execute("BEGIN")
            try:
                yield conn
            finally:
                await conn.execute("COMMIT")
        finally:
            assert self._free is not None
            self._free.put_nowait(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._free = None
