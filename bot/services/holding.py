"""The holding period (SPEC §7): reminders, expiry and the morning summary, found by sweeps.

Rules:
* A parcel may be collected until the end of its last day in the programme's time zone
  (``settings.tz``, Asia/Kolkata). From the next local day on it is *to return*: its pickup
  code is voided, the customer is told it goes back to the sender, and the shopkeeper gets one
  message listing what to give back to the courier.
* A reminder goes to the customer ``settings.reminder_days`` days before the last day (from
  the start of that local day), one per customer, store and last day: several parcels with the
  same last day at one store make one message. Extending the hold gives the parcel a new last
  day, so its reminder and its expiry move with it; a reminder is never queued twice for the
  same last day (``parcels.reminded_for``).
* A reminder or expiry notice only reaches a customer who linked their Telegram account; the
  parcel changes all the same (the event says nobody could be told).
* The morning summary goes to each approved store's owner once per local day, from
  ``settings.summary_hour`` until the end of the day (a summary missed for a whole day is not
  sent the next morning: it would be yesterday's news). A store with nothing to say gets none.
* Every claim (``reminded_for`` set, status changed, summary row written) and the outbox row
  of its message are one transaction: a crash leaves either both or neither.

A sweep does every kind of work that is due, each found by one indexed query
(``bot/storage/holding.py``); whatever fell due while the bot was down is found by the first
sweep at start-up.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.services import holding_messages
from bot.services.context import Services
from bot.services.earnings import local_midnight
from bot.services.parcel_models import StoreInfo
from bot.storage import holding as repo

# Work found per query; a sweep repeats the query until less than this comes back, so memory
# stays flat however much fell due. Each batch is claimed by a few set-based statements in one
# transaction (a statement per parcel would cost a round trip to the database thread each),
# which holds the database lock only briefly: a reply to someone typing waits for it.
FIND_LIMIT = 1000
PARCELS_PER_TRANSACTION = 1000   # expiries: whole stores, packed up to about this many parcels
STORES_PER_TRANSACTION = 200     # summaries

EVENT_REMINDED = "reminded"
EVENT_EXPIRED = "expired"


@dataclass
class SweepReport:
    reminders: int = 0        # reminder messages queued
    reminded_parcels: int = 0
    expired_parcels: int = 0
    expiry_messages: int = 0  # to customers and shopkeepers
    summaries: int = 0        # summaries queued
    summaries_skipped: int = 0

    @property
    def queued(self) -> int:
        return self.reminders + self.expiry_messages + self.summaries


def local_today(svc: Services, now: datetime | None = None) -> date:
    return (now or svc.clock.now()).astimezone(svc.settings.tz).date()


def store_payload(store: StoreInfo) -> dict:
    """What a message needs of a store, kept in the outbox row (rendered at send time)."""
    return {
        "name": store.name, "address": store.address, "pin": store.pin_code,
        "opens": store.opens_at, "closes": store.closes_at,
    }


def _stores(rows: dict) -> dict[int, StoreInfo]:
    return {store_id: StoreInfo.from_row(row) for store_id, row in rows.items()}


# ---------------------------------------------------------------------------- reminders


async def remind_due(svc: Services) -> tuple[int, int]:
    """Queue every reminder owed now; returns (messages queued, parcels reminded)."""
    now = svc.clock.now()
    today = local_today(svc, now)
    horizon = today + timedelta(days=svc.settings.reminder_days)
    queued = parcels = 0
    while True:
        async with svc.db.reading() as conn:
            found = await repo.reminders_due(conn, today, horizon, FIND_LIMIT)
        groups = list(OrderedDict.fromkeys(found))  # (phone, store, last day), in due order
        if groups:
            q, p = await _claim_reminders(svc, groups, now)
            queued, parcels = queued + q, parcels + p
        if len(found) < FIND_LIMIT:
            return queued, parcels


async def _claim_reminders(
    svc: Services, groups: list[tuple[str, int, date]], now: datetime
) -> tuple[int, int]:
    async with svc.db.transaction() as conn:
        claimed = await repo.claim_reminders(conn, groups, now)  # whole groups, once
        if not claimed:
            return 0, 0  # another sweep got there first
        users = await repo.customers_of(conn, [c.customer_phone for c in claimed])
        stores = _stores(await repo.stores_by_ids(conn, [c.store_id for c in claimed]))
        by_group: dict[tuple[str, int, date | None], list[repo.Claimed]] = {}
        for c in claimed:
            by_group.setdefault((c.customer_phone, c.store_id, c.last_day), []).append(c)
        messages: list[tuple[int, str, dict]] = []
        events: list[tuple[int, str, int | None, dict]] = []
        for (phone, store_id, day), theirs in by_group.items():
            assert day is not None
            user_id = users.get(phone)
            details: dict = {"last_day": day.isoformat()}
            if user_id is None:
                details["told"] = False  # not linked: nobody to tell
            else:
                details["user_id"] = user_id
                messages.append((user_id, holding_messages.REMINDER, {
                    "tracking": [c.tracking_id for c in theirs],
                    "parcel_ids": [c.id for c in theirs],
                    "last_day": day.isoformat(),
                    "store": store_payload(stores[store_id]),
                }))
            if len(theirs) > 1:
                details["with"] = len(theirs) - 1
            events += [(c.id, EVENT_REMINDED, None, details) for c in theirs]
        await holding_messages.queue_many(conn, messages, now)
        await repo.append_events(conn, events, now)
    return len(messages), len(claimed)


# ------------------------------------------------------------------------------ expiry


async def expire_due(svc: Services) -> tuple[int, int]:
    """Make every parcel past its last day *to return*; returns (parcels, messages queued)."""
    now = svc.clock.now()
    today = local_today(svc, now)
    expired = queued = 0
    while True:
        async with svc.db.reading() as conn:
            due = await repo.stores_with_expiries(conn, today, FIND_LIMIT)
        for batch in pack_stores(due, PARCELS_PER_TRANSACTION):
            e, q = await _claim_expiries(svc, batch, today, now)
            expired, queued = expired + e, queued + q
        if len(due) < FIND_LIMIT:
            return expired, queued


def pack_stores(due: list[tuple[int, int]], size: int) -> list[list[int]]:
    """Stores in batches of about ``size`` parcels; a store is never split (its shopkeeper
    gets one list), so a batch exceeds ``size`` only when one store alone does."""
    batches: list[list[int]] = []
    batch: list[int] = []
    count = 0
    for store_id, n in due:
        if batch and count + n > size:
            batches.append(batch)
            batch, count = [], 0
        batch.append(store_id)
        count += n
    if batch:
        batches.append(batch)
    return batches


async def _claim_expiries(
    svc: Services, store_ids: list[int], today: date, now: datetime
) -> tuple[int, int]:
    async with svc.db.transaction() as conn:
        claimed = await repo.claim_expiries(conn, store_ids, today, now)
        if not claimed:
            return 0, 0
        users = await repo.customers_of(conn, [c.customer_phone for c in claimed])
        stores = _stores(await repo.stores_by_ids(conn, [c.store_id for c in claimed]))
        messages: list[tuple[int, str, dict]] = []
        events: list[tuple[int, str, int | None, dict]] = []
        by_store: dict[int, list[repo.Claimed]] = {}
        for c in claimed:
            by_store.setdefault(c.store_id, []).append(c)
        for store_id, at_store in by_store.items():
            store = stores[store_id]
            # The shopkeeper: one message listing what to give back.
            messages.append((store.owner_user_id, holding_messages.RETURNS_DUE,
                             {"tracking": [c.tracking_id for c in at_store]}))
            # Each customer: one message for their parcels at this store.
            by_phone: dict[str, list[repo.Claimed]] = {}
            for c in at_store:
                by_phone.setdefault(c.customer_phone, []).append(c)
            for phone, theirs in by_phone.items():
                user_id = users.get(phone)
                told: dict = {"told": False}
                if user_id is not None:
                    told = {"user_id": user_id}
                    messages.append((user_id, holding_messages.EXPIRED, {
                        "tracking": [c.tracking_id for c in theirs],
                        "store": store_payload(store),
                    }))
                events += [(c.id, EVENT_EXPIRED, None,
                            {"last_day": c.last_day.isoformat() if c.last_day else "", **told})
                           for c in theirs]
        await holding_messages.queue_many(conn, messages, now)
        await repo.append_events(conn, events, now)
    return len(claimed), len(messages)


# ---------------------------------------------------------------------- morning summary


@dataclass(frozen=True)
class Summary:
    day: date
    waiting: int
    due_today: int
    to_return: int
    handed_over: int     # yesterday
    earned_paise: int    # yesterday

    @property
    def empty(self) -> bool:
        return not (self.waiting or self.due_today or self.to_return or self.handed_over)

    def payload(self, store_name: str) -> dict:
        return {
            "store": store_name, "day": self.day.isoformat(), "waiting": self.waiting,
            "due_today": self.due_today, "to_return": self.to_return, "handed_over": self.handed_over,
            "earned_paise": self.earned_paise,
        }


def summary_due_from(svc: Services, day: date) -> datetime:
    """The moment (UTC) the summaries of local ``day`` fall due."""
    return local_midnight(day, svc.settings.tz) + timedelta(hours=svc.settings.summary_hour)


async def summarize_due(svc: Services) -> tuple[int, int]:
    """Queue today's morning summaries once the hour has come; returns (queued, skipped)."""
    now = svc.clock.now()
    tz = svc.settings.tz
    today = local_today(svc, now)
    if now < summary_due_from(svc, today):
        return 0, 0
    since, until = local_midnight(today - timedelta(days=1), tz), local_midnight(today, tz)
    queued = skipped = 0
    while True:
        async with svc.db.reading() as conn:
            due = await repo.summaries_due(conn, today, FIND_LIMIT)
        for start in range(0, len(due), STORES_PER_TRANSACTION):
            batch = due[start:start + STORES_PER_TRANSACTION]
            async with svc.db.transaction() as conn:
                figures = await repo.summary_figures(
                    conn, [store_id for store_id, _, _ in batch], today, since, until)
                summaries = {store_id: Summary(today, *figures[store_id])
                             for store_id, _, _ in batch}
                decided = await repo.record_summaries(
                    conn, [(sid, not summaries[sid].empty) for sid, _, _ in batch], today, now)
                messages = [(owner, holding_messages.SUMMARY, summaries[sid].payload(name))
                            for sid, owner, name in batch
                            if sid in decided and not summaries[sid].empty]
                await holding_messages.queue_many(conn, messages, now)
            queued += len(messages)
            skipped += len(decided) - len(messages)
        if len(due) < FIND_LIMIT:
            return queued, skipped


# -------------------------------------------------------------------------------- sweep


async def sweep(svc: Services) -> SweepReport:
    """Do everything that is due now. Expiry first: a parcel past its last day gets its
    expiry notice, not a late reminder."""
    report = SweepReport()
    report.expired_parcels, report.expiry_messages = await expire_due(svc)
    report.reminders, report.reminded_parcels = await remind_due(svc)
    report.summaries, report.summaries_skipped = await summarize_due(svc)
    return report
