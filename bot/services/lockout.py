"""Guessing stops: too many wrong pickup codes at a store lock code entry there for a while.

Rules (SPEC §6):
* A wrong code is a well-formed 6-digit code that matches no parcel waiting at the store.
  Malformed input is not a guess and does not count.
* ``MAX_WRONG_CODES`` wrong codes within ``WINDOW`` lock code entry at that store for
  ``LOCK_FOR``. While locked every code is refused (even a right one) and nothing is counted.
* After a lock ends the count starts again from zero (only codes typed after the last lock
  began count).
* A right code does not wipe the count: the people who can type codes are the store's own, so
  mixing real customers' codes with guesses must not buy more guesses.
* The counters live in the database, so a restart changes nothing; time comes from the clock.
* The admins are told once per lock (:func:`claim_admin_alert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.services.context import Services
from bot.storage import lockout as repo

MAX_WRONG_CODES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Lock:
    id: int
    store_id: int
    until: datetime


@dataclass(frozen=True)
class WrongCode:
    tries_left: int          # wrong codes still allowed before a lock (0 when locked now)
    lock: Lock | None        # the lock this wrong code started, if any


async def active_lock(conn: aiosqlite.Connection, store_id: int, now: datetime) -> Lock | None:
    """The lock in force at the store now, if any (inside the caller's transaction)."""
    latest = await repo.latest_lock(conn, store_id)
    if latest is None or latest.locked_until <= now:
        return None
    return Lock(latest.id, store_id, latest.locked_until)


async def record_wrong_code(
    conn: aiosqlite.Connection, store_id: int, user_id: int, now: datetime
) -> WrongCode:
    """Count a wrong code; lock the store when it is one too many (inside a transaction)."""
    await repo.add_wrong_code(conn, store_id, user_id, now)
    since = now - WINDOW
    latest = await repo.latest_lock(conn, store_id)
    if latest is not None and latest.locked_at > since:
        since = latest.locked_at
    wrong = await repo.wrong_codes_since(conn, store_id, since)
    if wrong < MAX_WRONG_CODES:
        return WrongCode(MAX_WRONG_CODES - wrong, None)
    row = await repo.add_lock(conn, store_id, now, now + LOCK_FOR)
    return WrongCode(0, Lock(row.id, store_id, row.locked_until))


async def claim_admin_alert(svc: Services, lock_id: int) -> bool:
    """True exactly once per lock: the caller that gets True tells the admins."""
    async with svc.db.transaction() as conn:
        return await repo.mark_admins_told(conn, lock_id, svc.clock.now())
