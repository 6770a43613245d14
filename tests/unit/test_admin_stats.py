"""/stats figures against a network whose answers are known by construction (tests/admin_seed)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.services import stats
from bot.services.context import Services
from bot.storage.db import Database
from tests.admin_seed import (
    EXPECTED_HANDOVERS,
    EXPECTED_PARCELS,
    EXPECTED_STORES,
    EXPECTED_WAITS,
    HANDOVERS,
    NOW,
    seed_network,
)

ADMIN = 900


@pytest.fixture
async def svc(tmp_path):
    db = await Database.open(tmp_path / "k.sqlite3")
    settings = Settings(bot_token="123456:TESTTOKENTESTTOKEN", admin_ids=frozenset({ADMIN}))
    services = Services(settings=settings, db=db, clock=ManualClock(NOW))
    yield services
    reader = services.extras.pop(stats.READER_KEY, None)
    if reader is not None:
        await reader.close()
    await db.close()


async def test_figures_match_the_seeded_network(svc):
    await seed_network(svc)
    s = await stats.stats(svc, ADMIN)
    assert isinstance(s, stats.Stats)
    assert s.stores == EXPECTED_STORES
    assert s.parcels == EXPECTED_PARCELS
    assert (s.handovers_today, s.handovers_week, s.handovers_month) == EXPECTED_HANDOVERS
    counted, avg, p90 = EXPECTED_WAITS
    assert s.waits_counted == counted
    assert s.wait_avg_days == pytest.approx(avg, abs=1e-6)
    assert s.wait_p90_days == pytest.approx(p90, abs=1e-6)
    assert (s.stores_full, s.stores_near) == (1, 1)
    assert [(f.name, f.held, f.capacity) for f in s.fullest] == [
        ("Full Kirana", 10, 10), ("Near Kirana", 4, 5)]
    assert (s.messages_waiting, s.undelivered) == (2, 1)


async def test_chart_series_counts_each_local_day(svc):
    await seed_network(svc)
    d = await stats.daily(svc, ADMIN)
    assert isinstance(d, stats.DailySeries)
    days = d.days
    assert len(days) == 30 and days[-1] == date(2026, 11, 28)
    assert days[0] == date(2026, 10, 30)
    arrivals = dict(zip(days, d.arrivals, strict=True))
    handovers = dict(zip(days, d.handovers, strict=True))
    # By construction: 8 + 4 shelf parcels arrived on 26 Nov; 3 on 28 Nov plus none handed over.
    assert arrivals[date(2026, 11, 26)] == 12
    assert arrivals[date(2026, 11, 28)] == 3
    assert arrivals[date(2026, 11, 4)] == 3
    # 00:30 IST on 31 Oct is still 30 Oct in UTC: it counts on the Indian day.
    assert arrivals[date(2026, 10, 31)] == 1
    assert handovers[date(2026, 11, 28)] == 2
    assert handovers[date(2026, 11, 23)] == 3
    assert handovers[date(2026, 11, 5)] == 4
    assert handovers[date(2026, 11, 1)] == 1
    assert handovers[date(2026, 10, 31)] == 1
    assert sum(d.handovers) == len(HANDOVERS)
    assert arrivals[date(2026, 11, 10)] == 2
    # Shelf: 8 + 4 on 26 Nov, 2 on 10 Nov, 3 on 28 Nov = 17; handed-over parcels that arrived
    # from 30 Oct on: 27, 25, 22, 21, 19 Nov, 3 on 4 Nov, 31 Oct = 9 (26 and 29 Oct are older).
    assert sum(d.arrivals) == 17 + 9


async def test_empty_network_has_no_waits(svc):
    s = await stats.stats(svc, ADMIN)
    assert isinstance(s, stats.Stats)
    assert s.stores == {} and s.parcels == {}
    assert (s.waits_counted, s.wait_avg_days, s.wait_p90_days) == (0, 0.0, 0.0)
    d = await stats.daily(svc, ADMIN)
    assert isinstance(d, stats.DailySeries)
    assert sum(d.arrivals) == 0 and len(d.days) == 30


async def test_not_for_others(svc):
    await seed_network(svc)
    assert isinstance(await stats.stats(svc, 501), stats.NotAdmin)
    assert isinstance(await stats.daily(svc, 501), stats.NotAdmin)


@pytest.mark.parametrize(("waits", "p90"), [([3], 3), (list(range(1, 11)), 9),
                                           (list(range(1, 21)), 18), ([2, 2, 2, 5], 5)])
async def test_the_90th_percentile_is_the_nearest_rank(svc, waits, p90):
    from datetime import timedelta

    from tests.admin_seed import ist, parcel
    from tests.factories import approved_store

    store_id, _ = await approved_store(svc, 501)
    picked = ist(2026, 11, 27, 10)
    for days in waits:
        await parcel(svc, store_id, "picked_up", arrived=picked - timedelta(days=days),
                     picked=picked)
    s = await stats.stats(svc, ADMIN)
    assert isinstance(s, stats.Stats)
    assert s.waits_counted == len(waits)
    assert s.wait_p90_days == pytest.approx(p90)
    assert s.wait_avg_days == pytest.approx(sum(waits) / len(waits))
