"""Messages to others through the outbox, against the fake Bot API over real HTTP (its own
process, flood rules on: 30 sendMessage per sliding second, 1 s per private chat, 429 beyond).

    .venv/bin/python -m benchmarks.wave wave        # 5 shopkeepers × 30 ids in one /receive at
                                                    # once; 150 notices (map link in each);
                                                    # bystanders send /start every 0.5 s,
                                                    # 4 users taking turns (each chat ≤ 1/s);
                                                    # --bystanders 1: one user, whose own
                                                    # chat then draws 429s on its replies
    .venv/bin/python -m benchmarks.wave wave429     # the same with 5 % random 429s
                                                    # (retry_after 3 s)
    .venv/bin/python -m benchmarks.wave faults      # the same with 20 % 5xx, 5 % hangs (8 s),
                                                    # 5 % resets on sendMessage
    .venv/bin/python -m benchmarks.wave bulk10k     # 10,000 queued notices, limit 1,000/s
    .venv/bin/python -m benchmarks.wave all

The bot runs in this process as ``kirana-bot run`` runs it (``bot.inbox.runner.serve``: the
durable inbox, chats handled concurrently, reply retries; handlers, rate limiter, outbox sender,
SQLite), the fake in another. Shopkeepers and the bystander act through the fake's
control endpoints like people would; their waiting time is measured from the moment their
message is put in the fake's update queue to the moment the bot's answer is recorded. Rates
are measured by the fake (its records, its clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.broadcast import FakeProcess, rss_kib
from bot import outbox
from bot.app import build_application
from bot.clock import SystemClock, to_db
from bot.config import Settings
from bot.handlers.context import SERVICES_KEY
from bot.inbox import INBOX_KEY
from bot.inbox.runner import serve
from bot.outbox import store as outbox_store
from bot.outbox.sender import get_sender
from bot.services.context import Services
from bot.storage.db import Database
from tests.factories import approved_store, linked_customer
from tests.fakebotapi import DEFAULT_TOKEN
from tests.flows.parcel_helpers import load_manifest

ADMIN_ID = 900
BYSTANDER = 800
SHOPS = [201, 202, 203, 204, 205]
PER_SHOP = 30
FIRST_CUSTOMER = 300_000
BYSTANDER_INTERVAL = 0.5
# The bystander stream (/start every 0.5 s) rotates over this many users, so that each one's
# own chat gets at most one reply a second (the fake enforces Telegram's 1 s per private chat).
# --bystanders 1 is the single-user variant: its own replies then draw 429s.
BYSTANDERS = 4
# Few connections: httpcore scans every pooled connection for each request (at 64 the scan
# costs more than the request); 16 in flight are plenty on a fast link.
BULK_CONCURRENCY = 16


def customer_id(shop_index: int, k: int) -> int:
    return FIRST_CUSTOMER + shop_index * 1000 + k


def tracking(uid: int) -> str:
    return f"TRK{uid:08d}"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def ms(value: float | None) -> int | None:
    return None if value is None else round(value * 1000)


@dataclass
class Bystander:
    """/start every ``interval`` seconds (after the previous answer), in a thread; the time
    until the bot answers."""

    fake: FakeProcess
    interval: float = 0.5
    users: int = 1
    latencies: list[float] = field(default_factory=list)
    refused: list[bool] = field(default_factory=list)   # its own reply drew a 429
    unanswered: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        ids = bystander_ids(self.users)
        seen = {u: len(self.fake.control("messages", chat_id=u)) for u in ids}
        turn = 0
        while not self._stop.wait(self.interval):
            user = ids[turn % len(ids)]
            turn += 1
            refused_before = self.fake.control("refused", chat_id=user)
            started = time.perf_counter()
            self.fake.control("send_text", user_id=user, text="/start", language_code="en")
            answer = self.fake.control("wait_messages", chat_id=user, count=seen[user] + 1,
                                       timeout=20)
            if "count" in answer:
                self.latencies.append(time.perf_counter() - started)
                self.refused.append(
                    self.fake.control("refused", chat_id=user) > refused_before)
                seen[user] = answer["count"]
            else:
                self.unanswered += 1
                # its answer may still come: count from what is there now
                seen[user] = len(self.fake.control("messages", chat_id=user))


def bystander_ids(n: int) -> list[int]:
    return [BYSTANDER + i for i in range(n)]


@dataclass
class Scenario:
    name: str
    faults: dict[str, float] | None = None
    bulk: int = 0          # bulk10k: notices queued before the start, no shopkeepers
    rate: int = 30
    kind: str = "parcel.arrival_notice"


SCENARIOS = {
    "wave": Scenario("wave"),
    "wave429": Scenario("wave429", faults={"p429": 0.05, "retry_after": 3}),
    "faults": Scenario("faults", faults={"p5xx": 0.2, "p_hang": 0.05, "p_reset": 0.05,
                                         "hang_seconds": 8}),
    "bulk10k": Scenario("bulk10k", bulk=10_000, rate=1000),
    # The same 10,000 messages with a renderer that reads nothing and issues no code: what the
    # sender's own machinery (selection, rate limiter, HTTP, group commit) costs.
    "bulk10k_plain": Scenario("bulk10k_plain", bulk=10_000, rate=1000, kind="bench.plain"),
}


@outbox.renderer("bench.plain")
async def render_plain(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    return outbox.OutMessage(ctx.t.gettext("📦 Your parcel <b>{tracking}</b> has arrived!")
                             .format(tracking=payload["parcel_id"]))


async def prepare_wave(db_path: Path, fake: FakeProcess) -> None:
    """5 approved stores with a map location, 150 linked customers, their parcels expected."""
    db = await Database.open(db_path)
    svc = Services(settings=Settings(bot_token=DEFAULT_TOKEN, db_path=db_path), db=db,
                   clock=SystemClock())
    rows = []
    for i, shop in enumerate(SHOPS):
        _, code = await approved_store(svc, shop, shop_name=f"Kirana {i + 1}", capacity=100)
        for k in range(PER_SHOP):
            uid = customer_id(i, k)
            phone = f"97{uid:08d}"
            await linked_customer(svc, uid, "+91" + phone, language=("en", "hi", "mr")[k % 3])
            rows.append((tracking(uid), code, phone, "Priya"))
    await load_manifest(svc, *rows)
    await db.close()
    for shop in SHOPS:
        fake.control("users_bulk", first_id=shop, count=1)
    for i in range(len(SHOPS)):
        fake.control("users_bulk", first_id=customer_id(i, 0), count=PER_SHOP)


async def prepare_bulk(db_path: Path, fake: FakeProcess, count: int,
                       kind: str = "parcel.arrival_notice") -> None:
    """``count`` customers with an arrived parcel each and its notice queued (100 stores)."""
    db = await Database.open(db_path)
    svc = Services(settings=Settings(bot_token=DEFAULT_TOKEN, db_path=db_path), db=db,
                   clock=SystemClock())
    stores = []
    for s in range(100):
        store_id, _ = await approved_store(svc, 10_000 + s, shop_name=f"Kirana {s}",
                                           capacity=500)
        stores.append(store_id)
    await db.close()
    now = to_db(SystemClock().now())
    conn = sqlite3.connect(db_path)
    with conn:
        ids = range(FIRST_CUSTOMER, FIRST_CUSTOMER + count)
        conn.executemany(
            "INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)"
            " VALUES (?, ?, 'Priya', ?, ?, ?)",
            ((u, u, ("en", "hi", "mr")[u % 3], now, now) for u in ids))
        conn.executemany("INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)",
                         ((u, f"+9196{u:08d}", now) for u in ids))
        conn.executemany(
            "INSERT INTO parcels (tracking_id, store_id, customer_phone, status, arrived_at, "
            "last_day, notice_attempt_at, created_at, updated_at) "
            "VALUES (?, ?, ?, 'arrived', ?, '2099-01-01', ?, ?, ?)",
            ((tracking(u), stores[u % 100], f"+9196{u:08d}", now, now, now, now) for u in ids))
        conn.execute(
            "INSERT INTO outbox (chat_id, kind, payload, priority, dedupe_key, not_before, "
            "created_at) SELECT c.user_id, ?, "
            "json_object('parcel_id', p.id, 'user_id', c.user_id), 1, 'notice:' || p.id, ?, ? "
            "FROM parcels p JOIN customers c ON c.phone = p.customer_phone ORDER BY p.id",
            (kind, now, now))
    conn.close()
    fake.control("users_bulk", first_id=FIRST_CUSTOMER, count=count)


async def start_app(settings: Settings):  # noqa: ANN201
    """The bot as ``kirana-bot run`` runs it: polling through the inbox (bot/inbox/runner.py),
    updates of different chats handled concurrently, each chat in order."""
    app = build_application(settings)
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(serve(app, settings, stop))
    while INBOX_KEY not in app.bot_data:  # started: database open, outbox and inbox running
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    app.bot_data["_bench_stop"] = (stop, task)
    return app


async def stop_app(app) -> None:  # noqa: ANN001
    stop, task = app.bot_data["_bench_stop"]
    stop.set()
    await task


async def control(fake: FakeProcess, action: str, **args: Any) -> Any:
    return await asyncio.to_thread(fake.control, action, **args)


async def run_wave(sc: Scenario, fake: FakeProcess, db_path: Path) -> dict[str, Any]:
    await prepare_wave(db_path, fake)
    fake.control("users_bulk", first_id=BYSTANDER, count=BYSTANDERS)
    settings = Settings(bot_token=DEFAULT_TOKEN, admin_ids=frozenset({ADMIN_ID}),
                        db_path=db_path, api_base_url=fake.base_url,
                        rate_global_per_second=sc.rate, rate_per_chat_seconds=1.0,
                        log_level="WARNING")
    app = await start_app(settings)
    svc = app.bot_data[SERVICES_KEY]
    customers = [customer_id(i, k) for i in range(len(SHOPS)) for k in range(PER_SHOP)]
    try:
        for shop in SHOPS:  # each opens /receive (before the wave; not measured)
            await control(fake, "send_text", user_id=shop, text="/receive", language_code="en")
            await control(fake, "wait_messages", chat_id=shop, count=1, timeout=30)
        fake.control("configure", flood={"global_per_second": 30, "per_chat_interval": 1.0})
        if sc.faults:
            fake.control("configure", faults={**sc.faults, "seed": 1})
        fake.control("clear_records")
        bystander = Bystander(fake, interval=BYSTANDER_INTERVAL, users=BYSTANDERS)
        bystander.start()
        await asyncio.sleep(1.0)  # the bystander's idle answers first
        idle = list(bystander.latencies)
        wave_started = time.monotonic()

        async def receive(i: int, shop: int) -> float:
            ids = "\n".join(tracking(customer_id(i, k)) for k in range(PER_SHOP))
            started = time.perf_counter()
            await control(fake, "send_text", user_id=shop, text=ids)
            answer = await control(fake, "wait_messages", chat_id=shop, count=2, timeout=60)
            assert "count" in answer, answer
            return time.perf_counter() - started

        report_s = await asyncio.gather(*(receive(i, s) for i, s in enumerate(SHOPS)))
        sender = get_sender(svc)
        assert sender is not None
        await sender.wait_settled(timeout=600)
        wave_s = time.monotonic() - wave_started
        # In a thread: joining the bystander's thread on the event loop would freeze the bot
        # while a probe waits for its answer (the "unanswered" probe of the earlier runs).
        await asyncio.to_thread(bystander.stop)
        during = bystander.latencies[len(idle):]
        refused = bystander.refused[len(idle):]
        # Probes whose own reply drew a (random) 429 must wait its retry_after: Telegram's rule
        # for that chat. "Nobody waits for someone else" is the others.
        not_refused = [x for x, own in zip(during, refused, strict=True) if not own]
        states = await outbox_store.counts(svc.db)
    finally:
        await stop_app(app)
    timeline = fake.control("send_timeline", first_id=customers[0], count=1)  # for first/last
    report = {
        "missing": 0, "duplicates": 0}
    delivered = {}
    for i in range(len(SHOPS)):
        r = fake.control("delivery_report", first_id=customer_id(i, 0), count=PER_SHOP)
        report["missing"] += r["missing"]
        report["duplicates"] += r["duplicates"]
        t = fake.control("send_timeline", first_id=customer_id(i, 0), count=PER_SHOP)
        delivered[i] = t
    firsts = [t["first"] for t in delivered.values() if t["first"]]
    lasts = [t["last"] for t in delivered.values() if t["last"]]
    n = sum(t["delivered"] for t in delivered.values())
    span = max(lasts) - min(firsts) if firsts and lasts else 0
    rate = (n - 1) / span if span else 0.0
    stats = fake.control("stats")
    replies_in_span = replies_between(fake, set(customers), min(firsts), max(lasts)) \
        if firsts and lasts else 0
    # What the replies (bystander /start answers, receive reports) left of 30/s in the span:
    # they go first by design, so this is the most the notices could have had (a smooth
    # sender; benchmarks/README.md, "the ceiling").
    left = 30 - replies_in_span / span if span else 0.0
    in_bystander_chats = sum(stats["flood_chats"].get(str(u), 0) for u in bystander_ids(BYSTANDERS))
    del timeline
    return {
        "scenario": sc.name,
        "notices_owed": len(customers),
        "notice_messages_delivered": n,
        "notices_span_s": round(span, 2),
        "notices_per_s": round(rate, 1),
        "notices_ratio_of_30": round(rate / 30, 3),
        "replies_in_notices_span": replies_in_span,
        "capacity_left_after_replies_per_s": round(left, 1),
        "notices_ratio_of_capacity_left": round(rate / left, 3) if left else None,
        "max_sendMessage_in_any_1s": stats_max(fake),
        # 429s the bot provoked itself, in the chats of notices and shopkeepers, and in the
        # bystander's own chat (its /start every 0.5 s asks for replies closer than 1 s).
        "flood_violations_self_provoked": stats["flood_violations"] - in_bystander_chats,
        "flood_violations_bystander_chats": in_bystander_chats,
        "bystander_users": BYSTANDERS,
        "bystander_interval_s": BYSTANDER_INTERVAL,
        "flood_kinds": stats["flood_kinds"],
        "all_sendMessage_per_s_during_notices": all_rate(fake, min(firsts), max(lasts))
        if firsts and lasts else None,
        "all_sendMessage_ratio_of_30": round(all_rate(fake, min(firsts), max(lasts)) / 30, 3)
        if firsts and lasts else None,
        "injected_faults": stats["injected"],
        "outbox_states": states,
        "missing": report["missing"],
        "duplicates": report["duplicates"],
        "receive_report_s": [round(x, 3) for x in report_s],
        "receive_report_max_s": round(max(report_s), 3),
        "wave_until_outbox_empty_s": round(wave_s, 1),
        "bystander_idle_ms": [ms(x) for x in idle],
        "bystander_probes": len(during),
        "bystander_unanswered": bystander.unanswered,
        "bystander_median_ms": ms(statistics.median(during)) if during else None,
        "bystander_p95_ms": ms(_p95(during)) if during else None,
        "bystander_max_ms": ms(max(during)) if during else None,
        "bystander_probes_own_reply_refused": sum(refused),
        "bystander_p95_ms_own_reply_not_refused": ms(_p95(not_refused)) if not_refused else None,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def all_rate(fake: FakeProcess, first: float, last: float) -> float:
    """Successful sendMessage per second, every chat, between the first and last notice."""
    times = fake.control("send_times")
    inside = [t for t in times if first <= t <= last]
    return round((len(inside) - 1) / (last - first), 1) if last > first else 0.0


def replies_between(fake: FakeProcess, notice_chats: set[int], first: float,
                    last: float) -> int:
    """Successful sendMessage to chats other than the notices' between the first and last
    notice (the fake's log)."""
    return sum(1 for t, chat, status in fake.control("send_log")
               if status == 200 and first <= t <= last and chat not in notice_chats)


def stats_max(fake: FakeProcess) -> int:
    return fake.control("send_timeline", first_id=0, count=1)["max_in_any_second"]


async def run_bulk(sc: Scenario, fake: FakeProcess, db_path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    await prepare_bulk(db_path, fake, sc.bulk, sc.kind)
    setup_s = time.perf_counter() - started
    fake.control("configure", flood={"global_per_second": sc.rate, "per_chat_interval": 1.0})
    fake.control("clear_records")
    settings = Settings(bot_token=DEFAULT_TOKEN, admin_ids=frozenset({ADMIN_ID}),
                        db_path=db_path, api_base_url=fake.base_url,
                        rate_global_per_second=sc.rate, rate_per_chat_seconds=1.0,
                        outbox_concurrency=BULK_CONCURRENCY, log_level="WARNING")
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append((time.perf_counter(), rss_kib()))

    thread = threading.Thread(target=sample, daemon=True)
    begun = time.perf_counter()
    cpu = time.process_time()
    cpu_fake = fake.cpu_seconds()
    app = await start_app(settings)  # the start-up sweep finds the 10,000 rows
    thread.start()
    svc = app.bot_data[SERVICES_KEY]
    try:
        sender = get_sender(svc)
        assert sender is not None
        await sender.wait_settled(timeout=600)
        elapsed = time.perf_counter() - begun
        cpu = time.process_time() - cpu
        cpu_fake = fake.cpu_seconds() - cpu_fake
        states = await outbox_store.counts(svc.db)
    finally:
        stop.set()
        thread.join(5)
        await stop_app(app)
    timeline = fake.control("send_timeline", first_id=FIRST_CUSTOMER, count=sc.bulk)
    report = fake.control("delivery_report", first_id=FIRST_CUSTOMER, count=sc.bulk)
    stats = fake.control("stats")
    span = (timeline["last"] - timeline["first"]) if timeline["delivered"] > 1 else 0
    rate = (timeline["delivered"] - 1) / span if span else 0.0
    rss = [k for _, k in samples]
    quarter = max(1, len(rss) // 4)
    return {
        "scenario": sc.name,
        "queued": sc.bulk,
        "limit_per_s": sc.rate,
        "setup_s": round(setup_s, 1),
        "start_to_empty_s": round(elapsed, 1),
        "delivered": timeline["delivered"],
        "sends_per_s": round(rate, 1),
        "ratio_of_limit": round(rate / sc.rate, 3),
        "max_sendMessage_in_any_1s": timeline["max_in_any_second"],
        "flood_violations": stats["flood_violations"],
        "outbox_states": states,
        "missing": report["missing"],
        "duplicates": report["duplicates"],
        "bot_cpu_ms_per_message": round(cpu / max(1, timeline["delivered"]) * 1000, 3),
        "cpu_busy_bot": round(cpu / elapsed, 2),
        "cpu_busy_fake": round(cpu_fake / elapsed, 2),
        "load_average_1min": os.getloadavg()[0],
        "rss_first_quarter_mib": round(max(rss[:quarter]) / 1024, 1) if rss else None,
        "rss_last_quarter_mib": round(max(rss[-quarter:]) / 1024, 1) if rss else None,
        "rss_peak_mib": round(max(rss) / 1024, 1) if rss else None,
    }


def check(r: dict[str, Any]) -> list[str]:
    problems = []
    name = r["scenario"]
    states = r["outbox_states"]
    if states.get("pending"):
        problems.append("rows left pending")
    if name.startswith("bulk10k"):
        if r["sends_per_s"] < 900:
            problems.append("below 900 sends/s")
        if r["missing"] or r["duplicates"]:
            problems.append("lost or duplicated")
        if r["rss_last_quarter_mib"] and r["rss_first_quarter_mib"] and (
                r["rss_last_quarter_mib"] - r["rss_first_quarter_mib"] > 20):
            problems.append("memory grows")
        return problems
    recorded = sum(states.get(s, 0) for s in ("sent", "failed", "blocked", "dropped"))
    if recorded < r["notices_owed"]:
        problems.append("messages neither delivered nor recorded")
    if name in ("wave", "wave429"):
        if r["missing"] or r["duplicates"]:
            problems.append("lost or duplicated")
        if r["flood_violations_self_provoked"]:
            problems.append("self-provoked 429")
        if r["receive_report_max_s"] > 1.0:
            problems.append("a receive report took over 1 s")
    if name == "wave":
        if r["notices_ratio_of_30"] < 0.95:
            problems.append("notices below 95 % of 30/s")
        if (r["bystander_p95_ms"] or 0) > 300:
            problems.append("bystander p95 over 300 ms")
    # With 5 % random 429s a probe's own reply is refused about one time in twenty and must
    # wait its retry_after (3 s) — that alone puts the p95 of ~10 probes at 3 s in about half
    # the runs. The target is about waiting for *others*' 429s: judged on the other probes
    # (both figures are printed).
    if name == "wave429" and (r["bystander_p95_ms_own_reply_not_refused"] or 0) > 500:
        problems.append("bystander p95 over 500 ms (probes whose own reply was not refused)")
    if name == "faults":
        if r["missing"] > states.get("failed", 0):
            problems.append("lost messages")
        if r["bystander_probes"] == 0:
            problems.append("bystander never answered")
    return problems


async def main(names: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR)
    failed = 0
    for name in names:
        sc = SCENARIOS[name]
        fake = FakeProcess()
        tmp = tempfile.TemporaryDirectory()
        try:
            db_path = Path(tmp.name) / "kirana.sqlite3"
            if sc.bulk:
                result = await run_bulk(sc, fake, db_path)
            else:
                result = await run_wave(sc, fake, db_path)
        finally:
            fake.close()
            tmp.cleanup()
        problems = check(result)
        result["ok"] = not problems
        result["problems"] = problems
        print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
        failed += bool(problems)
    return failed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--interval", type=float, default=0.5,
                        help="seconds between the bystander's answer and its next /start")
    parser.add_argument("--bystanders", type=int, default=BYSTANDERS,
                        help="users taking turns in the bystander stream (1: one user whose "
                             "own chat then gets replies closer than Telegram's 1 s)")
    parser.add_argument("--concurrency", type=int, default=BULK_CONCURRENCY,
                        help="bulk10k: outbox messages in flight (KIRANA_OUTBOX_CONCURRENCY)")
    args = parser.parse_args()
    BYSTANDER_INTERVAL = args.interval
    BULK_CONCURRENCY = args.concurrency
    BYSTANDERS = args.bystanders
    chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(1 if asyncio.run(main(chosen)) else 0)
