"""Admins manage partner stores (issue 12): find them, open one, suspend or reinstate it.

Rules:
* Admins only, checked here: anyone else gets :class:`NotAdmin` and nothing changes or shows.
* The list is filtered by status, city (whole words of the address, spellings separated by "/")
  and PIN-code prefix, ``PAGE_SIZE`` stores a page in store order. The filter is remembered
  per admin with a revision; a page button of an older list is stale, never another list.
* Suspend: an *approved* store becomes *suspended*, with the admin's reason (3–200
  characters). A suspended store is not an approved one, so it can neither receive nor hand
  over (``arrival`` and ``pickup`` serve approved stores only); its parcels stay where they
  are, visible here and listed for re-routing. Reinstate: *suspended* → *approved*, with a
  reason too. Each is a conditional UPDATE: pressed twice, or by two admins, it happens once,
  and only that caller tells the shopkeeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot import outbox
from bot.clock import from_db
from bot.services.audiences import parse_city
from bot.services.context import Services
from bot.services.earnings import local_midnight, month_start
from bot.services.stats import reader
from bot.storage import store_admin as repo
from bot.validation import Invalid, normalise

STATUS_KIND = "store.status"
PAGE_SIZE = 10
WAITING_LISTED = 20  # as many as parcel_texts.id_list shows
REASON_MIN, REASON_MAX = 3, 200
STATUSES = ("approved", "suspended", "pending", "rejected")


class Problem(StrEnum):
    NOT_ADMIN = "not_admin"
    NOT_FOUND = "not_found"
    STALE = "stale"              # a button of an older list, or the store moved on meanwhile


class FilterError(StrEnum):
    UNKNOWN_WORD = "unknown_word"
    BAD_CITY = "bad_city"
    BAD_PIN = "bad_pin"


class ReasonError(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class StoreFilter:
    status: str | None = None
    city: str | None = None
    pin: str | None = None


@dataclass(frozen=True)
class ListedStore:
    id: int
    code: str
    name: str
    status: str
    pin_code: str
    held: int
    capacity: int


@dataclass(frozen=True)
class StorePage:
    filter: StoreFilter
    rev: int
    page: int
    pages: int
    total: int
    stores: list[ListedStore]


@dataclass(frozen=True)
class StatusChange:
    action: str                  # suspended | reinstated
    reason: str
    by_user: int
    at: datetime


@dataclass(frozen=True)
class StoreCard:
    id: int
    code: str
    name: str
    owner_name: str
    owner_user_id: int
    owner_language: str | None
    mobile: str
    address: str
    pin_code: str
    upi_id: str | None
    status: str
    capacity: int
    parcels: dict[str, int]      # status -> parcels of this store
    month: date                  # the first day of the current month
    month_parcels: int           # handed over this month (ledger entries)
    month_paise: int
    waiting: list[str]           # tracking ids expected, waiting or due back (first few)
    last_change: StatusChange | None

    @property
    def held(self) -> int:
        return self.parcels.get("arrived", 0) + self.parcels.get("to_return", 0)

    @property
    def waiting_total(self) -> int:
        return self.held + self.parcels.get("expected", 0)


def parse_filter(words: list[str]) -> StoreFilter | tuple[FilterError, str]:
    """``suspended``, ``city Pune``, ``pin 411``, in any combination (``approved pin 411``)."""
    status = city = pin = None
    i = 0
    while i < len(words):
        word = normalise(words[i]).lower()
        if word in STATUSES:
            status = word
            i += 1
        elif word == "pin" and i + 1 < len(words):
            pin = normalise(words[i + 1])
            if not (pin.isascii() and pin.isdigit() and 1 <= len(pin) <= 6):
                return FilterError.BAD_PIN, words[i + 1]
            i += 2
        elif word == "city" and i + 1 < len(words):
            # The city is the rest up to the next keyword.
            j = i + 1
            while j < len(words) and normalise(words[j]).lower() not in (*STATUSES, "pin"):
                j += 1
            checked = parse_city(" ".join(words[i + 1:j]))
            if isinstance(checked, Invalid):
                return FilterError.BAD_CITY, " ".join(words[i + 1:j])
            city = checked.value
            i = j
        else:
            return FilterError.UNKNOWN_WORD, words[i]
    return StoreFilter(status, city, pin)


def parse_reason(text: str) -> str | ReasonError:
    reason = " ".join(normalise(text).split())
    if len(reason) < REASON_MIN:
        return ReasonError.TOO_SHORT
    if len(reason) > REASON_MAX:
        return ReasonError.TOO_LONG
    return reason


async def _page(svc: Services, f: StoreFilter, rev: int, page: int) -> StorePage:
    async with reader(svc).snapshot() as conn:
        total, rows = await repo.page(conn, f.status, f.city, f.pin, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return StorePage(f, rev, page, pages, total, [
        ListedStore(r["id"], r["code"] or "", r["shop_name"], r["status"], r["pin_code"],
                    r["held"], r["capacity"]) for r in rows])


async def first_page(svc: Services, user_id: int, f: StoreFilter) -> StorePage | Problem:
    """A new list: remember the filter (new revision) and show its first page."""
    if not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    async with svc.db.transaction() as conn:
        rev = await repo.save_filter(conn, user_id, f.status, f.city, f.pin, svc.clock.now())
    return await _page(svc, f, rev, 0)


async def list_page(svc: Services, user_id: int, rev: int, page: int) -> StorePage | Problem:
    """Page ``page`` of the admin's current list, if ``rev`` is still its revision."""
    if not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    async with svc.db.reading() as conn:
        saved = await repo.load_filter(conn, user_id)
    if saved is None or saved["rev"] != rev:
        return Problem.STALE
    result = await _page(svc, StoreFilter(saved["status"], saved["city"], saved["pin"]), rev, page)
    if page >= result.pages:
        return Problem.STALE
    return result


