"""Customers: linking a Telegram account to a mobile number, /myparcels, new code, extend.

Rules (SPEC §5, issue #4):

* A customer links by sharing their *own* contact (``contact.user_id`` is the sender); a typed
  number or someone else's contact card proves nothing and is refused. A verified share is
  authoritative: if another account held that number, it loses it (the number moved).
* A customer sees, and acts on, only parcels for their own linked mobile number.
* *New code* voids the old code at once and issues a new one (only for an arrived parcel).
* *Extend* moves the last day by 3 days, once per parcel, while it is waiting.
* A deep-link token reveals nothing by itself: it only tells whether the parcel is the
  linked customer's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.i18n import normalize_language
from bot.services import notices
from bot.services.codes import code_key, issue_code
from bot.services.context import Services
from bot.services.parcel_models import EXTEND_DAYS, ParcelInfo, ParcelStatus, StoreInfo
from bot.storage import customers as customers_repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points
from bot.validation import Invalid, parse_mobile


class LinkProblem(StrEnum):
    NOT_OWN_CONTACT = "not_own_contact"
    NOT_INDIAN_MOBILE = "not_indian_mobile"


@dataclass(frozen=True)
class Linked:
    phone: str
    changed: bool     # False when the account was already linked to this number


async def link_contact(
    svc: Services,
    user_id: int,
    contact_user_id: int | None,
    phone_number: str,
    language: str,
) -> Linked | LinkProblem:
    """Link the sender to the number of the contact they shared, if it is their own."""
    if contact_user_id is None or contact_user_id != user_id:
        return LinkProblem.NOT_OWN_CONTACT
    parsed = parse_mobile(phone_number)
    if isinstance(parsed, Invalid):
        return LinkProblem.NOT_INDIAN_MOBILE
    phone = parsed.value
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        before = await customers_repo.phone_of_in(conn, user_id)
        holder = await customers_repo.user_of_phone(conn, phone)
        changed = before != phone or holder != user_id
        await customers_repo.link(conn, user_id, phone, now)
        # The language they were served in becomes theirs, so later notices use it too.
        await customers_repo.set_language_if_unset(conn, user_id, normalize_language(language))
        if changed:
            for parcel_id in await parcels_repo.active_ids_for_phone(conn, phone):
                await parcels_repo.append_event(
                    conn, parcel_id, "linked", user_id, now, {"user_id": user_id})
        # The notices of parcels already waiting go out with the link, in its transaction.
        await notices.enqueue_notices(conn, phone, now)
    return Linked(phone, changed)


async def linked_phone(svc: Services, user_id: int) -> str | None:
    return await customers_repo.phone_of(svc.db, user_id)


@dataclass(frozen=True)
class MyParcel:
    parcel: ParcelInfo
    store: StoreInfo

    @property
    def can_extend(self) -> bool:
        return self.parcel.status is ParcelStatus.ARRIVED and self.parcel.extended == 0


async def my_parcels(svc: Services, user_id: int) -> list[MyParcel] | None:
    """The user's active parcels (expected, waiting, due back); None when not linked."""
    phone = await linked_phone(svc, user_id)
    if phone is None:
        return None
    out: list[MyParcel] = []
    stores: dict[int, StoreInfo] = {}
    for row in await parcels_repo.active_for_phone(svc.db, phone):
        parcel = ParcelInfo.from_row(row)
        if parcel.store_id not in stores:
            store_row = await pickup_points.store_by_id(svc.db, parcel.store_id)
            assert store_row is not None
            stores[parcel.store_id] = StoreInfo.from_row(store_row)
        out.append(MyParcel(parcel, stores[parcel.store_id]))
    return out


async def token_is_mine(svc: Services, user_id: int, token: str) -> bool:
    """Whether the deep-link token belongs to a parcel for the user's linked number."""
    phone = await linked_phone(svc, user_id)
    if phone is None or not token:
        return False
    row = await parcels_repo.by_token(svc.db, token)
    return row is not None and row["customer_phone"] == phone


class ParcelProblem(StrEnum):
    NOT_YOURS = "not_yours"          # also: no such parcel, or not linked (nothing revealed)
    NOT_WAITING = "not_waiting"      # not (or no longer) arrived at the store
    ALREADY_EXTENDED = "already_extended"


async def _own_parcel(conn, user_id: int, parcel_id: int):  # noqa: ANN001, ANN202
    phone = await customers_repo.phone_of_in(conn, user_id)
    row = await parcels_repo.by_id(conn, parcel_id)
    if phone is None or row is None or row["customer_phone"] != phone:
        return None
    return row


@dataclass(frozen=True)
class NewCode:
    parcel: ParcelInfo
    store: StoreInfo
    code: str

    def __repr__(self) -> str:  # keep the code out of logs and tracebacks
        return f"NewCode(parcel_id={self.parcel.id})"


async def new_code(svc: Services, user_id: int, parcel_id: int) -> NewCode | ParcelProblem:
    """Void the parcel's pickup code and issue a new one (to show to the customer once)."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        row = await _own_parcel(conn, user_id, parcel_id)
        if row is None:
            return ParcelProblem.NOT_YOURS
        if row["status"] != ParcelStatus.ARRIVED:
            return ParcelProblem.NOT_WAITING
        code = await issue_code(conn, code_key(svc.settings), row["store_id"], parcel_id, now)
        await parcels_repo.append_event(
            conn, parcel_id, "code_issued", user_id, now, {"for": "customer_request"})
        if row["notified_at"] is None:
            # The customer now holds a code: the arrival notice is no longer owed.
            await parcels_repo.mark_notified(conn, parcel_id, now)
            await parcels_repo.append_event(
                conn, parcel_id, "notified", None, now, {"user_id": user_id, "via": "new_code"})
        store_row = await pickup_points.store_by_id(conn, row["store_id"])
        row = await parcels_repo.by_id(conn, parcel_id)
    assert row is not None and store_row is not None
    return NewCode(ParcelInfo.from_row(row), StoreInfo.from_row(store_row), code)


@dataclass(frozen=True)
class Extended:
    parcel: ParcelInfo
    previous_last_day: date


async def extend(svc: Services, user_id: int, parcel_id: int) -> Extended | ParcelProblem:
    """Keep the parcel 3 days longer at the store; once per parcel."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        row = await _own_parcel(conn, user_id, parcel_id)
        if row is None:
            return ParcelProblem.NOT_YOURS
        if row["status"] != ParcelStatus.ARRIVED or not row["last_day"]:
            return ParcelProblem.NOT_WAITING
        if row["extended"]:
            return ParcelProblem.ALREADY_EXTENDED
        before = date.fromisoformat(row["last_day"])
        after = before + timedelta(days=EXTEND_DAYS)
        if not await parcels_repo.extend_hold(conn, parcel_id, after, now):
            return ParcelProblem.ALREADY_EXTENDED
        await parcels_repo.append_event(
            conn, parcel_id, "extended", user_id, now,
            {"from": before.isoformat(), "to": after.isoformat()})
        row = await parcels_repo.by_id(conn, parcel_id)
    assert row is not None
    return Extended(ParcelInfo.from_row(row), before)
