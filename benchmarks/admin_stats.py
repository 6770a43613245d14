"""/stats (figures + chart) on 100,000 stores and 1,000,000 parcels; payouts for 28,000 stores.

    .venv/bin/python -m benchmarks.admin_stats [--stores 100000] [--parcels 1000000]
                                               [--payout-stores 28000] [--runs 5]

1. A database with ``--stores`` stores and ``--parcels`` parcels (70 % handed over within the
   last 120 days, each with its ledger entry; the rest waiting, expected, due back, returned or
   refused), built in bulk SQL (timed apart). Then ``--runs`` times, what ``/stats`` does for an
   admin: ``services.stats.stats`` (every figure, through the report connection) and the chart
   (``render_daily_chart`` in a worker thread) plus the text; median, min and max. While one
   more run goes, a write on the bot's own connection is timed: reports read from their own
   connection, so the write should not wait for them. The query plans are printed.
2. Another database with ``--payout-stores`` stores that each handed over parcels in November
   2026 (30 each). Timed: the first ``/payouts 2026-11`` on 2 December (writes every statement
   and its shopkeeper's outbox message), then ``--runs`` later ones (nothing new to write) with
   the CSV built; median.

Prints one JSON object. The machine is shared: read medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.handlers.admin_stats import chart_png, stats_text
from bot.i18n import translator
from bot.services import payouts, stats
from bot.services.context import Services
from bot.storage import admin_stats as stats_sql
from bot.storage import payouts as payouts_sql
from bot.storage.db import Database

ADMIN = 900
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
TS = "strftime('%Y-%m-%dT%H:%M:%S', {x}) || '.000000Z'"


def _stores(conn: sqlite3.Connection, n: int, now: str) -> None:
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)
           SELECT 100000 + n, 100000 + n, 'Owner ' || n, CASE n % 3 WHEN 0 THEN 'en'
                  WHEN 1 THEN 'hi' ELSE 'mr' END, ?, ? FROM seq""", (n, now, now))
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO stores (id, code, owner_user_id, status, shop_name, owner_name, mobile,
               address, pin_code, opens_at, closes_at, capacity, upi_id, created_at, decided_at)
           SELECT n, printf('KS-%04d', n), 100000 + n,
                  CASE WHEN n % 50 = 0 THEN 'suspended' WHEN n % 97 = 0 THEN 'pending'
                       WHEN n % 89 = 0 THEN 'rejected' ELSE 'approved' END,
                  'Shop ' || n, 'Owner ' || n, printf('+9198%08d', n),
                  n || ' Main Road, ' || CASE n % 4 WHEN 0 THEN 'Pune' WHEN 1 THEN 'Mumbai'
                       WHEN 2 THEN 'Nagpur' ELSE 'Nashik' END,
                  printf('4%05d', n % 100000), '09:00', '21:00', 10 + n % 40,
                  CASE WHEN n % 20 = 0 THEN NULL ELSE 'owner' || n || '@okaxis' END, ?, ?
           FROM seq""", (n, now, now))


def build_stats_db(path: Path, stores: int, parcels: int) -> float:
    started = time.perf_counter()
    asyncio.run(_migrate(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    now = NOW.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    _stores(conn, stores, now)
    # r: a random number per parcel; status by r % 100; arrival within 120 days (waiting ones
    # within the last 7); handover 0-7 days after arrival, never after now.
    arrived = "datetime(?, '-' || (abs(random()) % (120 * 86400)) || ' seconds')"
    recent = "datetime(?, '-' || (abs(random()) % (7 * 86400)) || ' seconds')"
    conn.execute(
        f"""WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?),
                 p AS MATERIALIZED (SELECT n, abs(random()) % 100 AS r, {arrived} AS a, {recent} AS w
                       FROM seq)
           INSERT INTO parcels (id, tracking_id, store_id, customer_phone, status, arrived_at,
                                picked_up_at, created_at, updated_at)
           SELECT n, printf('BENCH%09d', n), 1 + (n * 7919) % ?, printf('+9197%08d', n % 500000),
                  CASE WHEN r < 70 THEN 'picked_up' WHEN r < 80 THEN 'arrived'
                       WHEN r < 82 THEN 'to_return' WHEN r < 92 THEN 'expected'
                       WHEN r < 97 THEN 'returned' ELSE 'refused' END,
                  CASE WHEN r < 70 THEN {TS.format(x='a')}
                       WHEN r < 82 THEN {TS.format(x='w')}
                       WHEN r < 92 THEN NULL WHEN r < 97 THEN {TS.format(x='a')} ELSE NULL END,
                  CASE WHEN r < 70 THEN {TS.format(
                      x="min(datetime(a, '+' || (abs(random()) % (7 * 86400)) || ' seconds'), "
                        "datetime(?))")} END,
                  ?, ?
           FROM p""",
        (parcels, now, now, stores, now, now, now))
    conn.execute(
        """INSERT INTO earnings (parcel_id, store_id, amount_paise, at)
           SELECT id, store_id, 1000, picked_up_at FROM parcels WHERE status = 'picked_up'""")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def build_payout_db(path: Path, stores: int, per_store: int) -> float:
    started = time.perf_counter()
    asyncio.run(_migrate(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    now = NOW.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    _stores(conn, stores, now)
    conn.execute("UPDATE stores SET status = 'approved'")
    # per_store handovers in November 2026 (IST) for each store, fees 10.00-12.49.
    conn.execute(
        f"""WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO parcels (id, tracking_id, store_id, customer_phone, status, arrived_at,
                                picked_up_at, created_at, updated_at)
           SELECT n, printf('PAY%09d', n), 1 + (n - 1) % ?, '+919700000000', 'picked_up',
                  {TS.format(x="datetime('2026-10-31T18:30:00', '+' || (n % 2591000) || ' seconds')")},
                  {TS.format(x="datetime('2026-10-31T18:30:00', '+' || (n % 2591000) || ' seconds')")},
                  ?, ? FROM seq""",
        (stores * per_store, stores, now, now))
    conn.execute(
        """INSERT INTO earnings (parcel_id, store_id, amount_paise, at)
           SELECT id, store_id, 1000 + id % 250, picked_up_at FROM parcels""")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


async def open_services(path: Path, now: datetime) -> Services:
    db = await Database.open(path)
    settings = Settings(bot_token="123456:BENCHMARKTOKEN0", admin_ids=frozenset({ADMIN}),
                        db_path=path)
    return Services(settings=settings, db=db, clock=ManualClock(now))


async def close_services(svc: Services) -> None:
    reader = svc.extras.pop(stats.READER_KEY, None)
    if reader is not None:
        await reader.close()
    await svc.db.close()


async def one_stats(svc: Services, lang: str) -> tuple[float, float, float]:
    """(seconds until the figures' text is ready, until the chart is ready, in all, CPU
    seconds of this process in all its threads) of one
    /stats, done as the handler does it: the chart drawn while the figures are counted."""
    t = translator(lang)
    t0 = time.perf_counter()
    c0 = time.process_time()
    daily = await stats.daily(svc, ADMIN)
    assert isinstance(daily, stats.DailySeries)
    chart = asyncio.create_task(chart_png(t, daily))
    result = await stats.stats(svc, ADMIN)
    assert isinstance(result, stats.Stats)
    stats_text(t, result, svc.settings.tz)
    t1 = time.perf_counter()
    png = await chart
    t2 = time.perf_counter()
    assert png.startswith(b"\x89PNG")
    return t1 - t0, t2 - t0, t2 - t0, time.process_time() - c0


async def write_during_stats(svc: Services) -> dict[str, float]:
    """A write on the bot's own connection while /stats reads: how long it waited."""
    task = asyncio.create_task(one_stats(svc, "hi"))
    await asyncio.sleep(0.02)  # the report's queries are under way
    t0 = time.perf_counter()
    await svc.db.execute("UPDATE users SET last_seen = last_seen WHERE user_id = 100001")
    waited = time.perf_counter() - t0
    total = (await task)[2]
    return {"write_ms": round(waited * 1000, 2), "stats_s": round(total, 3)}


