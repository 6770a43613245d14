"""The SQLite connection: WAL, foreign keys, busy timeout, numbered migrations.

One connection serves the whole bot. aiosqlite runs it on its own thread; every statement and
transaction is taken under one asyncio lock, so two coroutines never interleave inside a
transaction (they would share its uncommitted state on a shared connection).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Row = aiosqlite.Row
Params = Sequence[Any] | dict[str, Any]


def migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


class Database:
    """An open database. Use :meth:`transaction` for anything that changes state."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._commit_listeners: list[Callable[[], None]] = []

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = cls(conn, path)
        if migrate:
            await db.migrate()
        return db

    async def close(self) -> None:
        async with self._lock:
            await self.conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> list[str]:
        """Apply every migration newer than ``PRAGMA user_version``; each in its own transaction."""
        applied: list[str] = []
        async with self._lock:
            cur = await self.conn.execute("PRAGMA user_version")
            row = await cur.fetchone()
            current = int(row[0]) if row else 0
            for number, name, sql in migration_files():
                if number <= current:
                    continue
                try:
                    await self.conn.executescript(
                        f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {number};\nCOMMIT;"
                    )
                except Exception:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
                log.info("applied migration %s", name)
                applied.append(name)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

        Inside, use the yielded connection directly; calling ``self.fetchone`` etc. would wait
        for the lock this transaction holds.
        """
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
        for listener in self._commit_listeners:
            listener()

    def add_commit_listener(self, listener: Callable[[], None]) -> None:
        """Called (synchronously, after the lock is released) when a transaction commits.

        The outbox sender uses it to look for new rows as soon as the change that wrote
        them is committed; a rolled-back transaction calls nothing.
        """
        self._commit_listeners.append(listener)

    def remove_commit_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._commit_listeners:
            self._commit_listeners.remove(listener)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """Several reads that must see one consistent state."""
        async with self._lock:
            yield self.conn

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return list(await cur.fetchall())

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement in its own (autocommit) transaction; returns the rows changed."""
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)