async def store_card(svc: Services, user_id: int, store_id: int) -> StoreCard | Problem:
    """One store's details and figures, for admins."""
    if not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    tz = svc.settings.tz
    today = svc.clock.now().astimezone(tz).date()
    start = month_start(today)
    async with reader(svc).snapshot() as conn:
        row = await repo.store(conn, store_id)
        if row is None:
            return Problem.NOT_FOUND
        counts = await repo.parcel_counts(conn, store_id)
        parcels, paise = await repo.ledger_between(
            conn, store_id, local_midnight(start, tz), local_midnight(month_start(today, -1), tz))
        waiting = await repo.waiting_trackings(conn, store_id, WAITING_LISTED)
        change = await repo.last_change(conn, store_id)
    return StoreCard(
        id=row["id"], code=row["code"] or "", name=row["shop_name"],
        owner_name=row["owner_name"], owner_user_id=row["owner_user_id"],
        owner_language=row["owner_language"], mobile=row["mobile"], address=row["address"],
        pin_code=row["pin_code"], upi_id=row["upi_id"], status=row["status"],
        capacity=row["capacity"], parcels=counts, month=start, month_parcels=parcels,
        month_paise=paise, waiting=waiting,
        last_change=None if change is None else StatusChange(
            change["action"], change["reason"], change["by_user"], from_db(change["at"])),
    )


async def can_change(svc: Services, user_id: int, store_id: int, action: str) -> StoreCard | Problem:
    """Before asking for a reason: is this store in the state the action needs?"""
    card = await store_card(svc, user_id, store_id)
    if isinstance(card, Problem):
        return card
    needed = "approved" if action == "suspended" else "suspended"
    return card if card.status == needed else Problem.STALE


async def change_status(
    svc: Services, user_id: int, store_id: int, action: str, reason_text: str,
) -> StoreCard | Problem | ReasonError:
    """Suspend (``action="suspended"``) or reinstate (``"reinstated"``) a store, with a reason.

    Returns the store as it is now when this call changed it; :attr:`Problem.STALE` when it was
    not in the state the action needs (already done, by this admin or another). The shopkeeper's
    message (outbox kind ``store.status``) is written in the same transaction as the change."""
    if not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    if action not in ("suspended", "reinstated"):
        raise ValueError(action)
    reason = parse_reason(reason_text)
    if isinstance(reason, ReasonError):
        return reason
    from_status, to_status = (("approved", "suspended") if action == "suspended"
                              else ("suspended", "approved"))
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        change_id = await repo.change_status(
            conn, store_id, from_status=from_status, to_status=to_status, action=action,
            reason=reason, by_user=user_id, now=now)
        if change_id is not None:
            store = await repo.store(conn, store_id)
            assert store is not None
            await outbox.enqueue(conn, store["owner_user_id"], STATUS_KIND,
                                 {"change_id": change_id}, now=now,
                                 priority=outbox.Priority.URGENT)
    if change_id is None:
        return Problem.STALE
    return await store_card(svc, user_id, store_id)


@dataclass(frozen=True)
class Suspension:
    code: str
    name: str
    reason: str


async def suspension_of(svc: Services, user_id: int) -> Suspension | None:
    """Why this user's store is suspended (when it is, and they run no approved one)."""
    async with svc.db.reading() as conn:
        row = await repo.suspension_of_owner(conn, user_id)
    if row is None:
        return None
    return Suspension(row["code"] or "", row["shop_name"], row["reason"] or "")


@dataclass(frozen=True)
class ChangeNotice:
    action: str
    reason: str
    code: str
    name: str
    still_so: bool            # the store is still in the state the change put it in


async def change_notice(svc: Services, change_id: int) -> ChangeNotice | None:
    """What the shopkeeper is told about a suspension or reinstatement (outbox renderer)."""
    async with svc.db.reading() as conn:
        row = await repo.status_change(conn, change_id)
    if row is None:
        return None
    expected = "suspended" if row["action"] == "suspended" else "approved"
    return ChangeNotice(row["action"], row["reason"], row["code"] or "", row["shop_name"],
                        row["status"] == expected)
