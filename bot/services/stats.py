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
* Everything is read from one snapshot of the database through the report connection, so the
  figures agree with each other and a handover elsewhere never waits for them.
"""

from __future__ import annotations

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
    daily: DailySeries


def reader(svc: Services) -> ReportReader:
    """The report connection of this process (opened on first use, closed at shutdown)."""
    found = svc.extras.get(READER_KEY)
    if found is None or found.db is not svc.db:
        found = svc.extras[READER_KEY] = ReportReader(svc.db)
    return found


def day_range(day: date, svc: Services) -> tuple[datetime, datetime]:
    tz = svc.settings.tz
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


async def stats(svc: Services, user_id: int) -> Stats | NotAdmin:
    """Every figure of /stats, for admins."""
    if not svc.settings.is_admin(user_id):
        return NotAdmin()
    tz = svc.settings.tz
    now = svc.clock.now()
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    daily_ranges = [day_range(d, svc) for d in days]
    tomorrow = local_midnight(today + timedelta(days=1), tz)
    periods = [
        (local_midnight(today, tz), tomorrow),
        (local_midnight(today - timedelta(days=today.weekday()), tz), tomorrow),
        (local_midnight(month_start(today), tz), tomorrow),
    ]
    last_30 = (daily_ranges[0][0], tomorrow)
    async with reader(svc).snapshot() as conn:
        stores = await repo.stores_by_status(conn)
        parcels = await repo.parcels_by_status(conn)
        today_n, week_n, month_n = await repo.counts_per_range(conn, "picked_up_at", periods)
        counted, avg, p90 = await repo.wait_days(conn, last_30)
        full, near, fullest = await repo.full_shelves(conn, NEAR_PERCENT, SHELVES_LISTED)
        waiting, undelivered = await repo.outbox_counts(conn, now - timedelta(days=7))
        arrivals = await repo.counts_per_range(conn, "arrived_at", daily_ranges)
        handovers = await repo.counts_per_range(conn, "picked_up_at", daily_ranges)
    return Stats(
        now=now, stores=stores, parcels=parcels,
        handovers_today=today_n, handovers_week=week_n, handovers_month=month_n,
        waits_counted=counted, wait_avg_days=avg, wait_p90_days=p90,
        stores_full=full, stores_near=near,
        fullest=[Shelf(r["code"] or "", r["shop_name"], r["held"], r["capacity"])
                 for r in fullest],
        messages_waiting=waiting, undelivered=undelivered,
        daily=DailySeries(days, arrivals, handovers),
    )
