"""Monthly payouts (issue 12): what each store earned in a month, as a CSV to pay by UPI.

Rules (decisions in ``docs/payouts.md``):
* A month is a calendar month in the programme's time zone, bounded exactly as ``/earnings``
  bounds it (``services.earnings``), so every store's row equals what its shopkeeper saw.
* Rows come from the ledger (``earnings``), one per store with entries in the month: parcels
  handed over (entries) and the amount (their sum, integer paise; shown as rupees with paise).
  The totals are the sum of the rows and are checked against a straight sum of the ledger.
* Stores without a UPI id are listed apart (``no_upi``), so the admin can chase them.
* Once a month has ended its payouts are *drawn up*: one statement per store and month is
  written, once whatever the number of CSVs asked for, and with it (same transaction) the
  shopkeeper's message goes into the outbox — so it is sent once per store and month.
  A month not yet over can be looked at (a preview) but has no statements yet.
* Marking paid (``/payouts 2026-11 paid``): only an ended month; once — a second time changes
  nothing and says when it was marked. A paid month is closed: the ledger refuses entries dated
  in it (database triggers of migration 0070), so the paid figures stay true.
* Admins only for the bot; the command line (``kirana-bot payouts``) is for whoever runs the
  server and records no admin.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot import outbox
from bot.clock import from_db
from bot.services.context import Services
from bot.services.earnings import local_midnight, month_start
from bot.services.stats import reader
from bot.storage import payouts as repo

CSV_HEADER = ("store_code", "shop_name", "owner_name", "mobile", "upi_id",
              "parcels_handed_over", "amount_inr")
STATEMENT_KIND = "payout.statement"
STATEMENT_CHUNK = 200
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(StrEnum):
    BAD_FORMAT = "bad_format"        # not YYYY-MM
    FUTURE = "future"                # has not begun yet
    NOT_ENDED = "not_ended"          # for marking paid


class Problem(StrEnum):
    NOT_ADMIN = "not_admin"


@dataclass(frozen=True)
class PayoutRow:
    store_id: int
    code: str
    shop_name: str
    owner_name: str
    mobile: str
    upi_id: str | None
    owner_user_id: int
    parcels: int
    paise: int


@dataclass
class Payouts:
    month: date                      # first day
    ended: bool                      # the month is over: figures final, statements written
    rows: list[PayoutRow] = field(default_factory=list)   # with a UPI id
    no_upi: list[PayoutRow] = field(default_factory=list)
    ledger_parcels: int = 0          # straight sums of the ledger, for the check
    ledger_paise: int = 0
    paid_at: datetime | None = None
    new_statements: int = 0

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def parcels(self) -> int:
        return sum(r.parcels for r in self.rows) + sum(r.parcels for r in self.no_upi)

    @property
    def paise(self) -> int:
        return self.payable_paise + self.no_upi_paise

    @property
    def payable_paise(self) -> int:
        return sum(r.paise for r in self.rows)

    @property
    def no_upi_paise(self) -> int:
        return sum(r.paise for r in self.no_upi)


@dataclass(frozen=True)
class MarkedPaid:
    payouts: Payouts
    first_time: bool                 # False: it was already marked (nothing changed)
    paid_at: datetime


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> date | MonthError:
    """``2026-11`` → 1 November 2026."""
    m = _MONTH.match(text.strip())
    if not m:
        return MonthError.BAD_FORMAT
    year, month = int(m.group(1)), int(m.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return MonthError.BAD_FORMAT
    return date(year, month, 1)


def bounds(svc: Services, month: date) -> tuple[datetime, datetime]:
    tz = svc.settings.tz
    return local_midnight(month, tz), local_midnight(month_start(month, -1), tz)


def rupees(paise: int) -> str:
    """``123450`` → ``1234.50``: the CSV's amount, plain for spreadsheets and bank files."""
    sign = "-" if paise < 0 else ""
    paise = abs(paise)
    return f"{sign}{paise // 100}.{paise % 100:02d}"


