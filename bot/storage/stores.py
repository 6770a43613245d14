"""SQL for partner stores (``stores``) and the applications being filled in (``store_drafts``).

Functions taking ``conn`` run inside the caller's ``db.transaction()`` (or ``db.reading()``);
functions taking ``db`` are single statements of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import from_db, to_db
from bot.storage.db import Database, Row


@dataclass(frozen=True)
class StoreDetails:
    """What the shopkeeper tells us about the shop."""

    shop_name: str
    owner_name: str
    mobile: str             # E.164
    mobile_verified: bool   # from the user's own shared contact
    address: str
    pin_code: str
    latitude: float | None
    longitude: float | None
    opens_at: str           # HH:MM
    closes_at: str          # HH:MM, 24:00 = midnight
    capacity: int
    upi_id: str | None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Store:
    id: int
    code: str | None
    owner_user_id: int
    status: str
    details: StoreDetails
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    reject_reason: str | None


@dataclass(frozen=True)
class Draft:
    """An application being filled in; ``answers`` maps a step name to its value."""

    user_id: int
    step: str
    answers: dict[str, Any]
    editing: bool
    last_message_id: int | None
    started_at: datetime
    updated_at: datetime
    revision: int = 0


def store_code(store_id: int) -> str:
    """``KS-0001`` from the AUTOINCREMENT id: never reused, even after a row is deleted."""
    return f"KS-{store_id:04d}"


def _store(row: Row) -> Store:
    return Store(
        id=row["id"],
        code=row["code"],
        owner_user_id=row["owner_user_id"],
        status=row["status"],
        details=StoreDetails(
            shop_name=row["shop_name"],
            owner_name=row["owner_name"],
            mobile=row["mobile"],
            mobile_verified=bool(row["mobile_verified"]),
            address=row["address"],
            pin_code=row["pin_code"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            opens_at=row["opens_at"],
            closes_at=row["closes_at"],
            capacity=row["capacity"],
            upi_id=row["upi_id"],
        ),
        created_at=from_db(row["created_at"]),
        decided_at=from_db(row["decided_at"]) if row["decided_at"] else None,
        decided_by=row["decided_by"],
        reject_reason=row["reject_reason"],
    )


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple) -> Store | None:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    return None if row is None else _store(row)


# ------------------------------------------------------------------------------- stores


async def get(conn: aiosqlite.Connection, store_id: int) -> Store | None:
    return await _one(conn, "SELECT * FROM stores WHERE id = ?", (store_id,))


async def open_store_of(conn: aiosqlite.Connection, owner_user_id: int) -> Store | None:
    """The user's pending, approved or suspended store (approved first), if any."""
    return await _one(
        conn,
        """SELECT * FROM stores WHERE owner_user_id = ?
                AND status IN ('pending', 'approved', 'suspended')
            ORDER BY status = 'approved' DESC, id DESC LIMIT 1""",
        (owner_user_id,),
    )


async def approved_store_of(conn: aiosqlite.Connection, owner_user_id: int) -> Store | None:
    return await _one(
        conn,
        "SELECT * FROM stores WHERE owner_user_id = ? AND status = 'approved' "
        "ORDER BY id LIMIT 1",
        (owner_user_id,),
    )


async def latest_rejected_of(conn: aiosqlite.Connection, owner_user_id: int) -> Store | None:
    return await _one(
        conn,
        "SELECT * FROM stores WHERE owner_user_id = ? AND status = 'rejected' "
        "ORDER BY id DESC LIMIT 1",
        (owner_user_id,),
    )


async def insert_pending(
    conn: aiosqlite.Connection, owner_user_id: int, d: StoreDetails, now: datetime
) -> Store:
    """A new application, waiting for a decision, with its notice to the admins owed."""
    cur = await conn.execute(
        """INSERT INTO stores (owner_user_id, status, shop_name, owner_name, mobile,
               mobile_verified, address, pin_code, latitude, longitude, opens_at, closes_at,
               capacity, upi_id, created_at, admin_notice_due)
           VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)""",
        (owner_user_id, d.shop_name, d.owner_name, d.mobile, int(d.mobile_verified), d.address,
         d.pin_code, d.latitude, d.longitude, d.opens_at, d.closes_at, d.capacity, d.upi_id,
         to_db(now)),
    )
    store_id = cur.lastrowid
    assert store_id is not None
    store = await get(conn, store_id)
    assert store is not None
    return store


