"""SQL of the handover: parcel screens (pickup_checks), the picked-up state, payouts, events.

Every function takes the connection of the caller's transaction (``db.transaction()``), so that
a handover — parcel state, ledger entry, event, screen closed — is written all or nothing.
The hot statements are module constants so a test can EXPLAIN them (they must use indexes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.clock import from_db, to_db


@dataclass(frozen=True)
class StoreRow:
    id: int
    code: str
    shop_name: str
    owner_user_id: int
    owner_name: str
    mobile: str
    status: str


@dataclass(frozen=True)
class ParcelRow:
    id: int
    tracking_id: str
    store_id: int
    customer_phone: str
    customer_name: str | None
    status: str
    arrived_at: datetime | None
    picked_up_at: datetime | None
    picked_up_by: int | None
    last_day: date | None = None


@dataclass(frozen=True)
class CheckRow:
    id: int
    store_id: int
    user_id: int
    parcel_id: int
    code_hash: str
    others: tuple[int, ...]
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None
    others_done_at: datetime | None


STORE_OF_OWNER = """
    SELECT id, code, shop_name, owner_user_id, owner_name, mobile, status FROM stores
    WHERE owner_user_id = ? AND status = 'approved' ORDER BY id LIMIT 1
"""
ARRIVED_BY_CODE = """
    SELECT * FROM parcels WHERE store_id = ? AND code_hash = ? AND status = 'arrived'
"""
# The customer's parcels are found by phone: named, because without statistics SQLite's choice
# between this and (store_id, status) turns on the table's row width (migration 0060 moved it).
OTHERS_WAITING = """
    SELECT * FROM parcels INDEXED BY parcels_phone
    WHERE customer_phone = ? AND status = 'arrived' AND store_id = ? AND id != ?
    ORDER BY arrived_at, id LIMIT ?
"""
HAND_OVER_MATCHED = """
    UPDATE parcels
    SET status = 'picked_up', picked_up_at = :now, picked_up_by = :user, code_hash = NULL,
        updated_at = :now
    WHERE id = :id AND store_id = :store AND status = 'arrived' AND code_hash = :hash
"""
HAND_OVER_OTHER = """
    UPDATE parcels
    SET status = 'picked_up', picked_up_at = :now, picked_up_by = :user, code_hash = NULL,
        updated_at = :now
    WHERE id = :id AND store_id = :store AND status = 'arrived' AND customer_phone = :phone
"""
CUSTOMER_BY_PHONE = "SELECT user_id FROM customers WHERE phone = ?"
SAME_HANDOVER = """
    SELECT * FROM parcels INDEXED BY parcels_phone
    WHERE customer_phone = ? AND status = 'picked_up' AND store_id = ? AND picked_up_at = ?
    ORDER BY id
"""


def _store(row: aiosqlite.Row | None) -> StoreRow | None:
    if row is None:
        return None
    return StoreRow(
        id=row["id"], code=row["code"] or "", shop_name=row["shop_name"],
        owner_user_id=row["owner_user_id"], owner_name=row["owner_name"],
        mobile=row["mobile"], status=row["status"],
    )


def _parcel(row: aiosqlite.Row) -> ParcelRow:
    return ParcelRow(
        id=row["id"],
        tracking_id=row["tracking_id"],
        store_id=row["store_id"],
        customer_phone=row["customer_phone"],
        customer_name=row["customer_name"],
        status=row["status"],
        arrived_at=from_db(row["arrived_at"]) if row["arrived_at"] else None,
        picked_up_at=from_db(row["picked_up_at"]) if row["picked_up_at"] else None,
        picked_up_by=row["picked_up_by"],
        last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
    )


def _check(row: aiosqlite.Row | None) -> CheckRow | None:
    if row is None:
        return None
    return CheckRow(
        id=row["id"],
        store_id=row["store_id"],
        user_id=row["user_id"],
        parcel_id=row["parcel_id"],
        code_hash=row["code_hash"],
        others=tuple(int(i) for i in json.loads(row["others"])),
        created_at=from_db(row["created_at"]),
        closed_at=from_db(row["closed_at"]) if row["closed_at"] else None,
        outcome=row["outcome"],
        others_done_at=from_db(row["others_done_at"]) if row["others_done_at"] else None,
    )


# ------------------------------------------------------------------------------ stores


async def store_of_owner(conn: aiosqlite.Connection, user_id: int) -> StoreRow | None:
    """The user's approved store (the first, should they ever own several)."""
    cur = await conn.execute(STORE_OF_OWNER, (user_id,))
    return _store(await cur.fetchone())


async def store_by_id(conn: aiosqlite.Connection, store_id: int) -> StoreRow | None:
    cur = await conn.execute(
        "SELECT id, code, shop_name, owner_user_id, owner_name, mobile, status FROM stores "
        "WHERE id = ?",
        (store_id,),
    )
    return _store(await cur.fetchone())


# ----------------------------------------------------------------------------- parcels


async def arrived_by_code(
    conn: aiosqlite.Connection, store_id: int, code_hash: str
) -> ParcelRow | None:
    cur = await conn.execute(ARRIVED_BY_CODE, (store_id, code_hash))
    row = await cur.fetchone()
    return None if row is None else _parcel(row)


