"""Parcels arriving at a store: /receive, refusals, the shelf (capacity) and /parcels.

Rules (SPEC §4, issue #4):

* Only the owner of an approved store acts, and only on that store's parcels.
* Tracking ids are read one per line, any case, spaces trimmed; a line that is not a tracking
  id is reported with its line number.
* An *expected* parcel of this store becomes *arrived* (last day = arrival date in the
  configured time zone + hold days). One expected at another store is refused without telling
  which store. One already arrived is reported, not recorded twice. An unknown id needs the
  customer's mobile number (and optional name), then arrives.
* Capacity: a store holds at most ``capacity`` parcels (arrived or due back to the courier).
  A batch is accepted up to the free places; the rest are reported as not accepted.
* Refusing a damaged parcel (only an expected one of this store) records the reason; the
  customer is never told it arrived.
* Codes are not issued here: the arrival notice issues them (see ``bot.services.notices``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot import outbox
from bot.services import notices
from bot.services.context import Services
from bot.services.manifest import NAME_MAX, clean_name
from bot.services.manifest_import import new_link_token
from bot.services.parcel_models import ParcelInfo, ParcelStatus, StoreInfo, last_day_for
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points
from bot.validation import (
    Invalid,
    PhoneError,
    TrackingError,
    normalise,
    parse_mobile,
    parse_tracking_id,
    parse_tracking_ids,
)

MAX_IDS_PER_MESSAGE = 200


class Outcome(StrEnum):
    ARRIVED = "arrived"
    ALREADY_ARRIVED = "already_arrived"
    OTHER_STORE = "other_store"
    STORE_FULL = "store_full"
    CLOSED = "closed"          # this store's, but handed over / returned / refused already
    UNKNOWN = "unknown"        # not in any manifest: ask for the customer's mobile


@dataclass(frozen=True)
class LineResult:
    tracking_id: str
    outcome: Outcome
    status: ParcelStatus | None = None   # for CLOSED


@dataclass(frozen=True)
class BadLine:
    line: int
    raw: str
    reason: TrackingError


@dataclass
class ReceiveReport:
    store: StoreInfo
    results: list[LineResult] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    too_many: int = 0          # ids beyond MAX_IDS_PER_MESSAGE, not looked at
    held: int = 0              # parcels on the shelf after this batch
    # Mobile numbers of the customers whose parcels arrived now (their notices go out next).
    phones: list[str] = field(default_factory=list)
    # Arrival notices queued in the outbox by this batch (customers with a linked account).
    queued: int = 0

    def ids(self, outcome: Outcome) -> list[str]:
        return [r.tracking_id for r in self.results if r.outcome is outcome]

    def closed(self) -> list[LineResult]:
        return [r for r in self.results if r.outcome is Outcome.CLOSED]


class NotAllowed(StrEnum):
    NOT_SHOPKEEPER = "not_shopkeeper"   # no approved store (or it was suspended)


@dataclass(frozen=True)
class Shelf:
    store: StoreInfo
    held: int

    @property
    def free(self) -> int:
        return max(self.store.capacity - self.held, 0)

    @property
    def full(self) -> bool:
        return self.free == 0


async def store_of(svc: Services, user_id: int) -> StoreInfo | None:
    """The approved store this user runs, if any."""
    row = await pickup_points.approved_store_of_owner(svc.db, user_id)
    return None if row is None else StoreInfo.from_row(row)


async def shelf(svc: Services, user_id: int) -> Shelf | NotAllowed:
    """The user's store and how full its shelf is."""
    store = await store_of(svc, user_id)
    if store is None:
        return NotAllowed.NOT_SHOPKEEPER
    return Shelf(store, await parcels_repo.held_count(svc.db, store.id))


