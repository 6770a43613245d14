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

import aiosqlite

from bot.services import holding_messages as messages
from bot.services.context import Services
from bot.services.earnings import local_midnight
from bot.services.parcel_models import StoreInfo
from bot.storage import customers as customers_repo
from bot.storage import earnings as earnings_repo
from bot.storage import holding as repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points

# Work found per query; a sweep repeats the query until less than this comes back, so memory
# stays flat however much fell due. Groups are claimed a few per transaction so that the
# database lock is never held long (a reply to someone typing waits for it).
FIND_LIMIT = 2000
GROUPS_PER_TRANSACTION = 100
STORES_PER_TRANSACTION = 20

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


async def _store(conn: aiosqlite.Connection, cache: dict[int, StoreInfo], store_id: int
                 ) -> StoreInfo:
    if store_id not in cache:
        row = await pickup_points.store_by_id(conn, store_id)
        assert row is not None  # a foreign key
        cache[store_id] = StoreInfo.from_row(row)
    return cache[store_id]


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
        for start in range(0, len(groups), GROUPS_PER_TRANSACTION):
            q, p = await _claim_reminders(svc, groups[start:start + GROUPS_PER_TRANSACTION], now)
            queued, parcels = queued + q, parcels + p
        if len(found) < FIND_LIMIT:
            return queued, parcels


async def _claim_reminders(
    svc: Services, groups: list[tuple[str, int, date]], now: datetime
) -> tuple[int, int]:
    queued = reminded = 0
    stores: dict[int, StoreInfo] = {}
    async with svc.db.transaction() as conn:
        for phone, store_id, day in groups:
            claimed = await repo.claim_reminder(conn, phone, store_id, day, now)
            if not claimed:
                continue  # another sweep got there first
            reminded += len(claimed)
            user_id = await customers_repo.user_of_phone(conn, phone)
            details: dict = {"last_day": day.isoformat()}
            if user_id is None:
                details["told"] = False  # not linked: nobody to tell
            else:
                store = await _store(conn, stores, store_id)
                await messages.queue(conn, chat_id=user_id, kind=messages.REMINDER, now=now,
                                     payload={
                                         "tracking": [c.tracking_id for c in claimed],
                                         "parcel_ids": [c.id for c in claimed],
                                         "last_day": day.isoformat(),
                                         "store": store_payload(store),
                                     })
                queued += 1
                details["user_id"] = user_id
            if len(claimed) > 1:
                details["with"] = len(claimed) - 1
            for c in claimed:
                await parcels_repo.append_event(conn, c.id, EVENT_REMINDED, None, now, details)
    return queued, reminded


# ------------------------------------------------------------------------------ expiry


async def expire_due(svc: Services) -> tuple[int, int]:
    """Make every parcel past its last day *to return*; returns (parcels, messages queued)."""
    now = svc.clock.now()
    today = local_today(svc, now)
    expired = queued = 0
    while True:
        async with svc.db.reading() as conn:
            store_ids = await repo.stores_with_expiries(conn, today, FIND_LIMIT)
        for start in range(0, len(store_ids), STORES_PER_TRANSACTION):
            e, q = await _claim_expiries(
                svc, store_ids[start:start + STORES_PER_TRANSACTION], today, now)
            expired, queued = expired + e, queued + q
        if len(store_ids) < FIND_LIMIT:
            return expired, queued


async def _claim_expiries(
    svc: Services, store_ids: list[int], today: date, now: datetime
) -> tuple[int, int]:
    expired = queued = 0
    stores: dict[int, StoreInfo] = {}
    async with svc.db.transaction() as conn:
        for store_id in store_ids:
            claimed = await repo.claim_expiries(conn, store_id, today, now)
            if not claimed:
                continue
            expired += len(claimed)
            store = await _store(conn, stores, store_id)
            # The shopkeeper: one message listing what to give back.
            await messages.queue(conn, chat_id=store.owner_user_id, kind=messages.RETURNS_DUE,
                                 now=now, payload={"tracking": [c.tracking_id for c in claimed]})
            queued += 1
            # Each customer: one message for their parcels at this store.
            by_phone: dict[str, list[repo.Claimed]] = {}
            for c in claimed:
                by_phone.setdefault(c.customer_phone, []).append(c)
            for phone, theirs in by_phone.items():
                user_id = await customers_repo.user_of_phone(conn, phone)
                told: dict = {"told": False}
                if user_id is not None:
                    await messages.queue(conn, chat_id=user_id, kind=messages.EXPIRED, now=now,
                                         payload={
                                             "tracking": [c.tracking_id for c in theirs],
                                             "store": store_payload(store),
                                         })
                    queued += 1
                    told = {"user_id": user_id}
                for c in theirs:
                    details = {"last_day": c.last_day.isoformat() if c.last_day else "", **told}
                    await parcels_repo.append_event(conn, c.id, EVENT_EXPIRED, None, now, details)
    return expired, queued


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
            "store": store_name, "day": self.day.isoformat(), "waiting": self.waiting, "due_today": self.due_today,
            "to_return": self.to_return, "handed_over": self.handed_over,
            "earned_paise": self.earned_paise,
        }


def summary_due_from(svc: Services, day: date) -> datetime:
    """The moment (UTC) the summaries of local ``day`` fall due."""
    return local_midnight(day, svc.settings.tz) + timedelta(hours=svc.settings.summary_hour)


async def store_summary(conn: aiosqlite.Connection, svc: Services, store_id: int, day: date
                        ) -> Summary:
    tz = svc.settings.tz
    waiting, due_today, to_return = await repo.store_counts(conn, store_id, day)
    handed, earned = await earnings_repo.total_between(
        conn, store_id, local_midnight(day - timedelta(days=1), tz), local_midnight(day, tz))
    return Summary(day, waiting, due_today, to_return, handed, earned)


async def summarize_due(svc: Services) -> tuple[int, int]:
    """Queue today's morning summaries once the hour has come; returns (queued, skipped)."""
    now = svc.clock.now()
    today = local_today(svc, now)
    if now < summary_due_from(svc, today):
        return 0, 0
    queued = skipped = 0
    stores: dict[int, StoreInfo] = {}
    while True:
        async with svc.db.reading() as conn:
            due = await repo.summaries_due(conn, today, FIND_LIMIT)
        for start in range(0, len(due), STORES_PER_TRANSACTION):
            async with svc.db.transaction() as conn:
                for store_id, owner in due[start:start + STORES_PER_TRANSACTION]:
                    summary = await store_summary(conn, svc, store_id, today)
                    if not await repo.record_summary(conn, store_id, today, not summary.empty,
                                                     now):
                        continue
                    if summary.empty:
                        skipped += 1
                        continue
                    store = await _store(conn, stores, store_id)
                    await messages.queue(conn, chat_id=owner, kind=messages.SUMMARY, now=now,
                                         payload=summary.payload(store.name))
                    queued += 1
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
