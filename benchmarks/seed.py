"""Bulk seeding shared by the benchmarks that need a large database (pickup, holding sweep).

Plain ``sqlite3`` on a database the bot has already migrated: one transaction, no fsync.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def bulk_connection(path: Path) -> sqlite3.Connection:
    """A connection for bulk inserts, inside an open transaction (commit when done)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    return conn


def insert_stores(conn: sqlite3.Connection, stores: int, owner_base: int, now: str) -> None:
    """``stores`` approved stores ``KS-0001``… with ids 1…n, owned by users ``owner_base + n``."""
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)
           SELECT ? + n, ? + n, 'Owner ' || n, 'en', ?, ? FROM seq""",
        (stores, owner_base, owner_base, now, now))
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO stores (id, code, owner_user_id, status, shop_name, owner_name, mobile,
               address, pin_code, opens_at, closes_at, capacity, created_at, decided_at)
           SELECT n, printf('KS-%04d', n), ? + n, 'approved', 'Store ' || n, 'Owner ' || n,
               printf('+9198%08d', n), 'Road ' || n || ', Pune', '411038', '09:00', '21:00',
               500, ?, ? FROM seq""",
        (stores, owner_base, now, now))
