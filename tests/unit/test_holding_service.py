"""The holding period's rules at the service level: what is claimed, when, and what is queued.

ManualClock starts on Monday 2 Nov 2026, 10:00 IST; a parcel arriving then has its last day on
Monday 9 Nov: reminder (2 days before) due from Sat 7 Nov 00:00 IST = Fri 6 Nov 18:30 UTC,
to return from Tue 10 Nov 00:00 IST = Mon 9 Nov 18:30 UTC.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.services import customers, holding, returns
from bot.services import holding_messages as kinds
from bot.services.context import Services
from bot.storage import holding as holding_sql
from bot.storage import parcels as parcels_repo
from bot.storage.db import Database
from tests.factories import approved_store, linked_customer
from tests.fakebotapi import DEFAULT_TOKEN
from tests.parcel_factory import arrived_parcel

SHOP, OTHER_SHOP, CUSTOMER, OTHER_CUSTOMER = 501, 502, 701, 702
PHONE, OTHER_PHONE, UNLINKED = "+919876543210", "+919812345678", "+919899999999"
REMIND_FROM = datetime(2026, 11, 6, 18, 30, tzinfo=UTC)    # Sat 7 Nov 00:00 IST
EXPIRE_FROM = datetime(2026, 11, 9, 18, 30, tzinfo=UTC)    # Tue 10 Nov 00:00 IST
SECOND = timedelta(seconds=1)


@pytest.fixture
async def svc(tmp_path) -> AsyncIterator[Services]:
    settings = Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3")
    db = await Database.open(settings.db_path)
    services = Services(settings=settings, db=db, clock=ManualClock())
    try:
        yield services
    finally:
        await db.close()


@pytest.fixture
async def store(svc: Services) -> int:
    store_id, _ = await approved_store(svc, SHOP, shop_name="Sharma Kirana")
    await linked_customer(svc, CUSTOMER, PHONE)
    return store_id


async def outbox(svc: Services, *, summaries: bool = False) -> list[tuple[int, str, dict]]:
    """The outbox rows queued so far (without the morning summaries, unless asked)."""
    rows = await svc.db.fetchall("SELECT chat_id, kind, payload FROM outbox ORDER BY id")
    return [(r[0], r[1], json.loads(r[2])) for r in rows
            if summaries or r[1] != kinds.SUMMARY]


async def status(svc: Services, parcel_id: int) -> str:
    return str(await svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (parcel_id,)))


async def events(svc: Services, parcel_id: int) -> list[str]:
    return [r["event"] for r in await parcels_repo.events_of(svc.db, parcel_id)]


def at(svc: Services, moment: datetime) -> None:
    assert isinstance(svc.clock, ManualClock)
    svc.clock.set(moment)


# ----------------------------------------------------------------------------- reminders


async def test_reminder_falls_due_at_midnight_ist_two_days_before(svc, store) -> None:
    pid, tracking, _ = await arrived_parcel(svc, store)
    at(svc, REMIND_FROM - SECOND)  # Fri 6 Nov 23:59:59 IST
    assert (await holding.sweep(svc)).reminders == 0
    assert await outbox(svc) == []
    at(svc, REMIND_FROM)  # Sat 7 Nov 00:00 IST (still Friday in UTC)
    report = await holding.sweep(svc)
    assert (report.reminders, report.reminded_parcels) == (1, 1)
    ((chat, kind, payload),) = await outbox(svc)
    assert (chat, kind) == (CUSTOMER, kinds.REMINDER)
    assert payload["tracking"] == [tracking] and payload["last_day"] == "2026-11-09"
    assert payload["store"]["name"] == "Sharma Kirana"
    assert "reminded" in await events(svc, pid)
    # Once: later sweeps, a restart, the next day — nothing more for this last day.
    for later in (REMIND_FROM + SECOND, REMIND_FROM + timedelta(days=1)):
        at(svc, later)
        assert (await holding.sweep(svc)).reminders == 0
    assert len(await outbox(svc)) == 1


async def test_reminder_days_setting_moves_the_reminder(svc, store) -> None:
    svc.settings = svc.settings.model_copy(update={"reminder_days": 4})
    await arrived_parcel(svc, store)
    at(svc, REMIND_FROM - timedelta(days=2) - SECOND)  # Wed 4 Nov 23:59:59 IST
    assert (await holding.sweep(svc)).reminders == 0
    at(svc, REMIND_FROM - timedelta(days=2))            # Thu 5 Nov 00:00 IST
    assert (await holding.sweep(svc)).reminders == 1


async def test_one_reminder_per_customer_store_and_last_day(svc, store) -> None:
    other_store, _ = await approved_store(svc, OTHER_SHOP, shop_name="Patil General")
    await linked_customer(svc, OTHER_CUSTOMER, OTHER_PHONE)
    a = await arrived_parcel(svc, store, tracking_id="TRKAAAA0001")
    b = await arrived_parcel(svc, store, tracking_id="TRKBBBB0002")
    c = await arrived_parcel(svc, other_store, tracking_id="TRKCCCC0003")    # another store
    d = await arrived_parcel(svc, store, phone=OTHER_PHONE, tracking_id="TRKDDDD0004")
    e = await arrived_parcel(svc, store, tracking_id="TRKEEEE0005",           # a day later
                             arrived_at=svc.clock.now() + timedelta(days=1))
    at(svc, REMIND_FROM)
    report = await holding.sweep(svc)
    assert (report.reminders, report.reminded_parcels) == (3, 4)
    sent = {(chat, tuple(p["tracking"]), p["store"]["name"]) for chat, _, p in await outbox(svc)}
    assert sent == {
        (CUSTOMER, (a[1], b[1]), "Sharma Kirana"),
        (CUSTOMER, (c[1],), "Patil General"),
        (OTHER_CUSTOMER, (d[1],), "Sharma Kirana"),
    }
    at(svc, REMIND_FROM + timedelta(days=1))  # e's last day is a day later: its own reminder
    assert (await holding.sweep(svc)).reminders == 1
    assert (await outbox(svc))[-1][2]["tracking"] == [e[1]]


async def test_extension_moves_reminder_and_expiry_and_never_repeats_a_reminder(
    svc, store
) -> None:
    pid, _, _ = await arrived_parcel(svc, store)
    at(svc, REMIND_FROM)
    assert (await holding.sweep(svc)).reminders == 1
    extended = await customers.extend(svc, CUSTOMER, pid)
    assert isinstance(extended, customers.Extended)
    assert extended.parcel.last_day == date(2026, 11, 12)
    # Same moment, new last day 12 Nov: its reminder is due from 10 Nov 00:00 IST, not now.
    assert (await holding.sweep(svc)).reminders == 0
    at(svc, EXPIRE_FROM)  # the old expiry moment: nothing happens any more
    report = await holding.sweep(svc)
    assert (report.expired_parcels, report.reminders) == (0, 1)  # reminder for 12 Nov
    assert (await outbox(svc))[-1][2]["last_day"] == "2026-11-12"
    at(svc, EXPIRE_FROM + timedelta(days=3) - SECOND)
    assert (await holding.sweep(svc)).expired_parcels == 0
    at(svc, EXPIRE_FROM + timedelta(days=3))
    assert (await holding.sweep(svc)).expired_parcels == 1
    assert [e for e in await events(svc, pid) if e in ("reminded", "extended", "expired")] == [
        "reminded", "extended", "reminded", "expired"]


async def test_extension_before_the_reminder_sends_one_reminder(svc, store) -> None:
    pid, _, _ = await arrived_parcel(svc, store)
    await customers.extend(svc, CUSTOMER, pid)
    at(svc, REMIND_FROM)
    assert (await holding.sweep(svc)).reminders == 0
    at(svc, REMIND_FROM + timedelta(days=3))
    assert (await holding.sweep(svc)).reminders == 1
    assert len(await outbox(svc)) == 1


async def test_collected_parcels_are_not_reminded_and_unlinked_customers_not_told(
    svc, store
) -> None:
    await arrived_parcel(svc, store, phone=UNLINKED)
    at(svc, REMIND_FROM)
    report = await holding.sweep(svc)
    assert (report.reminders, report.reminded_parcels) == (0, 1)
    assert await outbox(svc) == []


# -------------------------------------------------------------------------------- expiry


async def test_expiry_at_the_end_of_the_last_day_ist(svc, store) -> None:
    pid, tracking, _ = await arrived_parcel(svc, store)
    unlinked, unlinked_tracking, _ = await arrived_parcel(svc, store, phone=UNLINKED)
    at(svc, EXPIRE_FROM - SECOND)  # Mon 9 Nov 23:59:59 IST: still the last day
    await holding.expire_due(svc)
    assert await status(svc, pid) == "arrived"
    at(svc, EXPIRE_FROM)
    expired, queued = await holding.expire_due(svc)
    assert (expired, queued) == (2, 2)
    row = await parcels_repo.by_id(svc.db, pid)
    assert row is not None
    assert (row["status"], row["code_hash"]) == ("to_return", None)  # the code is void
    messages = await outbox(svc)
    assert (SHOP, kinds.RETURNS_DUE) == messages[0][:2]
    assert sorted(messages[0][2]["tracking"]) == sorted([tracking, unlinked_tracking])
    assert messages[1][:2] == (CUSTOMER, kinds.EXPIRED)
    assert messages[1][2]["tracking"] == [tracking]
    assert "expired" in await events(svc, unlinked)
    # Once.
    assert await holding.expire_due(svc) == (0, 0)
    # Still on the shelf until returned.
    assert await parcels_repo.held_count(svc.db, store) == 2


async def test_expiry_comes_before_a_late_reminder(svc, store) -> None:
    """Down from before the reminder until after the last day: one expiry notice, no reminder."""
    pid, _, _ = await arrived_parcel(svc, store)
    at(svc, EXPIRE_FROM + timedelta(hours=5))
    report = await holding.sweep(svc)
    assert (report.expired_parcels, report.reminders) == (1, 0)
    assert [k for _, k, _ in await outbox(svc)] == [kinds.RETURNS_DUE, kinds.EXPIRED]


# ------------------------------------------------------------------------------- returns


async def test_returned_one_by_one_and_all_at_once(svc, store) -> None:
    a, ta, _ = await arrived_parcel(svc, store, tracking_id="TRKAAAA0001")
    b, tb, _ = await arrived_parcel(svc, store, tracking_id="TRKBBBB0002")
    c, tc, _ = await arrived_parcel(svc, store, tracking_id="TRKCCCC0003", phone=OTHER_PHONE)
    at(svc, EXPIRE_FROM)
    await holding.sweep(svc)
    before = len(await outbox(svc))
    listed = await returns.returns_of(svc, SHOP)
    assert isinstance(listed, returns.ReturnsList)
    assert [i.tracking_id for i in listed.items] == [ta, tb, tc] and listed.total == 3

    one = await returns.mark_returned(svc, SHOP, a)
    assert isinstance(one, returns.Returned) and one.tracking_ids == [ta]
    assert await status(svc, a) == "returned"
    assert await parcels_repo.held_count(svc.db, store) == 2  # a shelf place freed
    assert (await outbox(svc))[before][:2] == (CUSTOMER, kinds.RETURNED)
    assert isinstance(await returns.mark_returned(svc, SHOP, a), returns.Stale)  # twice
    assert isinstance(await returns.mark_returned(svc, OTHER_SHOP, b), returns.NotAStore)

    # A parcel falling due after the screen was shown is not swept up by "all returned".
    late, tl, _ = await arrived_parcel(svc, store, tracking_id="TRKLATE0004",
                                       arrived_at=svc.clock.now() - timedelta(days=8))
    svc.clock.advance(minutes=1)
    await holding.sweep(svc)
    everything = await returns.mark_all_returned(svc, SHOP, listed.shown_at)
    assert isinstance(everything, returns.Returned)
    assert sorted(everything.tracking_ids) == [tb, tc]
    assert everything.customers_told == 1  # c's customer is not linked
    assert await status(svc, late) == "to_return"
    assert await parcels_repo.held_count(svc.db, store) == 1
    assert isinstance(await returns.mark_all_returned(svc, SHOP, listed.shown_at), returns.Stale)
    assert "returned" in await events(svc, b)


# ------------------------------------------------------------------------ morning summary


async def test_morning_summary_from_the_hour_once_a_day_skipped_when_empty(svc, store) -> None:
    empty_store, _ = await approved_store(svc, OTHER_SHOP, shop_name="Patil General")
    await arrived_parcel(svc, store)                    # last day 9 Nov
    await arrived_parcel(svc, store, arrived_at=svc.clock.now() - timedelta(days=5))  # 4 Nov
    nine = datetime(2026, 11, 4, 3, 30, tzinfo=UTC)   # Wed 4 Nov 09:00 IST
    at(svc, nine - SECOND)
    assert await holding.summarize_due(svc) == (0, 0)
    at(svc, nine)
    assert await holding.summarize_due(svc) == (1, 1)
    ((chat, kind, payload),) = await outbox(svc, summaries=True)
    assert (chat, kind) == (SHOP, kinds.SUMMARY)
    assert payload == {"store": "Sharma Kirana", "day": "2026-11-04", "waiting": 2,
                       "due_today": 1, "to_return": 0, "handed_over": 0, "earned_paise": 0}
    at(svc, nine + timedelta(hours=14))  # 23:00 IST: decided for today, nothing more
    assert await holding.summarize_due(svc) == (0, 0)
    at(svc, nine + timedelta(days=1))
    assert await holding.summarize_due(svc) == (1, 1)
    decided = await svc.db.fetchall(
        "SELECT store_id, day, queued FROM store_summaries ORDER BY day, store_id")
    assert [tuple(r) for r in decided] == [
        (store, "2026-11-04", 1), (empty_store, "2026-11-04", 0),
        (store, "2026-11-05", 1), (empty_store, "2026-11-05", 0)]


# --------------------------------------------------------------------------- query plans


@pytest.mark.parametrize(("name", "index"), [
    ("reminders_due", "parcels_reminder_due"),
    ("claim_reminders", "parcels_phone"),
    ("expiries_due", "parcels_expiry_due"),
    ("claim_expiries", "parcels_expiry_due"),
    ("summaries_due", "stores_status"),
    ("summary_figures", "earnings_store_at"),
    ("due_today", "parcels_expiry_due"),
    ("record_summaries", "json_each"),
    ("returns_of_store", "parcels_to_return"),
])
async def test_every_sweep_query_uses_an_index(svc, name: str, index: str) -> None:
    params = {"today": "2026-11-09", "horizon": "2026-11-11", "limit": 100, "now": "x",
              "groups": "[]", "stores": "[]", "rows": "[]", "day": "2026-11-09",
              "since": "x", "until": "y", "store": 1}
    rows = await svc.db.fetchall("EXPLAIN QUERY PLAN " + holding_sql.SWEEP_QUERIES[name], params)
    plan = [r["detail"] for r in rows]
    assert any(index in d for d in plan), plan
    # The only scan allowed is of the batch's own list (json_each), never of a table.
    assert not any(d.startswith("SCAN") and "VIRTUAL TABLE" not in d for d in plan), plan


def test_expiry_batches_keep_stores_whole_and_memory_bounded() -> None:
    assert holding.pack_stores([(1, 400), (2, 500), (3, 300), (4, 1500), (5, 1)], 1000) == [
        [1, 2], [3], [4], [5]]
    assert holding.pack_stores([], 1000) == []