async def _read(svc: Services, month: date) -> Payouts | MonthError:
    now = svc.clock.now()
    start, end = bounds(svc, month)
    if start > now:
        return MonthError.FUTURE
    result = Payouts(month=month, ended=end <= now)
    async with reader(svc).snapshot() as conn:
        for r in await repo.month_rows(conn, start, end):
            row = PayoutRow(r["id"], r["code"] or "", r["shop_name"], r["owner_name"],
                            r["mobile"], r["upi_id"] or None, r["owner_user_id"],
                            int(r["parcels"]), int(r["paise"]))
            (result.rows if row.upi_id else result.no_upi).append(row)
        result.ledger_parcels, result.ledger_paise = await repo.ledger_total(conn, start, end)
        paid = await repo.paid_month(conn, result.key)
    result.paid_at = from_db(paid["paid_at"]) if paid else None
    return result


async def draw_up(svc: Services, month: date) -> Payouts | MonthError:
    """The month's payouts; for an ended month also its statements, each written once with its
    shopkeeper's message (outbox kind ``payout.statement``) in the same transaction. Written
    in chunks so that no transaction keeps handovers waiting for long."""
    result = await _read(svc, month)
    if isinstance(result, MonthError) or not result.ended:
        return result
    rows = [*result.rows, *result.no_upi]
    for i in range(0, len(rows), STATEMENT_CHUNK):
        chunk = rows[i:i + STATEMENT_CHUNK]
        now = svc.clock.now()
        async with svc.db.transaction() as conn:
            done = await repo.statements_written(conn, result.key, [r.store_id for r in chunk])
            for r in chunk:
                if r.store_id in done:
                    continue
                outbox_id = await outbox.enqueue(
                    conn, r.owner_user_id, STATEMENT_KIND,
                    {"month": result.key, "store_id": r.store_id}, now=now,
                    priority=outbox.Priority.ROUTINE,
                    dedupe_key=f"payout:{result.key}:{r.store_id}")
                await repo.add_statement(conn, result.key, r.store_id, r.parcels, r.paise,
                                         r.upi_id, outbox_id, now)
                result.new_statements += 1
    return result


@dataclass(frozen=True)
class Statement:
    month: date
    code: str
    shop_name: str
    parcels: int
    paise: int
    upi_id: str | None


async def statement(svc: Services, month_text: str, store_id: int) -> Statement | None:
    """A statement as written (for its message; None if there is no such statement)."""
    month = parse_month(month_text)
    if isinstance(month, MonthError):
        return None
    async with svc.db.reading() as conn:
        row = await repo.statement(conn, month_key(month), store_id)
    if row is None:
        return None
    return Statement(month, row["code"] or "", row["shop_name"], row["parcels"], row["paise"],
                     row["upi_id"])


async def payouts_for_admin(svc: Services, user_id: int, month: date) -> Payouts | MonthError | Problem:
    if not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    return await draw_up(svc, month)


async def mark_paid(
    svc: Services, user_id: int | None, month: date
) -> MarkedPaid | MonthError | Problem:
    """Mark an ended month paid out (once); ``user_id`` None is the command line."""
    if user_id is not None and not svc.settings.is_admin(user_id):
        return Problem.NOT_ADMIN
    result = await draw_up(svc, month)
    if isinstance(result, MonthError):
        return result
    if not result.ended:
        return MonthError.NOT_ENDED
    start, end = bounds(svc, month)
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        parcels, paise = await repo.ledger_total(conn, start, end)
        first = await repo.mark_paid(conn, result.key, start, end, parcels, paise, user_id, now)
        paid = await repo.paid_month(conn, result.key)
    assert paid is not None
    result.paid_at = from_db(paid["paid_at"])
    return MarkedPaid(result, first, result.paid_at)


def to_csv(rows: list[PayoutRow]) -> bytes:
    """UTF-8 with a BOM (spreadsheets then read Devanagari names right), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow((r.code, r.shop_name, r.owner_name, r.mobile, r.upi_id or "",
                         r.parcels, rupees(r.paise)))
    return out.getvalue().encode("utf-8-sig")
