"""Earnings: Kolkata calendar months, amounts as written at handover, own store only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import earnings, pickup
from bot.services.context import Services
from bot.storage.db import Database
from tests.factories import approved_store
from tests.parcel_factory import arrived_parcel

SHOP, OTHER = 501, 502


@pytest.fixture
async def svc(tmp_path) -> AsyncIterator[Services]:
    settings = Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3", fee_paise=1000)
    db = await Database.open(settings.db_path)
    services = Services(settings=settings, db=db,
                        clock=ManualClock(datetime(2026, 10, 20, 6, 0, tzinfo=UTC)))
    try:
        yield services
    finally:
        await db.close()


async def hand_over_one(svc: Services, store_id: int, user: int = SHOP) -> None:
    _, _, code = await arrived_parcel(svc, store_id)
    screen = await pickup.look_up_code(svc, user, code)
    assert isinstance(screen, pickup.Found)
    assert isinstance(await pickup.hand_over(svc, user, screen.check_id), pickup.HandedOver)


def test_month_start() -> None:
    assert earnings.month_start(date(2026, 1, 31)) == date(2026, 1, 1)
    assert earnings.month_start(date(2026, 1, 31), 1) == date(2025, 12, 1)
    assert earnings.month_start(date(2026, 12, 5), -1) == date(2027, 1, 1)
    assert earnings.month_start(date(2026, 3, 1), 14) == date(2025, 1, 1)


async def test_months_are_kolkata_months_and_fee_changes_keep_the_past(svc) -> None:
    clock: ManualClock = svc.clock  # type: ignore[assignment]
    store_a, _ = await approved_store(svc, SHOP)
    store_b, _ = await approved_store(svc, OTHER)
    await hand_over_one(svc, store_a)                       # 20 Oct, ₹10
    await hand_over_one(svc, store_b, OTHER)                # someone else's store
    clock.set(datetime(2026, 10, 31, 18, 29, tzinfo=UTC))  # 31 Oct 23:59 IST
    svc.settings.fee_paise = 1550
    await hand_over_one(svc, store_a)                       # ₹15.50, still October
    clock.set(datetime(2026, 10, 31, 18, 31, tzinfo=UTC))  # 1 Nov 00:01 IST, 31 Oct in UTC
    svc.settings.fee_paise = 2000
    await hand_over_one(svc, store_a)
    await hand_over_one(svc, store_a)
    clock.set(datetime(2026, 11, 30, 18, 29, tzinfo=UTC))  # 30 Nov 23:59 IST
    summary = await earnings.summary(svc, SHOP)
    assert isinstance(summary, earnings.Earnings)
    assert summary.this_month == earnings.MonthTotal(date(2026, 11, 1), 2, 4000)
    assert summary.last_month == earnings.MonthTotal(date(2026, 10, 1), 2, 2550)
    assert summary.fee_paise == 2000
    clock.set(datetime(2026, 11, 30, 18, 31, tzinfo=UTC))  # 1 Dec 00:01 IST
    summary = await earnings.summary(svc, SHOP)
    assert isinstance(summary, earnings.Earnings)
    assert summary.this_month == earnings.MonthTotal(date(2026, 12, 1), 0, 0)
    assert summary.last_month == earnings.MonthTotal(date(2026, 11, 1), 2, 4000)


async def test_only_approved_store_owners_have_earnings(svc) -> None:
    await approved_store(svc, SHOP, status="pending")
    assert isinstance(await earnings.summary(svc, SHOP), pickup.NotAStore)
    assert isinstance(await earnings.summary(svc, 12345), pickup.NotAStore)
