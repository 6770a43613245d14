"""Returns (SPEC §7): the shopkeeper gives expired parcels back to the courier and says so.

Rules:
* Only the owner of the store acts — approved, or suspended: a suspension stops receiving and
  handing over, not giving back what is on the shelf — and only on its parcels *to return*;
  anything else (forged button, already returned, another store's parcel) is a stale button.
* *Returned* marks one parcel; *all returned* marks those that were due back when the screen
  was shown (``shown_at``), never one that fell due afterwards and was not on the screen.
* A returned parcel leaves the shelf (capacity counts arrived and to_return only).
* The customer, if linked, is told it went back to the sender — one message per customer per
  action — queued in the same transaction as the change; the event ``returned`` records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import from_db
from bot.services import holding_messages as messages
from bot.services.context import Services
from bot.services.holding import store_payload
from bot.services.parcel_models import StoreInfo
from bot.storage import customers as customers_repo
from bot.storage import holding as repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points
from bot.storage.holding import Claimed

SHOWN = 20  # parcels listed on one /returns screen, each with its own button
EVENT_RETURNED = "returned"


@dataclass(frozen=True)
class NotAStore:
    """The user owns no approved store."""


@dataclass(frozen=True)
class Stale:
    """Nothing to do: already returned, not due back, not this store's, or forged."""


@dataclass(frozen=True)
class ReturnItem:
    id: int
    tracking_id: str
    customer_name: str | None
    last_day: date | None
    expired_at: datetime | None


@dataclass(frozen=True)
class ReturnsList:
    store: StoreInfo
    items: list[ReturnItem]
    total: int
    shown_at: datetime


@dataclass(frozen=True)
class Returned:
    tracking_ids: list[str]
    customers_told: int


async def _my_store(svc: Services, user_id: int) -> StoreInfo | None:
    row = await pickup_points.returning_store_of_owner(svc.db, user_id)
    return StoreInfo.from_row(row) if row is not None else None


async def returns_of(svc: Services, user_id: int) -> ReturnsList | NotAStore:
    """What the user's store has to give back to the courier, oldest first."""
    store = await _my_store(svc, user_id)
    if store is None:
        return NotAStore()
    now = svc.clock.now()
    async with svc.db.reading() as conn:
        rows = await repo.returns_of_store(conn, store.id, SHOWN)
        total = await repo.count_returns(conn, store.id)
    items = [ReturnItem(
        r["id"], r["tracking_id"], r["customer_name"],
        date.fromisoformat(r["last_day"]) if r["last_day"] else None,
        from_db(r["expired_at"]) if r["expired_at"] else None) for r in rows]
    return ReturnsList(store, items, total, now)


async def mark_returned(
    svc: Services, user_id: int, parcel_id: int
) -> Returned | Stale | NotAStore:
    """The courier took this parcel back."""
    return await _mark(svc, user_id, parcel_id=parcel_id)


async def mark_all_returned(
    svc: Services, user_id: int, shown_at: datetime
) -> Returned | Stale | NotAStore:
    """The courier took back everything that was due back when the screen was shown."""
    return await _mark(svc, user_id, shown_at=shown_at)


async def _mark(
    svc: Services, user_id: int, *, parcel_id: int | None = None,
    shown_at: datetime | None = None,
) -> Returned | Stale | NotAStore:
    store = await _my_store(svc, user_id)
    if store is None:
        return NotAStore()
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        if parcel_id is not None:
            done = await repo.mark_returned(conn, store.id, parcel_id, user_id, now)
        else:
            assert shown_at is not None
            done = await repo.mark_all_returned(conn, store.id, shown_at, user_id, now)
        if not done:
            return Stale()
        by_phone: dict[str, list[Claimed]] = {}
        for c in done:
            by_phone.setdefault(c.customer_phone, []).append(c)
        told = 0
        for phone, theirs in by_phone.items():
            customer = await customers_repo.user_of_phone(conn, phone)
            details: dict = {"told": False}
            if customer is not None:
                await messages.queue(conn, chat_id=customer, kind=messages.RETURNED, now=now,
                                     payload={"tracking": [c.tracking_id for c in theirs],
                                              "store": store_payload(store)})
                told += 1
                details = {"user_id": customer}
            if len(done) > 1:
                details["all"] = True
            for c in theirs:
                await parcels_repo.append_event(conn, c.id, EVENT_RETURNED, user_id, now, details)
    return Returned([c.tracking_id for c in done], told)