async def parcel(conn: aiosqlite.Connection, parcel_id: int) -> ParcelRow | None:
    cur = await conn.execute("SELECT * FROM parcels WHERE id = ?", (parcel_id,))
    row = await cur.fetchone()
    return None if row is None else _parcel(row)


async def parcels(conn: aiosqlite.Connection, ids: list[int]) -> list[ParcelRow]:
    """The parcels with these ids, in the order given (missing ones left out)."""
    found = {}
    for parcel_id in ids:
        row = await parcel(conn, parcel_id)
        if row is not None:
            found[parcel_id] = row
    return [found[i] for i in ids if i in found]


async def others_waiting(
    conn: aiosqlite.Connection, store_id: int, phone: str, except_id: int, limit: int
) -> list[ParcelRow]:
    """The same customer's other parcels waiting at this store, oldest first."""
    cur = await conn.execute(OTHERS_WAITING, (phone, store_id, except_id, limit))
    return [_parcel(row) for row in await cur.fetchall()]


async def hand_over_matched(
    conn: aiosqlite.Connection, *, parcel_id: int, store_id: int, code_hash: str,
    user_id: int, now: datetime,
) -> bool:
    """Mark picked up — only if still waiting here under the very code that was typed."""
    cur = await conn.execute(
        HAND_OVER_MATCHED,
        {"now": to_db(now), "user": user_id, "id": parcel_id, "store": store_id,
         "hash": code_hash},
    )
    return cur.rowcount == 1


async def hand_over_other(
    conn: aiosqlite.Connection, *, parcel_id: int, store_id: int, phone: str,
    user_id: int, now: datetime,
) -> bool:
    """Mark picked up — only if still waiting here for the same customer."""
    cur = await conn.execute(
        HAND_OVER_OTHER,
        {"now": to_db(now), "user": user_id, "id": parcel_id, "store": store_id, "phone": phone},
    )
    return cur.rowcount == 1


async def same_handover(conn: aiosqlite.Connection, p: ParcelRow) -> list[ParcelRow]:
    """The parcels handed over together with ``p`` (same customer, store and moment)."""
    if p.picked_up_at is None:
        return []
    cur = await conn.execute(SAME_HANDOVER, (p.customer_phone, p.store_id, to_db(p.picked_up_at)))
    return [_parcel(row) for row in await cur.fetchall()]


async def customer_user(conn: aiosqlite.Connection, phone: str) -> int | None:
    cur = await conn.execute(CUSTOMER_BY_PHONE, (phone,))
    row = await cur.fetchone()
    return None if row is None else int(row[0])


# ------------------------------------------------------------------- ledger and events


async def add_payout(
    conn: aiosqlite.Connection, *, parcel_id: int, store_id: int, amount_paise: int,
    now: datetime,
) -> None:
    """One ledger entry; the UNIQUE parcel_id makes a second one fail (and roll back)."""
    await conn.execute(
        "INSERT INTO earnings (parcel_id, store_id, amount_paise, at) VALUES (?, ?, ?, ?)",
        (parcel_id, store_id, amount_paise, to_db(now)),
    )


async def add_event(
    conn: aiosqlite.Connection, *, parcel_id: int, event: str, actor_id: int | None,
    now: datetime, details: dict | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO parcel_events (parcel_id, at, event, actor_id, details) VALUES (?, ?, ?, ?, ?)",
        (parcel_id, to_db(now), event, actor_id,
         json.dumps(details or {}, ensure_ascii=False, sort_keys=True)),
    )


async def has_event(conn: aiosqlite.Connection, parcel_id: int, event: str) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM parcel_events WHERE parcel_id = ? AND event = ? LIMIT 1", (parcel_id, event)
    )
    return await cur.fetchone() is not None


# ------------------------------------------------------------------------ parcel screens


async def create_check(
    conn: aiosqlite.Connection, *, store_id: int, user_id: int, parcel_id: int, code_hash: str,
    others: list[int], now: datetime,
) -> int:
    cur = await conn.execute(
        """INSERT INTO pickup_checks (store_id, user_id, parcel_id, code_hash, others, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (store_id, user_id, parcel_id, code_hash, json.dumps(others), to_db(now)),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def check(conn: aiosqlite.Connection, check_id: int) -> CheckRow | None:
    cur = await conn.execute("SELECT * FROM pickup_checks WHERE id = ?", (check_id,))
    return _check(await cur.fetchone())


async def close_check(
    conn: aiosqlite.Connection, check_id: int, outcome: str, now: datetime
) -> bool:
    """Close an open screen; False when it was closed already."""
    cur = await conn.execute(
        "UPDATE pickup_checks SET closed_at = ?, outcome = ? WHERE id = ? AND closed_at IS NULL",
        (to_db(now), outcome, check_id),
    )
    return cur.rowcount == 1


async def mark_others_done(conn: aiosqlite.Connection, check_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE pickup_checks SET others_done_at = ? WHERE id = ? AND others_done_at IS NULL",
        (to_db(now), check_id),
    )
    return cur.rowcount == 1
