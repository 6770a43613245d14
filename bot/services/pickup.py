"""The handover (SPEC §6): a shopkeeper types the customer's code, checks the parcel, confirms.

Rules:
* Only the owner of an *approved* store hands over, and only parcels *arrived* at that store
  whose current code hash matches the code typed and whose last day is not over (a parcel
  past its last day is to return, even before the holding sweep has marked it). Every other case — a parcel at another
  store, already picked up, returned, a code voided by "new code", a code that never existed —
  is the same :class:`NoParcel`, so a guesser learns nothing; each counts as a wrong code
  (see :mod:`bot.services.lockout`).
* A matched code opens a *parcel screen* (a ``pickup_checks`` row) that remembers the hash it
  matched. Confirming hands over only while the parcel is still arrived here under that very
  hash: a code voided after the screen was shown no longer hands anything over. A screen is
  good for ``CHECK_TTL``; the customer is at the counter, not coming back tomorrow.
* A handover is one transaction: parcel ``picked_up`` (time, by whom), one ledger entry of the
  fee in force (``settings.fee_paise``; later fee changes do not touch it), one event, the
  screen closed. The guarded UPDATE (``status = 'arrived'``) makes a second confirmation —
  double tap, repeated update, second phone, second screen — change nothing; the earnings
  table's UNIQUE parcel_id backs it up. Only the caller whose transaction handed over gets
  :class:`HandedOver`, so only it tells the customer.
* The customer's other parcels waiting at the same store are listed on the screen and can be
  handed over with it ("all") or right after it ("rest"); each gets its own entry and event.
* "Can't find it" records a ``not_found`` event and closes the screen; the parcel stays arrived.
* "Not you?" from the customer records ``handover_disputed`` on the parcels of that handover;
  the admins are told the first time only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

import aiosqlite

from bot import outbox
from bot.clock import from_db, to_db
from bot.domain import MessageRef
from bot.services import lockout
from bot.services.codes import code_key, hash_code
from bot.services.context import Services
from bot.storage import lockout as lock_repo
from bot.storage import pickups as repo
from bot.storage.pickups import ParcelRow, StoreRow
from bot.validation import CodeError, Invalid, mobile_last4, parse_pickup_code

CHECK_TTL = timedelta(minutes=30)
MAX_OTHERS = 8  # other waiting parcels of the customer listed on one screen

EVENT_PICKED_UP = "picked_up"
EVENT_NOT_FOUND = "not_found"
EVENT_DISPUTED = "handover_disputed"


# ------------------------------------------------------------------------ plain values


@dataclass(frozen=True)
class Store:
    id: int
    code: str
    name: str
    owner_name: str
    mobile: str

    @classmethod
    def of(cls, row: StoreRow) -> Store:
        return cls(row.id, row.code, row.shop_name, row.owner_name, row.mobile)

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.name,
                "owner_name": self.owner_name, "mobile": self.mobile}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Store:
        return cls(data["id"], data["code"], data["name"], data["owner_name"], data["mobile"])


@dataclass(frozen=True)
class Parcel:
    id: int
    tracking_id: str
    customer_name: str | None
    customer_phone: str
    arrived_at: datetime | None
    picked_up_at: datetime | None

    @classmethod
    def of(cls, row: ParcelRow) -> Parcel:
        return cls(row.id, row.tracking_id, row.customer_name, row.customer_phone,
                   row.arrived_at, row.picked_up_at)

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "tracking_id": self.tracking_id,
                "customer_name": self.customer_name, "customer_phone": self.customer_phone,
                "arrived_at": _at(self.arrived_at), "picked_up_at": _at(self.picked_up_at)}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Parcel:
        return cls(data["id"], data["tracking_id"], data["customer_name"],
                   data["customer_phone"], _moment(data["arrived_at"]),
                   _moment(data["picked_up_at"]))

    @property
    def masked_tracking(self) -> str:
        return mask_tracking(self.tracking_id)

    @property
    def mobile_last4(self) -> str:
        try:
            return mobile_last4(self.customer_phone)
        except ValueError:  # not an Indian mobile in E.164: still show its last digits
            return self.customer_phone[-4:]


def mask_tracking(tracking_id: str) -> str:
    """All but the last 4 characters hidden: ``DL123456789IN`` → ``••••89IN``."""
    return "\u2022" * 4 + tracking_id[-4:]


def _at(moment: datetime | None) -> str | None:
    return None if moment is None else to_db(moment)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


# Outbox kinds (rendered by bot/handlers/pickup.py); payloads hold facts, never a code.
RECEIPT = "pickup.receipt"
LOCK_ALERT = "pickup.lock_alert"
NOT_FOUND_ALERT = "pickup.not_found_alert"
DISPUTE_ALERT = "pickup.dispute_alert"


async def _tell_admins(
    conn: aiosqlite.Connection, svc: Services, kind: str, payload: dict[str, Any],
    now: datetime,
) -> None:
    await outbox.enqueue_many(conn, sorted(svc.settings.admin_ids), kind, payload, now=now,
                              priority=outbox.Priority.URGENT)


def days_waited(arrived_at: datetime | None, now: datetime, tz: tzinfo) -> int:
    """Whole calendar days (store's time zone) since arrival; 0 on the day it arrived."""
    if arrived_at is None:
        return 0
    return max(0, (now.astimezone(tz).date() - arrived_at.astimezone(tz).date()).days)


class Scope(StrEnum):
    ONE = "one"    # the parcel whose code was typed
    ALL = "all"    # it and the customer's other parcels listed on the screen
    REST = "rest"  # the listed others, after ONE was confirmed


# Results. Errors a user can cause are values.

@dataclass(frozen=True)
class NotAStore:
    """The user owns no approved store (never had one, pending, suspended)."""


@dataclass(frozen=True)
class Locked:
    until: datetime
    store: Store
    lock_id: int
    new: bool  # this very code (message) started the lock; the admins' alert went with it


@dataclass(frozen=True)
class Ready:
    store: Store


@dataclass(frozen=True)
class BadCode:
    reason: CodeError


@dataclass(frozen=True)
class NoParcel:
    tries_left: int


@dataclass(frozen=True)
class Found:
    check_id: int
    store: Store
    parcel: Parcel
    days: int
    others: list[tuple[Parcel, int]]  # (parcel, days waited)


@dataclass(frozen=True)
class HandedOver:
    store: Store
    parcels: list[Parcel]
    at: datetime
    fee_paise: int
    customer_user_id: int | None
    check_id: int
    still_waiting: list[Parcel] = field(default_factory=list)  # the listed others, not yet

    @property
    def total_paise(self) -> int:
        return self.fee_paise * len(self.parcels)


@dataclass(frozen=True)
class AlreadyHandedOver:
    """Someone (this tap, another tap, another phone) already handed it over."""


@dataclass(frozen=True)
class Stale:
    """The parcel is no longer waiting here under that code (new code, returned ...)."""


@dataclass(frozen=True)
class Expired:
    """A screen that is closed, too old, someone else's or does not exist."""


@dataclass(frozen=True)
class Closed:
    store: Store
    parcel: Parcel


@dataclass(frozen=True)
class Disputed:
    parcels: list[Parcel]
    store: Store
    first: bool  # False when this handover was already reported


# ----------------------------------------------------------------------------- rules


async def begin(svc: Services, user_id: int) -> Ready | Locked | NotAStore:
    """May this user type a code now? (Their store is approved and not locked.)"""
    now = svc.clock.now()
    async with svc.db.reading() as conn:
        store = await repo.store_of_owner(conn, user_id)
        if store is None:
            return NotAStore()
        lock = await lockout.active_lock(conn, store.id, now)
        if lock is not None:
            return Locked(lock.until, Store.of(store), lock.id, new=False)
        return Ready(Store.of(store))


async def look_up_code(
    svc: Services, user_id: int, text: str, typed: MessageRef | None = None
) -> Found | NoParcel | BadCode | Locked | NotAStore:
    """Find the parcel waiting at the user's store under the code typed; open its screen.

    ``typed``: the message the code came in. A wrong code counts once per message, so the
    same message handled again after a kill is answered as before and counted once."""
    now = svc.clock.now()
    today = now.astimezone(svc.settings.tz).date()
    key = code_key(svc.settings)
    async with svc.db.transaction() as conn:
        store_row = await repo.store_of_owner(conn, user_id)
        if store_row is None:
            return NotAStore()
        store = Store.of(store_row)
        lock = await lockout.active_lock(conn, store.id, now)
        if lock is not None:
            # new: this very message started it (handled again after a kill); the admins'
            # alert went out with the lock, the answer is the first one again.
            return Locked(lock.until, store, lock.id,
                          new=await lockout.started_by(conn, lock, typed))
        parsed = parse_pickup_code(text)
        if isinstance(parsed, Invalid):
            return BadCode(parsed.reason)
        digest = hash_code(key, store.id, parsed.value)
        found = await repo.arrived_by_code(conn, store.id, digest)
        if found is not None and found.last_day is not None and found.last_day < today:
            # Past its last day: to return, whether or not the sweep has got to it yet.
            found = None
        if found is None:
            wrong = await lockout.record_wrong_code(conn, store.id, user_id, now, typed)
            if wrong.lock is not None:
                # The admins are told with the lock, once (the lock is new only here).
                await lock_repo.mark_admins_told(conn, wrong.lock.id, now)
                await _tell_admins(conn, svc, LOCK_ALERT, {
                    "store": store.payload(), "until": to_db(wrong.lock.until)}, now)
                return Locked(wrong.lock.until, store, wrong.lock.id, new=True)
            return NoParcel(wrong.tries_left)
        others = await repo.others_waiting(
            conn, store.id, found.customer_phone, found.id, MAX_OTHERS
        )
        check_id = await repo.create_check(
            conn, store_id=store.id, user_id=user_id, parcel_id=found.id, code_hash=digest,
            others=[o.id for o in others], now=now,
        )
    tz = svc.settings.tz
    return Found(
        check_id=check_id,
        store=store,
        parcel=Parcel.of(found),
        days=days_waited(found.arrived_at, now, tz),
        others=[(Parcel.of(o), days_waited(o.arrived_at, now, tz)) for o in others],
    )


async def hand_over(
    svc: Services, user_id: int, check_id: int, scope: Scope = Scope.ONE
) -> HandedOver | AlreadyHandedOver | Stale | Expired | NotAStore:
    """Confirm the handover shown on screen ``check_id``; pays exactly once per parcel."""
    now = svc.clock.now()
    fee = svc.settings.fee_paise
    async with svc.db.transaction() as conn:
        check = await repo.check(conn, check_id)
        if check is None or check.user_id != user_id:
            return Expired()
        store_row = await repo.store_of_owner(conn, user_id)
        if store_row is None or store_row.id != check.store_id:
            return NotAStore()
        main = await repo.parcel(conn, check.parcel_id)
        assert main is not None  # a foreign key
        handed: list[ParcelRow] = []
        if scope is Scope.REST:
            if check.others_done_at is not None:
                return AlreadyHandedOver()
            if check.outcome != "handed_over":
                return Expired()
            if now - check.created_at > CHECK_TTL:
                return Expired()
            for other_id in check.others:
                if await repo.hand_over_other(
                    conn, parcel_id=other_id, store_id=check.store_id,
                    phone=main.customer_phone, user_id=user_id, now=now,
                ):
                    handed.append(await _reload(conn, other_id))
            await repo.mark_others_done(conn, check.id, now)
            if not handed:
                return AlreadyHandedOver()
        else:
            if check.closed_at is not None:
                if check.outcome in ("handed_over", "all_handed_over"):
                    return AlreadyHandedOver()
                return Expired()
            if now - check.created_at > CHECK_TTL:
                return Expired()
            if not await repo.hand_over_matched(
                conn, parcel_id=main.id, store_id=check.store_id, code_hash=check.code_hash,
                user_id=user_id, now=now,
            ):
                # Another screen (second phone) got there first, or the code changed.
                if main.status == "picked_up":
                    await repo.close_check(conn, check.id, "handed_over", now)
                    return AlreadyHandedOver()
                await repo.close_check(conn, check.id, "stale", now)
                return Stale()
            handed.append(await _reload(conn, main.id))
            if scope is Scope.ALL:
                for other_id in check.others:
                    if await repo.hand_over_other(
                        conn, parcel_id=other_id, store_id=check.store_id,
                        phone=main.customer_phone, user_id=user_id, now=now,
                    ):
                        handed.append(await _reload(conn, other_id))
                await repo.mark_others_done(conn, check.id, now)
            await repo.close_check(
                conn, check.id, "all_handed_over" if scope is Scope.ALL else "handed_over", now
            )
        for p in handed:
            await repo.add_payout(
                conn, parcel_id=p.id, store_id=check.store_id, amount_paise=fee, now=now
            )
            await repo.add_event(
                conn, parcel_id=p.id, event=EVENT_PICKED_UP, actor_id=user_id, now=now,
                details={"check": check.id, "fee_paise": fee, "scope": scope.value},
            )
        still: list[ParcelRow] = []
        if scope is Scope.ONE:
            still = [p for p in await repo.parcels(conn, list(check.others))
                     if p.status == "arrived" and p.customer_phone == main.customer_phone]
        customer = await repo.customer_user(conn, main.customer_phone)
        if customer is not None:  # the receipt, committed with the handover
            await outbox.enqueue(conn, customer, RECEIPT, {
                "store": Store.of(store_row).payload(),
                "parcels": [Parcel.of(p).payload() for p in handed], "at": to_db(now),
            }, now=now, priority=outbox.Priority.URGENT)
    return HandedOver(
        store=Store.of(store_row),
        parcels=[Parcel.of(p) for p in handed],
        at=now,
        fee_paise=fee,
        customer_user_id=customer,
        check_id=check.id,
        still_waiting=[Parcel.of(p) for p in still],
    )


async def _reload(conn: aiosqlite.Connection, parcel_id: int) -> ParcelRow:
    row = await repo.parcel(conn, parcel_id)
    assert row is not None
    return row


async def cancel(svc: Services, user_id: int, check_id: int) -> Closed | Expired:
    """The shopkeeper did not hand it over: close the screen, change nothing else."""
    return await _close(svc, user_id, check_id, "cancelled")


async def report_not_found(svc: Services, user_id: int, check_id: int) -> Closed | Expired:
    """"Can't find it": record the problem on the parcel (it stays arrived), close the screen."""
    return await _close(svc, user_id, check_id, "not_found")


async def _close(svc: Services, user_id: int, check_id: int, outcome: str) -> Closed | Expired:
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        check = await repo.check(conn, check_id)
        if check is None or check.user_id != user_id or check.closed_at is not None:
            return Expired()
        store_row = await repo.store_by_id(conn, check.store_id)
        main = await repo.parcel(conn, check.parcel_id)
        assert store_row is not None and main is not None
        if not await repo.close_check(conn, check.id, outcome, now):
            return Expired()
        if outcome == "not_found":
            await repo.add_event(
                conn, parcel_id=main.id, event=EVENT_NOT_FOUND, actor_id=user_id, now=now,
                details={"check": check.id},
            )
            await _tell_admins(conn, svc, NOT_FOUND_ALERT, {
                "store": Store.of(store_row).payload(), "parcel": Parcel.of(main).payload()}, now)
    return Closed(Store.of(store_row), Parcel.of(main))


async def dispute(svc: Services, user_id: int, parcel_id: int) -> Disputed | Expired:
    """The customer says a handover was not to them: record it; first report tells admins."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        p = await repo.parcel(conn, parcel_id)
        if p is None or p.status != "picked_up":
            return Expired()
        if await repo.customer_user(conn, p.customer_phone) != user_id:
            return Expired()  # not this customer's parcel: forged or stale
        batch = await repo.same_handover(conn, p) or [p]
        first = not await repo.has_event(conn, p.id, EVENT_DISPUTED)
        if first:
            for q in batch:
                await repo.add_event(
                    conn, parcel_id=q.id, event=EVENT_DISPUTED, actor_id=user_id, now=now,
                    details={"reported_with": p.id},
                )
        store_row = await repo.store_by_id(conn, p.store_id)
        assert store_row is not None
        if first:
            await _tell_admins(conn, svc, DISPUTE_ALERT, {
                "store": Store.of(store_row).payload(),
                "parcels": [Parcel.of(q).payload() for q in batch]}, now)
    return Disputed([Parcel.of(q) for q in batch], Store.of(store_row), first)

