"""Arrived parcels with a pickup code, written straight to the database (not through /receive)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from bot.clock import to_db
from bot.services.codes import code_key, issue_code
from bot.services.context import Services

_serial = itertools.count(1)


async def arrived_parcel(
    svc: Services,
    store_id: int,
    *,
    phone: str = "+919876543210",
    name: str | None = "Priya Sharma",
    tracking_id: str | None = None,
    arrived_at: datetime | None = None,
    hold_days: int = 7,
) -> tuple[int, str, str]:
    """A parcel arrived at the store now (or at ``arrived_at``); returns (id, tracking id, code)."""
    now = svc.clock.now()
    arrived = arrived_at or now
    tracking = tracking_id or f"TRK{next(_serial):08d}IN"
    last_day = (arrived.astimezone(svc.settings.tz).date() + timedelta(days=hold_days)).isoformat()
    async with svc.db.transaction() as conn:
        cur = await conn.execute(
            """INSERT INTO parcels (tracking_id, store_id, customer_phone, customer_name, status,
                   arrived_at, last_day, created_at, updated_at)
               VALUES (?, ?, ?, ?, 'arrived', ?, ?, ?, ?)""",
            (tracking, store_id, phone, name, to_db(arrived), last_day, to_db(arrived),
             to_db(now)),
        )
        parcel_id = cur.lastrowid
        assert parcel_id is not None
        await conn.execute(
            "INSERT INTO parcel_events (parcel_id, at, event) VALUES (?, ?, 'arrived')",
            (parcel_id, to_db(arrived)),
        )
        code = await issue_code(conn, code_key(svc.settings), store_id, parcel_id, now)
    return parcel_id, tracking, code


async def new_code(svc: Services, store_id: int, parcel_id: int) -> str:
    """What "new code" (#4) does: issue another code; the old one stops matching."""
    async with svc.db.transaction() as conn:
        return await issue_code(conn, code_key(svc.settings), store_id, parcel_id,
                                svc.clock.now())


async def set_status(svc: Services, parcel_id: int, status: str) -> None:
    """Move a parcel to another status directly (e.g. 'returned' by the returns feature)."""
    await svc.db.execute(
        "UPDATE parcels SET status = ?, updated_at = ? WHERE id = ?",
        (status, to_db(svc.clock.now()), parcel_id),
    )
