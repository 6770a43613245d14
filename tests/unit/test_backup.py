"""Online backup while writes go on, and a restore that checks before it overwrites."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ops.backup import BackupError, backup, restore
from bot.ops.runlock import DatabaseInUse, RunLock
from bot.storage.db import Database, migration_files

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


async def make_db(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def add_user(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute(
        "INSERT INTO users (user_id, chat_id, first_name, first_seen, last_seen)"
        " VALUES (?, ?, 'Asha', 'x', 'x')", (user_id, user_id))


def user_ids(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT user_id FROM users ORDER BY user_id")]
    finally:
        conn.close()


def wal_beside(path: Path) -> bool:
    return Path(f"{path}-wal").exists()


class Writer(threading.Thread):
    """Commits one user row per transaction, in id order, until stopped (WAL, like the bot)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            while not self.stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                add_user(conn, self.committed + 1)
                # A second write in the same transaction: a copy must hold both or neither.
                conn.execute("UPDATE users SET last_seen = 'y' WHERE user_id = ?",
                             (self.committed + 1,))
                conn.execute("COMMIT")
                self.committed += 1
            conn.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


async def test_backup_while_writes_go_on_holds_every_committed_row(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    writer = Writer(db_path)
    writer.start()
    try:
        copies = []
        while writer.committed < 200:
            threading.Event().wait(0.001)
        for n in range(5):
            before = writer.committed
            result = backup(db_path, tmp_path / f"copy{n}.sqlite3")
            copies.append((before, result.path))
        assert writer.committed > copies[0][0], "the writer did not run during the backups"
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    for committed_before, copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migration_files()[-1][0]
        # No half transaction: every copied row has its second write too.
        assert conn.execute("SELECT COUNT(*) FROM users WHERE last_seen <> 'y'").fetchone()[0] == 0
        conn.close()
        ids = user_ids(copy)
        # Every row committed before the backup began, and a snapshot: no gaps.
        assert len(ids) >= committed_before
        assert ids == list(range(1, len(ids) + 1))
        assert not wal_beside(copy)


async def test_backup_into_a_directory_keeps_the_newest(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    made = []
    for day in range(1, 5):
        made.append(backup(db_path, folder, keep=3, now=datetime(2026, 11, day, 2, 0, tzinfo=UTC)))
    assert made[0].path.name == "kirana-20261101T020000Z.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == [
        "kirana-20261102T020000Z.sqlite3",
        "kirana-20261103T020000Z.sqlite3",
        "kirana-20261104T020000Z.sqlite3",
    ]
    assert made[-1].removed == (folder / "kirana-20261101T020000Z.sqlite3",)


async def test_backup_onto_the_database_itself_is_refused(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    for dest in (db_path, Path(f"{db_path}-wal"), tmp_path / "." / "kirana.sqlite3"):
        with pytest.raises(BackupError, match="the database itself"):
            backup(db_path, dest)
    assert user_ids(db_path) == []


def test_backup_of_a_missing_database_fails_cleanly(tmp_path) -> None:
    with pytest.raises(BackupError, match="no such file"):
        backup(tmp_path / "nope.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()


async def test_restore_replaces_the_database_and_keeps_the_old_one(tmp_path) -> None:
    db_path = tmp_path / "data" / "kirana.sqlite3"
    await make_db(db_path)
    conn = sqlite3.connect(db_path)
    add_user(conn, 1)
    conn.commit()
    saved = backup(db_path, tmp_path / "saved.sqlite3").path
    add_user(conn, 2)  # after the backup: the restore takes it away
    conn.commit()
    conn.close()

    result = restore(saved, db_path)
    assert user_ids(db_path) == [1]
    assert result.previous is not None and user_ids(result.previous) == [1, 2]
    db = await Database.open(db_path)  # the bot starts on it as usual
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("SELECT COUNT(*) FROM users") == 1
    await db.close()


async def test_restore_refuses_while_a_bot_holds_the_database(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    saved = backup(db_path, tmp_path / "saved.sqlite3").path
    conn = sqlite3.connect(db_path)
    add_user(conn, 7)
    conn.commit()
    conn.close()
    with RunLock(db_path, "run"), pytest.raises(DatabaseInUse, match=r"kirana-bot run \(pid"):
        restore(saved, db_path)
    assert user_ids(db_path) == [7]


async def test_restore_refuses_a_damaged_backup_and_touches_nothing(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    conn = sqlite3.connect(db_path)
    for uid in range(1, 400):
        add_user(conn, uid)
    conn.commit()
    conn.close()
    damaged = backup(db_path, tmp_path / "damaged.sqlite3").path
    raw = bytearray(damaged.read_bytes())
    page = 4096
    for offset in range(page * 3, len(raw) - page, page):  # scribble over b-tree pages
        raw[offset + 8: offset + 40] = b"\xff" * 32
    damaged.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="integrity_check|not a readable"):
        restore(damaged, db_path)
    assert len(user_ids(db_path)) == 399
    assert not list(tmp_path.glob("*.before-restore-*"))


async def test_restore_refuses_a_file_that_is_not_our_database(tmp_path) -> None:
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    (tmp_path / "text.sqlite3").write_text("hello")
    for path in (other, tmp_path / "text.sqlite3"):
        with pytest.raises(BackupError):
            restore(path, tmp_path / "kirana.sqlite3")
    assert not (tmp_path / "kirana.sqlite3").exists()


async def test_cli_backup_and_restore(tmp_path) -> None:
    db_path = tmp_path / "kirana.sqlite3"
    await make_db(db_path)
    env = {"PATH": "/usr/bin:/bin", "KIRANA_DB_PATH": str(db_path)}  # no token needed

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(KIRANA_BOT), *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    done = run("backup", str(tmp_path / "b") + "/")
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    (made,) = (tmp_path / "b").iterdir()
    with RunLock(db_path, "run"):
        refused = run("restore", str(made))
    assert refused.returncode == 1
    assert "refused" in refused.stderr and "Stop the bot first" in refused.stderr
    restored = run("restore", str(made))
    assert restored.returncode == 0, restored.stderr
    assert "restored from" in restored.stdout