async def receive(svc: Services, user_id: int, text: str) -> ReceiveReport | NotAllowed:
    """Record the arrival of the tracking ids in ``text`` (one per line) at the user's store."""
    store = await store_of(svc, user_id)
    if store is None:
        return NotAllowed.NOT_SHOPKEEPER
    report = ReceiveReport(store=store)
    ids: list[str] = []
    for line, raw, result in parse_tracking_ids(text):
        if isinstance(result, Invalid):
            report.bad_lines.append(BadLine(line, raw, result.reason))
        elif len(ids) < MAX_IDS_PER_MESSAGE:
            ids.append(result.value)
        else:
            report.too_many += 1
    now = svc.clock.now()
    last_day = last_day_for(now, svc.settings.hold_days, svc.settings.tz)
    async with svc.db.transaction() as conn:
        known = await parcels_repo.by_trackings(conn, ids)
        held = await parcels_repo.held_count(conn, store.id)
        for tracking_id in ids:
            row = known.get(tracking_id)
            if row is None:
                outcome = Outcome.UNKNOWN if held < store.capacity else Outcome.STORE_FULL
                report.results.append(LineResult(tracking_id, outcome))
                continue
            status = ParcelStatus(row["status"])
            if row["store_id"] != store.id:
                report.results.append(LineResult(tracking_id, Outcome.OTHER_STORE))
            elif status is ParcelStatus.ARRIVED:
                report.results.append(LineResult(tracking_id, Outcome.ALREADY_ARRIVED))
            elif status is not ParcelStatus.EXPECTED:
                report.results.append(LineResult(tracking_id, Outcome.CLOSED, status))
            elif held >= store.capacity:
                report.results.append(LineResult(tracking_id, Outcome.STORE_FULL))
            elif await parcels_repo.mark_arrived(conn, row["id"], last_day, now):
                held += 1
                await parcels_repo.append_event(
                    conn, row["id"], "arrived", user_id, now,
                    {"store_id": store.id, "last_day": last_day.isoformat()})
                report.results.append(LineResult(tracking_id, Outcome.ARRIVED))
                if row["customer_phone"] not in report.phones:
                    report.phones.append(row["customer_phone"])
        for phone in report.phones:  # with the arrival: committed together, or not at all
            report.queued += await notices.enqueue_notices(conn, phone, now)
        report.held = held
    return report


class RegisterProblem(StrEnum):
    NOT_SHOPKEEPER = "not_shopkeeper"
    BAD_PHONE = "bad_phone"
    NAME_TOO_LONG = "name_too_long"


@dataclass(frozen=True)
class PhoneAndName:
    phone: str
    name: str | None


_PHONE_FIRST = re.compile(r"([+0-9][0-9 \-().]{8,}[0-9])\s*[,;:]?\s*(.*)", re.S)
_NAME_FIRST = re.compile(r"(.*?)\s*[,;:]?\s*([+0-9][0-9 \-().]{8,}[0-9])", re.S)


def parse_phone_and_name(text: str) -> PhoneAndName | PhoneError | RegisterProblem:
    """A mobile number and an optional name, in either order, on one line or two.

    ``98765 43210``, ``98765 43210\\nPriya Sharma``, ``Priya Sharma, +91 98765 43210``.
    """
    lines = [ln.strip() for ln in normalise(text).splitlines() if ln.strip()]
    if not lines:
        return PhoneError.EMPTY
    candidates: list[tuple[str, str]] = []
    if len(lines) == 1:
        candidates.append((lines[0], ""))
        for pattern, phone_group in ((_PHONE_FIRST, 1), (_NAME_FIRST, 2)):
            match = pattern.fullmatch(lines[0])
            if match:
                candidates.append((match.group(phone_group), match.group(3 - phone_group)))
    else:
        for index, line in enumerate(lines):
            candidates.append((line, " ".join(lines[:index] + lines[index + 1 :])))
    first_error: PhoneError | None = None
    for phone_text, name_text in candidates:
        phone = parse_mobile(phone_text)
        if isinstance(phone, Invalid):
            first_error = first_error or phone.reason
            continue
        name = clean_name(name_text.strip(" ,;:"))
        if len(name) > NAME_MAX:
            return RegisterProblem.NAME_TOO_LONG
        return PhoneAndName(phone.value, name or None)
    assert first_error is not None
    return first_error


@dataclass(frozen=True)
class Registered:
    result: LineResult
    phone: str | None      # the customer's, when the parcel arrived
    queued: int = 0        # arrival notices queued (0: the customer has not linked yet)


async def register_unknown(
    svc: Services, user_id: int, tracking_id: str, text: str
) -> Registered | RegisterProblem | PhoneError:
    """An id not in any manifest arrives with the customer's mobile (and name) typed in ``text``.

    Meanwhile a manifest may have brought it: then it is received like any other id.
    """
    store = await store_of(svc, user_id)
    if store is None:
        return RegisterProblem.NOT_SHOPKEEPER
    parsed_id = parse_tracking_id(tracking_id)
    assert not isinstance(parsed_id, Invalid), "tracking ids in the flow were validated"
    given = parse_phone_and_name(text)
    if not isinstance(given, PhoneAndName):
        return given
    now = svc.clock.now()
    last_day = last_day_for(now, svc.settings.hold_days, svc.settings.tz)
    async with svc.db.transaction() as conn:
        if await parcels_repo.by_tracking(conn, parsed_id.value) is not None:
            known = True
        else:
            known = False
            if await parcels_repo.held_count(conn, store.id) >= store.capacity:
                return Registered(LineResult(parsed_id.value, Outcome.STORE_FULL), None)
            parcel_id = await parcels_repo.insert(
                conn, tracking_id=parsed_id.value, store_id=store.id, phone=given.phone,
                name=given.name, status="expected", link_token=new_link_token(), now=now)
            await parcels_repo.mark_arrived(conn, parcel_id, last_day, now)
            await parcels_repo.append_event(
                conn, parcel_id, "arrived", user_id, now,
                {"store_id": store.id, "last_day": last_day.isoformat(), "source": "counter"})
            queued = await notices.enqueue_notices(conn, given.phone, now)
    if known:
        report = await receive(svc, user_id, parsed_id.value)
        assert isinstance(report, ReceiveReport)
        (result,) = report.results
        return Registered(result, report.phones[0] if report.phones else None, report.queued)
    return Registered(LineResult(parsed_id.value, Outcome.ARRIVED), given.phone, queued)


