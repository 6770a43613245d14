"""``kirana-bot payouts 2026-11 [--out DIR] [--paid]``: the month's payouts as CSV files.

Reads the database the bot uses (``KIRANA_DB_PATH``). Writes ``payouts-2026-11.csv`` (stores
with a UPI id) and, when there are any, ``payouts-2026-11-no-upi.csv`` into ``--out`` (default:
the current directory), and prints the totals. For an ended month the statements are drawn up
as ``/payouts`` does (each shopkeeper's message goes into the outbox; the running bot sends it).
``--paid`` also marks the month paid. Exit status: 0 done, 1 refused (bad or unfinished month),
2 bad usage.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.services import payouts
from bot.services.context import Services
from bot.services.payouts import MarkedPaid, MonthError, Payouts
from bot.services.stats import READER_KEY
from bot.storage.db import Database

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

PROBLEMS = {
    MonthError.BAD_FORMAT: "give the month as YYYY-MM, e.g. 2026-11",
    MonthError.FUTURE: "that month has not begun yet",
    MonthError.NOT_ENDED: "a month can be marked paid only once it is over",
}


async def _compute(settings: Settings, month: date, paid: bool, clock: Clock
                   ) -> Payouts | MarkedPaid | MonthError:
    db = await Database.open(settings.db_path)
    svc = Services(settings=settings, db=db, clock=clock)
    try:
        result = await (payouts.mark_paid(svc, None, month) if paid
                        else payouts.draw_up(svc, month))
    finally:
        if (reader := svc.extras.pop(READER_KEY, None)) is not None:
            await reader.close()
        await db.close()
    return result


def run_payouts(settings: Settings, month_text: str, *, out_dir: Path = Path("."),
                paid: bool = False, clock: Clock | None = None, out: TextIO = sys.stdout,
                err: TextIO = sys.stderr) -> int:
    """Draw up (and with ``paid`` mark paid) the month; returns the exit status."""
    month = payouts.parse_month(month_text)
    if isinstance(month, MonthError):
        print(f"kirana-bot payouts: {PROBLEMS[month]}", file=err)
        return EXIT_USAGE
    result = asyncio.run(_compute(settings, month, paid, clock or SystemClock()))
    if isinstance(result, MonthError):
        print(f"kirana-bot payouts: {PROBLEMS[result]}", file=err)
        return EXIT_REFUSED
    p: Payouts = result.payouts if isinstance(result, MarkedPaid) else result
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rows, suffix in ((p.rows, ""), (p.no_upi, "-no-upi")):
        if rows or not suffix:
            path = out_dir / f"payouts-{p.key}{suffix}.csv"
            path.write_bytes(payouts.to_csv(rows))
            written.append(path)
    print(f"{p.key}: {len(p.rows) + len(p.no_upi)} stores, {p.parcels} parcels, "
          f"Rs {payouts.rupees(p.paise)} (ledger: {p.ledger_parcels} entries, "
          f"Rs {payouts.rupees(p.ledger_paise)})", file=out)
    print(f"  by UPI: {len(p.rows)} stores, Rs {payouts.rupees(p.payable_paise)}", file=out)
    print(f"  without a UPI id: {len(p.no_upi)} stores, Rs {payouts.rupees(p.no_upi_paise)}",
          file=out)
    for path in written:
        print(f"  wrote {path}", file=out)
    if not p.ended:
        print("  the month is not over: a preview, no statements sent", file=out)
    elif p.new_statements:
        print(f"  {p.new_statements} statement message(s) queued for the shopkeepers", file=out)
    if isinstance(result, MarkedPaid):
        print("  marked paid now" if result.first_time
              else f"  already marked paid at {result.paid_at:%Y-%m-%d %H:%M} UTC; nothing changed",
              file=out)
    return EXIT_OK

