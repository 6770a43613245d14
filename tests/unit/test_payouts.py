"""Monthly payouts: rows and totals to the paisa from the ledger, month bounds in India's
calendar, stores without UPI apart, statements once, a paid month closed."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, date, datetime

import pytest

from bot.clock import ManualClock, to_db
from bot.config import Settings
from bot.outbox import store as outbox_store
from bot.services import earnings, payouts, stats
from bot.services.context import Services
from bot.services.payouts import MarkedPaid, MonthError, Payouts, Problem
from bot.storage.db import Database
from tests.admin_seed import ist, parcel
from tests.factories import approved_store

ADMIN = 900
DEC_2 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
NOV = date(2026, 11, 1)


@pytest.fixture
async def svc(tmp_path):
    db = await Database.open(tmp_path / "k.sqlite3")
    settings = Settings(bot_token="123456:TESTTOKENTESTTOKEN", admin_ids=frozenset({ADMIN}))
    services = Services(settings=settings, db=db, clock=ManualClock(DEC_2))
    yield services
    reader = services.extras.pop(stats.READER_KEY, None)
    if reader is not None:
        await reader.close()
    await db.close()


async def seed_ledger(svc: Services) -> dict[str, int]:
    """Three stores with a UPI id, one without. Returns the store ids by name."""
    a, _ = await approved_store(svc, 601, shop_name="Asha Stores")
    b, _ = await approved_store(svc, 602, shop_name="बालाजी किराना")
    c, _ = await approved_store(svc, 603, shop_name="Quiet Shop")
    d, _ = await approved_store(svc, 604, shop_name="No UPI Kirana")
    await svc.db.execute("UPDATE stores SET upi_id = NULL WHERE id = ?", (d,))
    # Asha: 3 entries in November, one of them at 00:00 IST on the 1st, one at 23:59:59 on
    # the 30th; one at 23:59 IST on 31 October (October) and one at 00:00 on 1 December.
    for at, fee in [(ist(2026, 11, 1, 0, 0), 1000), (ist(2026, 11, 15), 1250),
                    (datetime(2026, 11, 30, 18, 29, 59, tzinfo=UTC), 999),
                    (ist(2026, 10, 31, 23, 59), 1000), (ist(2026, 12, 1, 0, 0), 1000)]:
        await parcel(svc, a, "picked_up", arrived=at, picked=at, fee=fee)
    # Balaji: 2 entries of ₹10.01.
    for day in (3, 4):
        await parcel(svc, b, "picked_up", arrived=ist(2026, 11, day), picked=ist(2026, 11, day),
                     fee=1001)
    # Quiet Shop: nothing in November (only September).
    await parcel(svc, c, "picked_up", arrived=ist(2026, 9, 3), picked=ist(2026, 9, 3), fee=1000)
    # No UPI: 1 entry of ₹12.34.
    await parcel(svc, d, "picked_up", arrived=ist(2026, 11, 20), picked=ist(2026, 11, 20),
                 fee=1234)
    return {"asha": a, "balaji": b, "quiet": c, "noupi": d}


async def test_rows_and_totals_to_the_paisa(svc):
    ids = await seed_ledger(svc)
    p = await payouts.payouts_for_admin(svc, ADMIN, NOV)
    assert isinstance(p, Payouts) and p.ended
    rows = {r.store_id: (r.parcels, r.paise) for r in p.rows}
    assert rows == {ids["asha"]: (3, 1000 + 1250 + 999), ids["balaji"]: (2, 2002)}
    assert [(r.store_id, r.parcels, r.paise, r.upi_id) for r in p.no_upi] == [
        (ids["noupi"], 1, 1234, None)]
    assert (p.parcels, p.paise) == (6, 3249 + 2002 + 1234)
    assert (p.ledger_parcels, p.ledger_paise) == (p.parcels, p.paise)
    table = list(csv.reader(io.StringIO(payouts.to_csv(p.rows).decode("utf-8-sig"))))
    assert table[0] == list(payouts.CSV_HEADER)
    assert table[1] == ["KS-0001", "Asha Stores", "Ramesh Sharma", "+919822012345",
                        "ramesh@okaxis", "3", "32.49"]
    assert table[2][1] == "बालाजी किराना" and table[2][6] == "20.02"
    assert sum(round(float(r[6]) * 100) for r in table[1:]) == 3249 + 2002
    no_upi = list(csv.reader(io.StringIO(payouts.to_csv(p.no_upi).decode("utf-8-sig"))))
    assert no_upi[1][4] == "" and no_upi[1][6] == "12.34"


async def test_each_row_equals_the_shopkeepers_earnings_for_that_month(svc):
    await seed_ledger(svc)
    p = await payouts.draw_up(svc, NOV)
    assert isinstance(p, Payouts)
    for row in (*p.rows, *p.no_upi):
        seen = await earnings.summary(svc, row.owner_user_id)
        assert isinstance(seen, earnings.Earnings)
        assert seen.last_month.month == NOV
        assert (seen.last_month.parcels, seen.last_month.paise) == (row.parcels, row.paise)


async def test_statements_are_written_once_with_one_message_each(svc):
    ids = await seed_ledger(svc)
    first = await payouts.draw_up(svc, NOV)
    second = await payouts.draw_up(svc, NOV)
    assert isinstance(first, Payouts) and isinstance(second, Payouts)
    assert (first.new_statements, second.new_statements) == (3, 0)
    rows = await svc.db.fetchall(
        "SELECT chat_id, kind, payload FROM outbox WHERE kind = 'payout.statement' ORDER BY id")
    assert [r["chat_id"] for r in rows] == [601, 602, 604]
    assert await svc.db.fetchval("SELECT COUNT(*) FROM payout_statements") == 3
    assert ids["quiet"] not in {r.store_id for r in first.rows}


async def test_a_month_not_over_is_a_preview_without_statements(svc):
    await seed_ledger(svc)
    svc.clock.set(ist(2026, 11, 30, 20))
    p = await payouts.draw_up(svc, NOV)
    assert isinstance(p, Payouts) and not p.ended and p.new_statements == 0
    assert await svc.db.fetchval("SELECT COUNT(*) FROM payout_statements") == 0
    assert await payouts.mark_paid(svc, ADMIN, NOV) is MonthError.NOT_ENDED
    assert await payouts.draw_up(svc, date(2027, 1, 1)) is MonthError.FUTURE


async def test_marking_paid_happens_once_and_closes_the_month(svc):
    ids = await seed_ledger(svc)
    first = await payouts.mark_paid(svc, ADMIN, NOV)
    svc.clock.set(datetime(2026, 12, 3, 6, tzinfo=UTC))
    again = await payouts.mark_paid(svc, ADMIN, NOV)
    assert isinstance(first, MarkedPaid) and isinstance(again, MarkedPaid)
    assert first.first_time and not again.first_time
    assert again.paid_at == first.paid_at == DEC_2
    assert await svc.db.fetchval("SELECT COUNT(*) FROM payout_months") == 1
    assert await svc.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'payout.statement'") == 3
    # A ledger entry dated in the paid month is refused; the figures stay as paid.
    with pytest.raises(sqlite3.IntegrityError, match="payout month closed"):
        await parcel(svc, ids["balaji"], "picked_up", arrived=ist(2026, 11, 29),
                     picked=ist(2026, 11, 29), fee=1000)
    with pytest.raises(sqlite3.IntegrityError):
        await svc.db.execute("DELETE FROM earnings WHERE store_id = ?", (ids["balaji"],))
    with pytest.raises(sqlite3.IntegrityError):
        await svc.db.execute("UPDATE earnings SET amount_paise = 1 WHERE store_id = ?",
                             (ids["balaji"],))
    p = await payouts.draw_up(svc, NOV)
    assert isinstance(p, Payouts) and (p.parcels, p.paise) == (6, 6485)
    assert p.paid_at == DEC_2
    # The next month is open: December's entries are accepted.
    await parcel(svc, ids["balaji"], "picked_up", arrived=ist(2026, 12, 2),
                 picked=ist(2026, 12, 2), fee=1000)
    assert await svc.db.fetchval(
        "SELECT COUNT(*) FROM earnings WHERE at >= ?", (to_db(ist(2026, 12, 1, 0, 0)),)) == 2


async def test_admins_only_and_month_format(svc):
    await seed_ledger(svc)
    assert await payouts.payouts_for_admin(svc, 601, NOV) is Problem.NOT_ADMIN
    assert await payouts.mark_paid(svc, 601, NOV) is Problem.NOT_ADMIN
    assert await svc.db.fetchval("SELECT COUNT(*) FROM payout_months") == 0
    for bad in ("2026-13", "2026-1", "nov", "", "2026-11-01", "११-2026"):
        assert payouts.parse_month(bad) is MonthError.BAD_FORMAT
    assert payouts.parse_month(" 2026-11 ") == NOV
    assert payouts.rupees(0) == "0.00" and payouts.rupees(123405) == "1234.05"


async def test_statement_rows_survive_in_the_outbox(svc):
    await seed_ledger(svc)
    await payouts.draw_up(svc, NOV)
    assert (await outbox_store.counts(svc.db)).get("pending") == 3


def test_command_line_writes_the_csv_files(tmp_path):
    import asyncio

    from bot.payouts_cli import run_payouts

    settings = Settings(bot_token="123456:TESTTOKENTESTTOKEN", admin_ids=frozenset({ADMIN}),
                        db_path=tmp_path / "k.sqlite3")

    async def seed() -> None:
        db = await Database.open(settings.db_path)
        try:
            await seed_ledger(Services(settings=settings, db=db, clock=ManualClock(DEC_2)))
        finally:
            await db.close()

    asyncio.run(seed())
    out, err = io.StringIO(), io.StringIO()
    status = run_payouts(settings, "2026-11", out_dir=tmp_path / "out", paid=True,
                         clock=ManualClock(DEC_2), out=out, err=err)
    assert status == 0, err.getvalue()
    payable = (tmp_path / "out" / "payouts-2026-11.csv").read_bytes().decode("utf-8-sig")
    apart = (tmp_path / "out" / "payouts-2026-11-no-upi.csv").read_bytes().decode("utf-8-sig")
    assert [r[6] for r in csv.reader(io.StringIO(payable))][1:] == ["32.49", "20.02"]
    assert [r[0] for r in csv.reader(io.StringIO(apart))][1:] == ["KS-0004"]
    assert "Rs 64.85" in out.getvalue() and "marked paid now" in out.getvalue()
    out = io.StringIO()
    assert run_payouts(settings, "2026-11", out_dir=tmp_path / "out", paid=True,
                       clock=ManualClock(DEC_2), out=out, err=err) == 0
    assert "already marked paid" in out.getvalue()
    assert run_payouts(settings, "11-2026", out_dir=tmp_path, clock=ManualClock(DEC_2),
                       out=out, err=err) == 2
    assert run_payouts(settings, "2027-01", out_dir=tmp_path, clock=ManualClock(DEC_2),
                       out=out, err=err) == 1
