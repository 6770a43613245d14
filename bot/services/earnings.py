"""A shopkeeper's earnings (SPEC §9): parcels handed over and amount, this month and last.

Rules:
* Months are calendar months in the programme's time zone (``settings.tz``, Asia/Kolkata): a
  handover at 00:30 IST on the 1st belongs to the new month although it is still the previous
  day in UTC.
* Amounts are the ledger entries as written at handover time. The fee setting only decides
  the amount of future entries, so changing it never rewrites what was earned.
* Only the owner of an approved store sees it, and only their own store's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

from bot.services.context import Services
from bot.services.pickup import NotAStore, Store
from bot.storage import earnings as repo
from bot.storage import pickups as pickups_repo


@dataclass(frozen=True)
class MonthTotal:
    month: date  # the first day of the month
    parcels: int
    paise: int


@dataclass(frozen=True)
class Earnings:
    store: Store
    this_month: MonthTotal
    last_month: MonthTotal
    fee_paise: int  # the fee for handovers from now on


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + (day.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant (UTC) at which ``day`` begins in ``tz``."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


async def summary(svc: Services, user_id: int) -> Earnings | NotAStore:
    """This month's and last month's handovers and amount of the user's approved store."""
    tz = svc.settings.tz
    today = svc.clock.now().astimezone(tz).date()
    this_start, last_start = month_start(today), month_start(today, 1)
    next_start = month_start(today, -1)
    async with svc.db.reading() as conn:
        store = await pickups_repo.store_of_owner(conn, user_id)
        if store is None:
            return NotAStore()
        this = await repo.total_between(
            conn, store.id, local_midnight(this_start, tz), local_midnight(next_start, tz)
        )
        last = await repo.total_between(
            conn, store.id, local_midnight(last_start, tz), local_midnight(this_start, tz)
        )
    return Earnings(
        store=Store.of(store),
        this_month=MonthTotal(this_start, *this),
        last_month=MonthTotal(last_start, *last),
        fee_paise=svc.settings.fee_paise,
    )