class RefuseCheck(StrEnum):
    REFUSABLE = "refusable"
    NOT_SHOPKEEPER = "not_shopkeeper"
    BAD_ID = "bad_id"
    UNKNOWN = "unknown"
    OTHER_STORE = "other_store"
    ALREADY_ARRIVED = "already_arrived"
    CLOSED = "closed"


@dataclass(frozen=True)
class Refusable:
    check: RefuseCheck
    tracking_id: str = ""
    reason: TrackingError | None = None


async def check_refusable(svc: Services, user_id: int, text: str) -> Refusable:
    """Can the user's store refuse this parcel? Only an expected parcel of that store can."""
    store = await store_of(svc, user_id)
    if store is None:
        return Refusable(RefuseCheck.NOT_SHOPKEEPER)
    parsed = parse_tracking_id(text)
    if isinstance(parsed, Invalid):
        return Refusable(RefuseCheck.BAD_ID, reason=parsed.reason)
    row = await parcels_repo.by_tracking(svc.db, parsed.value)
    return Refusable(_refuse_check(row, store), parsed.value)


def _refuse_check(row, store: StoreInfo) -> RefuseCheck:  # noqa: ANN001 - Row | None
    if row is None:
        return RefuseCheck.UNKNOWN
    if row["store_id"] != store.id:
        return RefuseCheck.OTHER_STORE
    status = ParcelStatus(row["status"])
    if status is ParcelStatus.ARRIVED:
        return RefuseCheck.ALREADY_ARRIVED
    if status is not ParcelStatus.EXPECTED:
        return RefuseCheck.CLOSED
    return RefuseCheck.REFUSABLE


REFUSE_REASONS = ("damaged", "wet", "opened")
NOTE_MIN, NOTE_MAX = 3, 200


class RefuseProblem(StrEnum):
    NOTE_TOO_SHORT = "note_too_short"
    NOTE_TOO_LONG = "note_too_long"


REFUSED_ALERT = "parcel.refused_alert"  # outbox kind, rendered by bot/handlers/receive.py


@dataclass(frozen=True)
class Refused:
    check: RefuseCheck          # REFUSABLE when it was recorded now
    tracking_id: str
    store: StoreInfo | None
    reason: str = ""            # one of REFUSE_REASONS, or "other" with a note
    note: str = ""


async def refuse(
    svc: Services, user_id: int, tracking_id: str, reason: str, note: str = ""
) -> Refused | RefuseProblem:
    """Record that the user's store refused a damaged parcel at arrival (with the reason)."""
    if reason not in REFUSE_REASONS:
        note = clean_name(note)
        if len(note) < NOTE_MIN:
            return RefuseProblem.NOTE_TOO_SHORT
        if len(note) > NOTE_MAX:
            return RefuseProblem.NOTE_TOO_LONG
        reason = "other"
    store = await store_of(svc, user_id)
    if store is None:
        return Refused(RefuseCheck.NOT_SHOPKEEPER, tracking_id, None)
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        row = await parcels_repo.by_tracking(conn, tracking_id)
        check = _refuse_check(row, store)
        if check is not RefuseCheck.REFUSABLE:
            return Refused(check, tracking_id, store)
        assert row is not None
        await parcels_repo.mark_refused(conn, row["id"], now)
        details = {"store_id": store.id, "reason": reason}
        if note:
            details["note"] = note
        await parcels_repo.append_event(conn, row["id"], "refused", user_id, now, details)
        await outbox.enqueue_many(conn, sorted(svc.settings.admin_ids), REFUSED_ALERT, {
            "store_code": store.code, "store_name": store.name, "tracking_id": tracking_id,
            "reason": reason, "note": note}, now=now, priority=outbox.Priority.URGENT)
    return Refused(RefuseCheck.REFUSABLE, tracking_id, store, reason, note)


@dataclass(frozen=True)
class Waiting:
    shelf: Shelf
    parcels: list[ParcelInfo]


async def waiting(svc: Services, user_id: int) -> Waiting | NotAllowed:
    """The parcels waiting at the user's store for their customers, soonest last day first."""
    current = await shelf(svc, user_id)
    if isinstance(current, NotAllowed):
        return current
    rows = await parcels_repo.waiting_at_store(svc.db, current.store.id)
    return Waiting(current, [ParcelInfo.from_row(r) for r in rows])
