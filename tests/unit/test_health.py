"""/healthz: what it reports, and each reason for a 503."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.clock import to_db
from bot.inbox import store
from bot.inbox.seal import Sealer
from bot.ops.health import RunState, check
from bot.ops.health_server import start_health_server
from bot.storage.db import Database, migration_files

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")
SEALER = Sealer(b"health test key")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATEST = migration_files()[-1][0]


async def fresh_db(path: Path) -> Database:
    return await Database.open(path)


def ready(mode: str = "polling") -> RunState:
    return RunState(mode=mode, started_at=NOW - timedelta(minutes=5), ready=True)


async def test_healthy_bot_reports_its_state(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await store(db, [{"update_id": 1, "message": {"chat": {"id": 5}}}],
                sealer=SEALER, now=NOW - timedelta(seconds=30))
    await db.execute("UPDATE inbox SET done_at = ? WHERE update_id = 1",
                     (to_db(NOW - timedelta(seconds=20)),))
    await store(db, [{"update_id": 2, "message": {"chat": {"id": 5}}}],
                sealer=SEALER, now=NOW - timedelta(seconds=3))
    await db.close()
    health = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW)
    assert health.status == 200
    body = health.body
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["mode"] == "polling" and body["uptime_seconds"] == 300
    assert body["database"] == {"reachable": True, "schema_version": LATEST,
                                "expected_version": LATEST, "migrations_current": True}
    assert body["inbox"]["depth"] == 1 and body["inbox"]["oldest_age_seconds"] == 3
    assert body["last_update_age_seconds"] == 20
    assert body["broadcast_in_progress"] is False


async def test_broadcast_in_progress_with_what_is_left(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    async with db.transaction() as conn:
        for uid in (1, 2, 3):
            await conn.execute("INSERT INTO users (user_id, chat_id, first_seen, last_seen) "
                               "VALUES (?, ?, 'x', 'x')", (uid, uid))
        await conn.execute("INSERT INTO broadcasts (id, created_by, created_at, audience, texts, "
                           "status, total) VALUES (7, 1, 'x', 'customers', '{}', 'sending', 3)")
        for uid, state in ((1, "sent"), (2, "pending"), (3, "pending")):
            await conn.execute("INSERT INTO broadcast_recipients (broadcast_id, user_id, state) "
                               "VALUES (7, ?, ?)", (uid, state))
    await db.close()
    body = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW).body
    assert body["broadcast_in_progress"] is True
    assert body["broadcast"] == {"id": 7, "status": "sending", "total": 3, "left": 2}


async def test_database_gone_is_503(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await db.close()
    (tmp_path / "k.sqlite3").rename(tmp_path / "moved.sqlite3")
    health = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW)
    assert health.status == 503
    assert health.body["database"]["reachable"] is False
    assert health.body["reasons"][0].startswith("database unreachable")


async def test_database_that_is_not_a_database_is_503(tmp_path) -> None:
    (tmp_path / "k.sqlite3").write_bytes(b"this is not sqlite" * 100)
    health = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW)
    assert health.status == 503 and "database unreachable" in health.body["reasons"][0]


async def test_old_schema_is_503(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await db.close()
    conn = sqlite3.connect(tmp_path / "k.sqlite3")
    conn.execute("PRAGMA user_version = 40")
    conn.close()
    health = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW)
    assert health.status == 503
    assert health.body["reasons"] == [
        f"migrations not current: schema version 40, this release expects {LATEST}"]


async def test_updates_waiting_too_long_is_503(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await store(db, [{"update_id": 1, "message": {"chat": {"id": 5}}}],
                sealer=SEALER, now=NOW - timedelta(seconds=300))
    await db.close()
    health = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW)
    assert health.status == 503
    assert "the oldest of 1 has waited 300 s (limit 120 s)" in health.body["reasons"][0]


async def test_starting_and_stopping_are_503(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await db.close()
    state = RunState(mode="webhook", started_at=NOW)
    assert check(tmp_path / "k.sqlite3", state, max_inbox_age=120, now=NOW).body["reasons"] == [
        "starting"]
    state.ready = True
    assert check(tmp_path / "k.sqlite3", state, max_inbox_age=120, now=NOW).status == 200
    state.stopping = True
    assert check(tmp_path / "k.sqlite3", state, max_inbox_age=120, now=NOW).body["reasons"] == [
        "stopping"]


async def test_server_answers_over_http(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await db.close()
    state = ready()
    server = await start_health_server("127.0.0.1", 0, tmp_path / "k.sqlite3", state,
                                       max_inbox_age=120)
    assert server is not None
    try:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{server.port}/healthz"
            answer = await client.get(url)
            assert answer.status_code == 200 and answer.json()["status"] == "ok"
            (tmp_path / "k.sqlite3").unlink()
            answer = await client.get(url)
            assert answer.status_code == 503
            assert answer.json()["reasons"][0].startswith("database unreachable")
    finally:
        await server.stop()


async def test_a_busy_port_does_not_stop_the_bot(tmp_path, caplog) -> None:
    first = await start_health_server("127.0.0.1", 0, tmp_path / "k.sqlite3", ready(),
                                      max_inbox_age=120)
    assert first is not None
    try:
        second = await start_health_server("127.0.0.1", first.port, tmp_path / "k.sqlite3",
                                           ready(), max_inbox_age=120)
        assert second is None
        assert "cannot listen" in caplog.text
    finally:
        await first.stop()


async def test_outbox_depth_and_age(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    # The outbox's columns the check reads (the table comes with the outbox's migration).
    await db.execute("CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, chat_id INTEGER, "
                     "kind TEXT, priority INTEGER, not_before TEXT, "
                     "state TEXT NOT NULL DEFAULT 'pending', created_at TEXT NOT NULL)")
    for age, state in ((40, "sent"), (25, "pending"), (5, "pending")):
        await db.execute("INSERT INTO outbox (chat_id, kind, priority, not_before, state, "
                         "created_at) VALUES (1, 'text', 0, '', ?, ?)",
                         (state, to_db(NOW - timedelta(seconds=age))))
    await db.close()
    body = check(tmp_path / "k.sqlite3", ready(), max_inbox_age=120, now=NOW).body
    assert body["outbox"]["depth"] == 2 and body["outbox"]["oldest_age_seconds"] == 25


async def test_health_command_exit_status(tmp_path) -> None:
    db = await fresh_db(tmp_path / "k.sqlite3")
    await db.close()
    state = ready()
    server = await start_health_server("127.0.0.1", 0, tmp_path / "k.sqlite3", state,
                                       max_inbox_age=120)
    assert server is not None
    command = [str(KIRANA_BOT), "health", "--url", f"http://127.0.0.1:{server.port}/healthz"]
    try:
        healthy = await asyncio.to_thread(subprocess.run, command, capture_output=True,
                                          text=True, timeout=60)
        state.stopping = True
        stopping = await asyncio.to_thread(subprocess.run, command, capture_output=True,
                                           text=True, timeout=60)
    finally:
        await server.stop()
    down = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                   timeout=60)
    assert healthy.returncode == 0 and json.loads(healthy.stdout)["status"] == "ok"
    assert stopping.returncode == 1 and json.loads(stopping.stdout)["reasons"] == ["stopping"]
    assert down.returncode == 1 and "Connection refused" in down.stderr
