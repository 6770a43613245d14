"""Online backup and restore of the SQLite database (SQLite's backup API).

``backup`` copies a consistent snapshot while the bot keeps writing: the copy is taken in one
step under one read transaction (WAL lets writers go on meanwhile), written to a temporary
file, checked with ``PRAGMA integrity_check``, switched to a self-contained rollback journal,
flushed to disk and only then renamed to its final name — a half-written backup never has the
name of a good one.

``restore`` checks the backup first (integrity, that it is this bot's database, a schema this
code can run), takes the run lock (refusing while a bot runs, see :mod:`bot.ops.runlock`),
keeps the current database beside it as ``<name>.before-restore-<time>``, and copies the
backup *into* the database through the backup API, so SQLite itself deals with the old
database's WAL and shared-memory files.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.ops.runlock import RunLock
from bot.storage.db import migration_files

BACKUP_PREFIX = "kirana-"
BACKUP_SUFFIX = ".sqlite3"
_BACKUP_NAME = re.compile(r"^kirana-\d{8}T\d{6}Z\.sqlite3$")


class BackupError(Exception):
    """The backup or restore did not happen; ``str()`` is one line for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    schema_version: int
    removed: tuple[Path, ...] = ()


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    schema_version: int
    previous: Path | None


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _connect_ro(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """Empty when ``PRAGMA integrity_check`` says ok; otherwise its complaints."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _target(dest: Path | str, now: datetime) -> Path:
    """A directory (existing, or named with a trailing slash) gets a dated file inside."""
    path = Path(dest)
    if path.is_dir() or str(dest).endswith(os.sep):
        return path / f"{BACKUP_PREFIX}{_stamp(now)}{BACKUP_SUFFIX}"
    return path


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(db_path: Path, dest: Path | str, *, keep: int | None = None,
           now: datetime | None = None) -> BackupResult:
    """Copy the database to ``dest`` (a file, or a directory for a dated file) while it runs.

    With ``keep``, only the newest ``keep`` dated backups in that directory are kept.
    """
    now = now or datetime.now(UTC)
    target = _target(dest, now)
    live = {Path(f"{db_path}{suffix}").resolve() for suffix in ("", "-wal", "-shm", ".lock")}
    if target.resolve() in live:
        raise BackupError(f"{target} is the database itself: give another file or a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        source = _connect_ro(db_path)
    except sqlite3.Error as exc:
        raise BackupError(f"{db_path}: cannot open the database ({exc})") from exc
    try:
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, i.e. one consistent snapshot.
            source.backup(copy, pages=-1)
            problems = integrity_problems(copy)
            if problems:
                raise BackupError(f"the copy failed integrity_check: {problems[0]}")
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
            # A backup is one file: no -wal or -shm beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise BackupError(f"backup failed: {exc}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    finally:
        source.close()
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    _fsync_dir(target.parent)
    removed = _prune(target.parent, keep) if keep else ()
    return BackupResult(target, target.stat().st_size, version, removed)


def _prune(directory: Path, keep: int) -> tuple[Path, ...]:
    dated = sorted(p for p in directory.iterdir() if _BACKUP_NAME.match(p.name))
    old = dated[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return tuple(old)


def check_backup(path: Path) -> int:
    """Raise :class:`BackupError` unless ``path`` is a sound backup this code can run; return
    its schema version."""
    try:
        conn = _connect_ro(path)
        try:
            problems = integrity_problems(conn)
            if problems:
                raise BackupError(f"{path} failed integrity_check: {problems[0]}")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            has_users = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from exc
    if version == 0 or not has_users:
        raise BackupError(f"{path} is not a Kirana Partner Bot database")
    latest = migration_files()[-1][0]
    if version > latest:
        raise BackupError(
            f"{path} has schema version {version}, newer than this release knows ({latest}): "
            "restore it with the release that wrote it"
        )
    return version


def restore(backup_path: Path, db_path: Path, *, now: datetime | None = None) -> RestoreResult:
    """Replace the database with a backup; refuses while a bot runs on it."""
    now = now or datetime.now(UTC)
    version = check_backup(backup_path)
    if backup_path.resolve() == db_path.resolve():
        raise BackupError("the backup and the database are the same file")
    with RunLock(db_path, "restore"):
        previous = None
        db_path.parent.mkdir(parents=True, exist_ok=True)
        if db_path.exists():
            previous = db_path.with_name(f"{db_path.name}.before-restore-{_stamp(now)}")
            backup(db_path, previous, now=now)
        source = _connect_ro(backup_path)
        try:
            dest = sqlite3.connect(db_path, timeout=10)
            try:
                source.backup(dest, pages=-1)
                problems = integrity_problems(dest)
                if problems:  # pragma: no cover - the source was checked just before
                    raise BackupError(f"the restored database failed integrity_check: {problems[0]}")
            finally:
                dest.close()
        except sqlite3.Error as exc:
            raise BackupError(f"restore failed: {exc}; the database was kept in {previous}") from exc
        finally:
            source.close()
    return RestoreResult(db_path, version, previous)