def query_plans(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    a, b = "2026-11-01T00:00:00.000000Z", "2026-11-29T00:00:00.000000Z"
    queries = {
        "stores_by_status": ("SELECT status, COUNT(*) FROM stores GROUP BY status", ()),
        "parcels_by_status": ("SELECT status, COUNT(*) FROM parcels INDEXED BY "
                              "parcels_status GROUP BY status", ()),
        "per_range_count": ("SELECT COUNT(*) FROM parcels INDEXED BY parcels_picked_up "
                            "WHERE picked_up_at >= ? AND picked_up_at < ?", (a, b)),
        "wait_avg": (f"SELECT COUNT(*), AVG({stats_sql._WAIT}) {stats_sql._HANDED_OVER_IN}",
                     (a, b)),
        "wait_p90": (f"SELECT {stats_sql._WAIT} AS d {stats_sql._HANDED_OVER_IN} "
                     "ORDER BY d DESC LIMIT 1 OFFSET ?", (a, b, 1000)),
        "full_shelves": (stats_sql.SHELVES, (80,)),
        "payout_month_rows": (payouts_sql.MONTH_ROWS, (a, b)),
    }
    plans = {}
    for name, (sql, params) in queries.items():
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        plans[name] = [r[3] for r in rows]
    conn.close()
    return plans


async def stats_bench(path: Path, runs: int) -> dict:
    svc = await open_services(path, NOW)
    before_load = round(os.getloadavg()[0], 2)
    try:
        first = await one_stats(svc, "en")
        timings = [await one_stats(svc, lang) for lang in (["hi", "mr", "en"] * runs)[:runs]]
        during = await write_during_stats(svc)
    finally:
        await close_services(svc)
    totals = sorted(t[2] for t in timings)
    return {
        "first_run_s": round(first[2], 3),
        "runs": runs,
        "median_s": round(statistics.median(totals), 3),
        "min_s": round(totals[0], 3),
        "max_s": round(totals[-1], 3),
        "median_text_ready_s": round(statistics.median(t[0] for t in timings), 3),
        "median_chart_ready_s": round(statistics.median(t[1] for t in timings), 3),
        "median_cpu_s": round(statistics.median(t[3] for t in timings), 3),
        "load_average_1min_before": before_load,
        "write_on_bot_connection_during_stats": during,
    }


async def payouts_bench(path: Path, runs: int) -> dict:
    svc = await open_services(path, datetime(2026, 12, 2, 6, tzinfo=UTC))
    try:
        t0 = time.perf_counter()
        first = await payouts.draw_up(svc, date(2026, 11, 1))
        payouts.to_csv(first.rows)
        first_s = time.perf_counter() - t0
        assert isinstance(first, payouts.Payouts)
        assert (first.parcels, first.paise) == (first.ledger_parcels, first.ledger_paise)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            again = await payouts.draw_up(svc, date(2026, 11, 1))
            csv_bytes = payouts.to_csv(again.rows) + payouts.to_csv(again.no_upi)
            times.append(time.perf_counter() - t0)
            assert again.new_statements == 0
    finally:
        await close_services(svc)
    return {
        "stores": len(first.rows) + len(first.no_upi),
        "ledger_entries": first.ledger_parcels,
        "total_rupees": payouts.rupees(first.paise),
        "statements_written": first.new_statements,
        "first_draw_up_with_statements_s": round(first_s, 3),
        "median_csv_s": round(statistics.median(times), 3),
        "csv_bytes": len(csv_bytes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--payout-stores", type=int, default=28_000)
    parser.add_argument("--per-store", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build the databases here and reuse them "
                        "on the next run (the build is the slow part)")
    parser.add_argument("--skip-payouts", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.keep) if args.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        stats_db = where / f"stats-{args.stores}-{args.parcels}.sqlite3"
        build_s = 0.0 if stats_db.exists() else build_stats_db(stats_db, args.stores, args.parcels)
        result = {"stores": args.stores, "parcels": args.parcels,
                  "build_s": round(build_s, 1),
                  "stats": asyncio.run(stats_bench(stats_db, args.runs)),
                  "query_plans": query_plans(stats_db)}
        if not args.skip_payouts:
            payout_db = Path(tmp) / "payouts.sqlite3"
            result["payouts_build_s"] = round(
                build_payout_db(payout_db, args.payout_stores, args.per_store), 1)
            result["payouts"] = asyncio.run(payouts_bench(payout_db, args.runs))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
