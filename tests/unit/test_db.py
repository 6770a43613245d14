"""The database: WAL, foreign keys, migrations applied once, transactions all-or-nothing."""

from __future__ import annotations

import sqlite3

import pytest

from bot.storage.db import Database, migration_files


async def test_migrations_apply_once_and_set_user_version(tmp_path) -> None:
    path = tmp_path / "k.sqlite3"
    db = await Database.open(path)
    latest = migration_files()[-1][0]
    assert await db.schema_version() == latest
    assert await db.migrate() == []  # idempotent
    await db.close()
    db = await Database.open(path)  # a restart applies nothing again
    assert await db.schema_version() == latest
    await db.close()


async def test_wal_and_foreign_keys(tmp_path) -> None:
    db = await Database.open(tmp_path / "k.sqlite3")
    assert (await db.fetchval("PRAGMA journal_mode")) == "wal"
    assert (await db.fetchval("PRAGMA foreign_keys")) == 1
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO flow_state (user_id, flow, step, updated_at) VALUES (99, 'x', 'y', 'z')"
        )
    await db.close()


async def test_transaction_rolls_back_on_error(tmp_path) -> None:
    db = await Database.open(tmp_path / "k.sqlite3")
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, chat_id, first_seen, last_seen) VALUES (1, 1, 'a', 'a')"
            )
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM users") == 0
    await db.close()


def test_cli_migrate(tmp_path) -> None:
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "KIRANA_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP",
           "KIRANA_DB_PATH": str(tmp_path / "m.sqlite3")}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"schema version {migration_files()[-1][0]}" in result.stdout
    conn = sqlite3.connect(tmp_path / "m.sqlite3")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "flow_state", "stores", "customers", "parcels", "earnings"} <= tables