async def decide(
    conn: aiosqlite.Connection,
    store_id: int,
    *,
    approve: bool,
    admin_id: int,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Record the decision if the application is still pending; False when it was not.

    The ``WHERE status = 'pending'`` makes the decision happen once: of two admins deciding at
    the same moment, the second changes no row.
    """
    if approve:
        cur = await conn.execute(
            """UPDATE stores SET status = 'approved', code = ?, decided_at = ?, decided_by = ?,
                   reject_reason = NULL, owner_notice_due = 1
               WHERE id = ? AND status = 'pending'""",
            (store_code(store_id), to_db(now), admin_id, store_id),
        )
    else:
        cur = await conn.execute(
            """UPDATE stores SET status = 'rejected', decided_at = ?, decided_by = ?,
                   reject_reason = ?, owner_notice_due = 1
               WHERE id = ? AND status = 'pending'""",
            (to_db(now), admin_id, reason, store_id),
        )
    return cur.rowcount == 1


async def pending(conn: aiosqlite.Connection, limit: int) -> tuple[list[Store], int]:
    """The oldest ``limit`` applications waiting for a decision, and how many there are."""
    cur = await conn.execute("SELECT COUNT(*) FROM stores WHERE status = 'pending'")
    row = await cur.fetchone()
    total = int(row[0]) if row else 0
    cur = await conn.execute(
        "SELECT * FROM stores WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)
    )
    return [_store(r) for r in await cur.fetchall()], total


async def admin_notices_due(db: Database) -> list[Store]:
    rows = await db.fetchall("SELECT * FROM stores WHERE admin_notice_due = 1 ORDER BY id")
    return [_store(r) for r in rows]


async def owner_notices_due(db: Database) -> list[Store]:
    rows = await db.fetchall("SELECT * FROM stores WHERE owner_notice_due = 1 ORDER BY id")
    return [_store(r) for r in rows]


async def admin_notice_sent(db: Database, store_id: int) -> None:
    await db.execute("UPDATE stores SET admin_notice_due = 0 WHERE id = ?", (store_id,))


async def owner_notice_sent(db: Database, store_id: int) -> None:
    await db.execute("UPDATE stores SET owner_notice_due = 0 WHERE id = ?", (store_id,))


async def notices_queued(
    conn: aiosqlite.Connection, store_id: int, *, admins: bool = False, owner: bool = False
) -> None:
    """The owed notices are in the outbox now (in this transaction): no longer owed here."""
    if admins:
        await conn.execute("UPDATE stores SET admin_notice_due = 0 WHERE id = ?", (store_id,))
    if owner:
        await conn.execute("UPDATE stores SET owner_notice_due = 0 WHERE id = ?", (store_id,))


async def add_card_in(
    conn: aiosqlite.Connection, store_id: int, chat_id: int, message_id: int
) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO store_application_cards (store_id, chat_id, message_id) "
        "VALUES (?, ?, ?)",
        (store_id, chat_id, message_id),
    )


async def add_card(db: Database, store_id: int, chat_id: int, message_id: int) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO store_application_cards (store_id, chat_id, message_id) "
        "VALUES (?, ?, ?)",
        (store_id, chat_id, message_id),
    )


async def take_cards(db: Database, store_id: int) -> list[tuple[int, int]]:
    """(chat id, message id) of every card of the application, forgotten as they are returned."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "SELECT chat_id, message_id FROM store_application_cards WHERE store_id = ? "
            "ORDER BY chat_id, message_id",
            (store_id,),
        )
        cards = [(row["chat_id"], row["message_id"]) for row in await cur.fetchall()]
        await conn.execute("DELETE FROM store_application_cards WHERE store_id = ?", (store_id,))
    return cards


async def first_name_of(conn: aiosqlite.Connection, user_id: int) -> str | None:
    cur = await conn.execute("SELECT first_name FROM users WHERE user_id = ?", (user_id,))
    row = await cur.fetchone()
    return None if row is None else row["first_name"]


# ------------------------------------------------------------------------------- drafts


def _draft(row: Row) -> Draft:
    return Draft(
        user_id=row["user_id"],
        step=row["step"],
        answers=json.loads(row["answers"]),
        editing=bool(row["editing"]),
        last_message_id=row["last_message_id"],
        started_at=from_db(row["started_at"]),
        updated_at=from_db(row["updated_at"]),
        revision=row["revision"],
    )


async def get_draft(conn: aiosqlite.Connection, user_id: int) -> Draft | None:
    cur = await conn.execute("SELECT * FROM store_drafts WHERE user_id = ?", (user_id,))
    row = await cur.fetchone()
    return None if row is None else _draft(row)


async def put_draft(conn: aiosqlite.Connection, draft: Draft) -> None:
    await conn.execute(
        """INSERT INTO store_drafts
               (user_id, step, answers, editing, revision, last_message_id, started_at,
                updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET
               step = excluded.step, answers = excluded.answers, editing = excluded.editing,
               revision = excluded.revision, last_message_id = excluded.last_message_id,
               started_at = excluded.started_at, updated_at = excluded.updated_at""",
        (draft.user_id, draft.step, json.dumps(draft.answers, ensure_ascii=False),
         int(draft.editing), draft.revision, draft.last_message_id, to_db(draft.started_at),
         to_db(draft.updated_at)),
    )


async def delete_draft(conn: aiosqlite.Connection, user_id: int) -> bool:
    cur = await conn.execute("DELETE FROM store_drafts WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0
