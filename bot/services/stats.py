"""The admin's view of the network (SPEC §9, issue 12): /stats figures and the 30-day chart data.

Rules:
* Admins only; anyone else gets :class:`NotAdmin` and nothing is read.
* Days, weeks and months are the programme's calendar (``settings.tz``): *today* starts at local
  midnight, a week on Monday, a month on the 1st.
* Wait = days from arrival to handover, of the parcels handed over in the last 30 days; the 90th
  percentile is the nearest rank (the wait that 90 % of those handovers did not exceed).
* A store is *near capacity* from ``NEAR_PERCENT`` % of its places in use, *at capacity* when
  every place is taken (parcels waiting or due back to the courier take a place). Approved
  stores only: a suspended store receives nothing.
* Figures are read through the report connections (``storage.reports``), never the bot's own,
  so a handover elsewhere never waits for them: three groups in parallel, each one consistent
  snapshot, begun within milliseconds of each other. The chart's series (:func:`daily`) is read
  first so that the chart is drawn meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.services.context import Services
from bot.services.earnings import local_midnight, month_start
from bot.storage import admin_stats as repo
from bot.storage.reports import ReportReader

CHART_DAYS = 30
NEAR_PERCENT = 80
SHELVES_LISTED = 5
READER_KEY = "reports.reader"


@dataclass(frozen=True)
class NotAdmin:
    """The user is not an admin: nothing shown."""


@dataclass(frozen=True)
class Shelf:
    code: str
    name: str
    held: int
    capacity: int


@dataclass(frozen=True)
class DailySeries:
    days: list[date]          # oldest first, the last is today
    arrivals: list[int]
    handovers: list[int]


@dataclass(frozen=True)
class Stats:
    now: datetime
    stores: dict[str, int]    # status -> stores
    parcels: dict[str, int]   # status -> parcels
    handovers_today: int
    handovers_week: int
    handovers_month: int
    waits_counted: int        # handovers in the last 30 days with an arrival time
    wait_avg_days: float
    wait_p90_days: float
    stores_full: int
    stores_near: int
    fullest: list[Shelf]
    messages_waiting: int     # in the outbox, not sent yet
    undelivered: int          # could not be delivered, last 7 days


def reader(svc: Services) -> ReportReader:
    """The report connection of this process (opened on first use, closed at shutdown)."""
    found = svc.extras.get(READER_KEY)
    if found is None or found.db is not svc.db:
        found = svc.extras[READER_KEY] = ReportReader(svc.db)
    return found


def day_range(day: date, svc: Services) -> tuple[datetime, datetime]:
    tz = svc.settings.tz
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def _chart_days(svc: Services) -> list[date]:
    today = svc.clock.now().astimezone(svc.settings.tz).date()
    return [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]


async def daily(svc: Services, user_id: int) -> DailySeries | NotAdmin:
    """Arrivals and handovers per local day over the last ``CHART_DAYS`` days (the chart).

    Cheap (two index range counts per day), so the chart can be drawn while :func:`stats`
    counts the rest."""
    if not svc.settings.is_admin(user_id):
        return NotAdmin()
    days = _chart_days(svc)
    ranges = [day_range(d, svc) for d in days]
    async with reader(svc).snapshot() as conn:
        arrivals = await repo.counts_per_range(conn, "arrived_at", ranges)
        handovers = await repo.counts_per_range(conn, "picked_up_at", ranges)
    return DailySeries(days, arrivals, handovers)


async def stats(svc: Services, user_id: int) -> Stats | NotAdmin:
    """Every figure of /stats, for admins (the chart's series: :func:`daily`)."""
    if not svc.settings.is_admin(user_id):
        return NotAdmin()
    tz = svc.settings.tz
    now = svc.clock.now()
    today = now.astimezone(tz).date()
    tomorrow = local_midnight(today + timedelta(days=1), tz)
    periods = [
        (local_midnight(today, tz), tomorrow),
        (local_midnight(today - timedelta(days=today.weekday()), tz), tomorrow),
        (local_midnight(month_start(today), tz), tomorrow),
    ]
    last_30 = (local_midnight(_chart_days(svc)[0], tz), tomorrow)
    pool = reader(svc)

    async def statuses():  # noqa: ANN202
        async with pool.snapshot() as conn:
            return (await repo.stores_by_status(conn), await repo.parcels_by_status(conn),
                    await repo.outbox_counts(conn, now - timedelta(days=7)))

    async def handovers():  # noqa: ANN202
        async with pool.snapshot() as conn:
            return (await repo.counts_per_range(conn, "picked_up_at", periods),
                    await repo.wait_days(conn, last_30))

    async def shelves():  # noqa: ANN202
        async with pool.snapshot() as conn:
            return await repo.full_shelves(conn, NEAR_PERCENT, SHELVES_LISTED)

    # Three read transactions begun together, run in parallel on their own connections.
    (stores, parcels, (waiting, undelivered)), ((today_n, week_n, month_n), waits), \
        (full, near, fullest) = await asyncio.gather(statuses(), handovers(), shelves())
    counted, avg, p90 = waits
    return Stats(
        now=now, stores=stores, parcels=parcels,
        handovers_today=today_n, handovers_week=week_n, handovers_month=month_n,
        waits_counted=counted, wait_avg_days=avg, wait_p90_days=p90,
        stores_full=full, stores_near=near,
        fullest=[Shelf(r["code"] or "", r["shop_name"], r["held"], r["capacity"])
                 for r in fullest],
        messages_waiting=waiting, undelivered=undelivered,
    )
