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
* One message counts once: a wrong code is recorded with the chat and message it was typed in,
  so the same message handled again (the inbox replaying an update after a kill -9, see
  ``docs/inbox.md``) neither counts a second time nor starts a second lock, and is answered
  as it was the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain import MessageRef
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


async def started_by(conn: aiosqlite.Connection, lock: Lock, typed: MessageRef | None) -> bool:
    """Whether the wrong code of message ``typed`` started ``lock`` (then that message,
    handled again, is answered as the first time: no parcel, and now locked)."""
    return typed is not None and await repo.lock_started_by(conn, lock.id, typed.key())


async def record_wrong_code(
    conn: aiosqlite.Connection, store_id: int, user_id: int, now: datetime,
    typed: MessageRef | None = None,
) -> WrongCode:
    """Count a wrong code, once per message ``typed``; lock the store when it is one too many
    (inside a transaction)."""
    counted = await repo.add_wrong_code(
        conn, store_id, user_id, now, typed.key() if typed is not None else None)
    since = now - WINDOW
    latest = await repo.latest_lock(conn, store_id)
    if latest is not None and latest.locked_at > since:
        since = latest.locked_at
    wrong = await repo.wrong_codes_since(conn, store_id, since)
    if wrong < MAX_WRONG_CODES or not counted:  # a message counted before never locks again
        return WrongCode(max(MAX_WRONG_CODES - wrong, 0), None)
    row = await repo.add_lock(conn, store_id, now, now + LOCK_FOR)
    return WrongCode(0, Lock(row.id, store_id, row.locked_until))


async def claim_admin_alert(svc: Services, lock_id: int) -> bool:
    """True exactly once per lock: the caller that gets True tells the admins."""
    async with svc.db.transaction() as conn:
        return await repo.mark_admins_told(conn, lock_id, svc.clock.now())
