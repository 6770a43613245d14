"""What ``GET /healthz`` reports: the database, the queues, the last update handled, broadcasts.

Everything is read from the database file through a short-lived read-only connection of its
own, not the bot's connection: a health check never waits behind the bot's work, and it sees
the file as an operator would (a database that was moved or deleted is "unreachable", even
though the running bot still holds the old file open). A check is a few indexed queries.

503 (with every reason) when: the database cannot be read; its schema is not the one this
release expects; the oldest unfinished update has waited longer than
``KIRANA_HEALTH_MAX_INBOX_AGE_SECONDS`` (updates are not being handled); the bot is starting
or stopping.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import from_db, to_db
from bot.storage.db import migration_files


@dataclass
class RunState:
    """The process's side of health: set by the runner."""

    mode: str  # "polling" or "webhook"
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ready: bool = False  # database open, handlers and senders started
    stopping: bool = False


@dataclass(frozen=True)
class Health:
    ok: bool
    body: dict[str, Any]

    @property
    def status(self) -> int:
        return 200 if self.ok else 503


# Queues the bot keeps in the database: table -> (depth, oldest) queries. A table missing from
# the database (an older schema) is reported as null.
QUEUES: dict[str, tuple[str, str]] = {
    "inbox": (
        "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL",
        "SELECT MIN(received_at) FROM inbox WHERE done_at IS NULL",
    ),
    "outbox": (
        "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
        "SELECT MIN(created_at) FROM outbox WHERE state = 'pending'",
    ),
}


def _age(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    return round(max(0.0, (now - from_db(stamp)).total_seconds()), 1)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read(conn: sqlite3.Connection, now: datetime) -> dict[str, Any]:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    expected = migration_files()[-1][0]
    tables = _tables(conn)
    body: dict[str, Any] = {
        "database": {
            "reachable": True,
            "schema_version": version,
            "expected_version": expected,
            "migrations_current": version == expected,
        }
    }
    for name, (depth_sql, oldest_sql) in QUEUES.items():
        if name not in tables:
            body[name] = None
            continue
        oldest = conn.execute(oldest_sql).fetchone()[0]
        body[name] = {
            "depth": int(conn.execute(depth_sql).fetchone()[0]),
            "oldest_at": oldest,
            "oldest_age_seconds": _age(oldest, now),
        }
    last = None
    if "inbox" in tables:
        last = conn.execute(
            "SELECT MAX(done_at) FROM inbox WHERE done_at IS NOT NULL").fetchone()[0]
    body["last_update_handled_at"] = last
    body["last_update_age_seconds"] = _age(last, now)
    body["broadcast"] = None
    if "broadcasts" in tables:
        row = conn.execute(
            "SELECT id, status, total FROM broadcasts WHERE status IN ('sending', 'stopping') "
            "ORDER BY id LIMIT 1").fetchone()
        if row is not None:
            left = conn.execute(
                "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? "
                "AND state IN ('pending', 'sending')", (row[0],)).fetchone()[0]
            body["broadcast"] = {"id": row[0], "status": row[1], "total": row[2], "left": left}
    body["broadcast_in_progress"] = body["broadcast"] is not None
    return body


def check(db_path: Path, state: RunState | None, *, max_inbox_age: float,
          now: datetime | None = None) -> Health:
    """One health check (blocking: run it in a thread)."""
    now = now or datetime.now(UTC)
    reasons: list[str] = []
    body: dict[str, Any]
    try:
        if not db_path.is_file():
            raise sqlite3.OperationalError(f"{db_path} does not exist")
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            body = _read(conn, now)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        body = {"database": {"reachable": False, "error": str(exc)}}
        reasons.append(f"database unreachable: {exc}")
    else:
        db = body["database"]
        if not db["migrations_current"]:
            reasons.append(f"migrations not current: schema version {db['schema_version']}, "
                           f"this release expects {db['expected_version']}")
        inbox = body.get("inbox")
        age = inbox and inbox["oldest_age_seconds"]
        if age is not None and age > max_inbox_age:
            reasons.append(f"updates are not being handled: the oldest of {inbox['depth']} "
                           f"has waited {age:.0f} s (limit {max_inbox_age:.0f} s)")
    if state is not None:
        body = {"mode": state.mode, "started_at": to_db(state.started_at),
                "uptime_seconds": round((now - state.started_at).total_seconds(), 1), **body}
        if state.stopping:
            reasons.append("stopping")
        elif not state.ready:
            reasons.append("starting")
    body = {"status": "unavailable" if reasons else "ok", "reasons": reasons, **body}
    return Health(not reasons, body)
