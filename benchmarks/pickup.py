"""Time of one pickup confirmation through the whole Application, in a big database.

    .venv/bin/python -m benchmarks.pickup [--parcels 1000000] [--runs 1000]

The database gets ``--parcels`` parcels first (1,000 stores; most handed over with their ledger
entry, some waiting, some returned; an event per state change), built in a few big SQL
statements; that build is timed and reported apart. Then, ``--runs`` times, on a real
``Application`` with the fake Bot API in process (tests/flows/harness.py):

    shopkeeper sends /pickup                 (not timed)
    types the customer's code   ─┐           -> parcel screen
    presses "✅ Handed over"     ─┘ timed     -> ledger entry, screen edited, customer's receipt

Only ``Application.process_update`` is inside the timer (the harness's bookkeeping is not).
The bot's own rate limiter (30 messages/s overall) stays on; the loop waits between runs so
that it never has to hold a message back — the figure is the latency of one handover on a
bot that is not saturated, not the limiter's pace.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.seed import bulk_connection, insert_stores
from bot.clock import to_db
from bot.services.codes import code_key, issue_code
from bot.storage import pickups
from bot.storage.db import Database
from tests.flows.harness import Harness

STORES = 1000
BENCH_STORES = 100            # stores whose shopkeepers do the timed handovers
OWNER_BASE = 100_000          # Telegram ids of the store owners
CUSTOMER_BASE = 200_000       # Telegram ids of the benchmark's customers
ADMIN = 900
# Chat-bound requests per run: "ask code", parcel screen, edit, receipt (+1 to spare).
REQUESTS_PER_RUN = 5
RATE_PER_SECOND = 30


def build_filler(path: Path, parcels: int, now: str) -> None:
    """Stores, their owners and ``parcels`` parcels with ledger and events, in bulk."""
    conn = bulk_connection(path)
    insert_stores(conn, STORES, OWNER_BASE, now)
    # 90% handed over, 5% waiting (each with a random code hash), 5% returned; two parcels per
    # phone number; spread over the last 300 days.
    conn.execute(
        """WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
           INSERT INTO parcels (id, tracking_id, store_id, customer_phone, customer_name, status,
               arrived_at, last_day, code_hash, picked_up_at, picked_up_by, created_at,
               updated_at)
           SELECT n, printf('BM%010dIN', n), 1 + n % ?, printf('+9199%08d', n / 2),
               'Customer ' || n,
               CASE WHEN n % 20 = 0 THEN 'arrived' WHEN n % 20 = 1 THEN 'returned'
                    ELSE 'picked_up' END,
               strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, printf('%+d minutes', -(n % 432000))),
               '2026-01-01',
               CASE WHEN n % 20 = 0 THEN lower(hex(randomblob(32))) END,
               CASE WHEN n % 20 > 1 THEN strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?,
                    printf('%+d minutes', 60 - n % 432000)) END,
               CASE WHEN n % 20 > 1 THEN ? + 1 + n % ? END,
               ?, ? FROM seq""",
        (parcels, STORES, now.replace("T", " ")[:19], now.replace("T", " ")[:19],
         OWNER_BASE, STORES, now, now))
    conn.execute("""INSERT INTO earnings (parcel_id, store_id, amount_paise, at)
                    SELECT id, store_id, 1000, picked_up_at FROM parcels
                    WHERE status = 'picked_up'""")
    conn.execute("""INSERT INTO parcel_events (parcel_id, at, event)
                    SELECT id, arrived_at, 'arrived' FROM parcels""")
    conn.execute("""INSERT INTO parcel_events (parcel_id, at, event, actor_id)
                    SELECT id, picked_up_at, 'picked_up', picked_up_by FROM parcels
                    WHERE status = 'picked_up'""")
    conn.execute("COMMIT")
    conn.close()


async def add_bench_parcels(h: Harness, db: Database, runs: int) -> list[tuple[int, int, str]]:
    """``runs`` waiting parcels with linked customers; returns (owner, customer, code) each."""
    now = h.clock.now()
    key = code_key(h.settings)
    jobs = []
    async with db.transaction() as conn:
        for i in range(runs):
            customer = CUSTOMER_BASE + i
            phone = f"+9197{i:08d}"
            store = 1 + i % BENCH_STORES
            await conn.execute(
                "INSERT INTO users (user_id, chat_id, first_name, language, first_seen, "
                "last_seen) VALUES (?, ?, 'Priya', ?, ?, ?)",
                (customer, customer, ("en", "hi", "mr")[i % 3], to_db(now), to_db(now)))
            await conn.execute("INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)",
                               (customer, phone, to_db(now)))
            cur = await conn.execute(
                "INSERT INTO parcels (tracking_id, store_id, customer_phone, customer_name, status,"
                " arrived_at, last_day, created_at, updated_at)"
                " VALUES (?, ?, ?, 'Priya', 'arrived', ?, '2026-11-09', ?, ?)",
                (f"BENCH{i:08d}", store, phone, to_db(now), to_db(now), to_db(now)))
            assert cur.lastrowid is not None
            code = await issue_code(conn, key, store, cur.lastrowid, now)
            jobs.append((OWNER_BASE + store, customer, code))
    return jobs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def main(parcels: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp), admin_ids={ADMIN})
        db = await Database.open(h.settings.db_path)  # migrations
        await db.close()
        started = time.perf_counter()
        build_filler(h.settings.db_path, parcels, to_db(h.clock.now()))
        db = await Database.open(h.settings.db_path)
        jobs = await add_bench_parcels(h, db, runs)
        total = await db.fetchval("SELECT COUNT(*) FROM parcels")
        plan = await db.fetchall(f"EXPLAIN QUERY PLAN {pickups.ARRIVED_BY_CODE}", (1, "ab"))
        await db.close()
        build = time.perf_counter() - started
        size = h.settings.db_path.stat().st_size / 2**20
        print(f"database: {total:,} parcels, {size:.0f} MiB, built in {build:.1f} s "
              f"(not part of the figures)")
        print(f"code lookup plan: {' | '.join(r['detail'] for r in plan)}")

        await h.start()
        assert h.app is not None
        try:
            for owner in {job[0] for job in jobs}:
                h.stranger(owner, first_name="Owner")
            for _, customer, _ in jobs:
                h.stranger(customer, first_name="Priya")
            code_times, confirm_times, totals = [], [], []
            for owner, customer, code in jobs:
                await asyncio.sleep(REQUESTS_PER_RUN / RATE_PER_SECOND)  # keep the limiter idle
                shop = h.person_for(owner).fake
                await h.feed(shop.send_text("/pickup"))
                update = shop.send_text(code)
                t0 = time.perf_counter()
                await h.feed(update)
                t1 = time.perf_counter()
                press = shop.press("✅ Handed over")
                t2 = time.perf_counter()
                await h.feed(press)
                t3 = time.perf_counter()
                receipt = h.api.messages(customer)
                assert len(receipt) == 1 and "BENCH" in (receipt[0].text or ""), receipt
                code_times.append(t1 - t0)
                confirm_times.append(t3 - t2)
                totals.append((t1 - t0) + (t3 - t2))
            paid = await h.svc.db.fetchval(
                "SELECT COUNT(*) FROM earnings e JOIN parcels p ON p.id = e.parcel_id "
                "WHERE p.tracking_id LIKE 'BENCH%'")
            assert paid == runs, paid
        finally:
            await h.stop()

    print(f"{runs} pickup confirmations (code typed -> confirm pressed -> customer notified):")
    for name, values in (("code -> parcel screen", code_times),
                         ("confirm -> handed over + receipt", confirm_times),
                         ("whole handover", totals)):
        print(f"  {name:34s} median {ms(statistics.median(values))}, "
              f"p99 {ms(percentile(values, 0.99))}, max {ms(max(values))}")
    med = statistics.median(totals)
    print(f"p99 / median = {percentile(totals, 0.99) / med:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.parcels, args.runs))
