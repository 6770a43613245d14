"""Which process owns a database: ``kirana-bot run`` holds an exclusive lock for its lifetime.

The lock is ``flock`` on ``<database>.lock`` next to the database. The kernel releases it when
the process ends, however it ends (kill -9 included), so a stale lock file never blocks a
start. ``kirana-bot restore`` takes the same lock: it refuses while a bot runs, and no bot can
start half-way through a restore. Works across containers that share the volume.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the lock; ``str()`` says who, for the operator."""


def lock_path(db_path: Path | str) -> Path:
    return Path(f"{db_path}.lock")


class RunLock:
    def __init__(self, db_path: Path | str, purpose: str) -> None:
        self.path = lock_path(db_path)
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`DatabaseInUse` at once (never waits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise DatabaseInUse(f"{holder} is using this database (lock {self.path})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"kirana-bot {self.purpose} (pid {os.getpid()})\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        # The file stays: removing it would let two processes lock two different files.
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(db_path: Path | str) -> str | None:
    """Who holds the lock now, or None when nobody does (checked by trying it)."""
    try:
        with RunLock(db_path, "check"):
            return None
    except DatabaseInUse as exc:
        return str(exc)
