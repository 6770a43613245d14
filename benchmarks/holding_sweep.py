"""Time and memory of one holding sweep in a big database, and the plans of its queries.

    .venv/bin/python -m benchmarks.holding_sweep [--parcels 1000000] [--due 10000] [--runs 5]

The database gets ``--parcels`` parcels (1,000 approved stores; most handed over, some
returned, 5% waiting) built in bulk SQL, of which ``--due`` fall due at the sweep's moment:
half past their last day (→ to return: customer and shopkeeper messages) and half two days
before it (→ reminders). Every other waiting parcel is either far from its last day or was
already reminded for it. Customers of the due parcels are linked (two parcels per customer), so
each due parcel produces outbox rows. It is 10:00 in Kolkata, so the 1,000 morning summaries
are due too.

Each run copies the built database (the copy is not timed), opens it as the bot does and
times ``bot.services.holding.sweep`` — everything the bot does for the sweep: the finding
queries, the claims, the events and the outbox rows, in their transactions. Figures: wall
time and the process's CPU time (both threads: asyncio and aiosqlite's; on a shared machine
the CPU time is the bot's own work, the wall time includes waiting for a core), median of
``--runs``; the Python memory peak during one more sweep (tracemalloc, which slows it, so
that run is not timed); then once with 5× as much due: memory does not grow with the work
(it is bounded by the batch of 1,000 rows).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.seed import bulk_connection, insert_stores
from bot.clock import ManualClock, to_db
from bot.config import Settings
from bot.services import holding
from bot.services.context import Services
from bot.storage import holding as holding_sql
from bot.storage.db import Database

STORES = 1000
OWNER_BASE = 100_000
CUSTOMER_BASE = 1_000_000
# 10:00 IST on 20 Nov 2026: past the summary hour (9).
NOW = datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def build(path: Path, parcels: int, due: int) -> None:
    now = to_db(NOW)
    ts = now.replace("T", " ")[:19]
    conn = bulk_connection(path)
    insert_stores(conn, STORES, OWNER_BASE, now)
    # The filler: 90% handed over, 5% returned, 5% waiting and not due (last day 5-6 days on,
    # or within reach but already reminded for it).
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO parcels (id, tracking_id, store_id, customer_phone, customer_name, status,
               arrived_at, last_day, reminded_for, code_hash, picked_up_at, created_at,
               updated_at)
           SELECT n, printf('BM%010dIN', n), 1 + n % ?, printf('+9199%08d', n / 2),
               'Customer ' || n,
               CASE WHEN n % 20 = 0 THEN 'arrived' WHEN n % 20 = 1 THEN 'returned'
                    ELSE 'picked_up' END,
               strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, printf('%+d minutes', -(n % 432000))),
               CASE WHEN n % 40 = 0 THEN date(?, '+1 day') ELSE date(?, '+5 days') END,
               CASE WHEN n % 40 = 0 THEN date(?, '+1 day') END,
               CASE WHEN n % 20 = 0 THEN lower(hex(randomblob(32))) END,
               CASE WHEN n % 20 > 1 THEN ? END, ?, ? FROM seq""",
        (parcels - due, STORES, ts, TODAY.isoformat(), TODAY.isoformat(), TODAY.isoformat(),
         now, now, now))
    # The due ones: half expired yesterday, half with their last day in 2 days; two parcels per
    # linked customer.
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO parcels (id, tracking_id, store_id, customer_phone, customer_name, status,
               arrived_at, last_day, code_hash, created_at, updated_at)
           SELECT ? + n, printf('DUE%08dIN', n), 1 + n % ?, printf('+9197%08d', n / 2),
               'Priya ' || n, 'arrived', ?,
               CASE WHEN n % 2 = 0 THEN date(?, '-1 day') ELSE date(?, '+2 days') END,
               lower(hex(randomblob(32))), ?, ? FROM seq""",
        (due, parcels - due, STORES, now, TODAY.isoformat(), TODAY.isoformat(), now, now))
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)
           SELECT ? + n, ? + n, 'Priya', CASE n % 3 WHEN 0 THEN 'en' WHEN 1 THEN 'hi'
               ELSE 'mr' END, ?, ? FROM seq""",
        (due // 2, CUSTOMER_BASE, CUSTOMER_BASE, now, now))
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO customers (user_id, phone, linked_at)
           SELECT ? + n, printf('+9197%08d', n), ? FROM seq""",
        (due // 2, CUSTOMER_BASE, now))
    conn.execute("""INSERT INTO earnings (parcel_id, store_id, amount_paise, at)
                    SELECT id, store_id, 1000, picked_up_at FROM parcels
                    WHERE status = 'picked_up'""")
    conn.execute("""INSERT INTO parcel_events (parcel_id, at, event)
                    SELECT id, arrived_at, 'arrived' FROM parcels""")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def plans(db: Database) -> list[str]:
    params = {"today": TODAY.isoformat(), "horizon": (TODAY + timedelta(days=2)).isoformat(),
              "limit": 1000, "now": to_db(NOW), "store": 1, "day": TODAY.isoformat(),
              "groups": '[["+919700000001", 2, "2026-11-22"]]', "stores": "[1, 2]",
              "rows": "[[1, 1]]", "since": to_db(NOW - timedelta(days=1)), "until": to_db(NOW)}
    out = []
    for name, sql in holding_sql.SWEEP_QUERIES.items():
        rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)
        out.append(f"  {name:17s} {' | '.join(r['detail'] for r in rows)}")
    return out


async def one_sweep(
    path: Path, settings: Settings, *, trace: bool = False
) -> tuple[float, float, int, holding.SweepReport, int]:
    """(wall seconds, CPU seconds of the process, Python peak bytes if traced, report, rows)."""
    db = await Database.open(path)
    svc = Services(settings=settings, db=db, clock=ManualClock(NOW))
    gc.collect()
    if trace:  # tracemalloc slows every allocation: memory is measured in a run of its own
        tracemalloc.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = await holding.sweep(svc)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    outbox = int(await db.fetchval("SELECT COUNT(*) FROM outbox"))
    await db.close()
    return elapsed, cpu, peak, report, outbox


def fresh_copy(built: Path, run: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(run) + suffix).unlink(missing_ok=True)
    shutil.copyfile(built, run)


async def measure(tmp: Path, parcels: int, due: int, runs: int) -> None:
    built = tmp / "built.sqlite3"
    db = await Database.open(built)  # the schema, by the bot's own migrations
    await db.close()
    t0 = time.perf_counter()
    build(built, parcels, due)
    print(f"database: {parcels:,} parcels ({due:,} due), "
          f"{built.stat().st_size / 2**20:.0f} MiB, built in {time.perf_counter() - t0:.0f} s "
          "(not part of the figures)")
    settings = Settings(bot_token="123456:BENCHMARK-TOKEN", db_path=built)
    db = await Database.open(built)
    print("query plans (no ANALYZE, as in the bot):")
    print("\n".join(await plans(db)))
    await db.close()
    times, cpus = [], []
    run = tmp / "run.sqlite3"
    for _ in range(runs):
        fresh_copy(built, run)
        elapsed, cpu, _, report, outbox = await one_sweep(run, settings)
        times.append(elapsed)
        cpus.append(cpu)
        print(f"  sweep {elapsed * 1000:7.1f} ms wall, {cpu * 1000:7.1f} ms CPU — "
              f"expired {report.expired_parcels}, reminded {report.reminded_parcels} "
              f"({report.reminders} messages), summaries {report.summaries}, "
              f"outbox rows {outbox}")
        assert report.expired_parcels + report.reminded_parcels == due, report
    fresh_copy(built, run)
    _, _, peak, _, _ = await one_sweep(run, settings, trace=True)
    print(f"median {statistics.median(times) * 1000:.1f} ms wall (min {min(times) * 1000:.1f}, "
          f"max {max(times) * 1000:.1f}); median {statistics.median(cpus) * 1000:.1f} ms CPU; "
          f"Python memory peak during a sweep {peak / 2**20:.1f} MiB (tracemalloc); "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


async def main(parcels: int, due: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await measure(Path(tmp), parcels, due, runs)
    print()
    print(f"the same with {due * 5:,} due (memory is flat: bounded by the batch, not the work):")
    with tempfile.TemporaryDirectory() as tmp:
        await measure(Path(tmp), parcels, due * 5, 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.parcels, args.due, args.runs))
