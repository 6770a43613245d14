"""Broadcast delivery against the fake Bot API over real HTTP, the fake in its own process.

    .venv/bin/python -m benchmarks.broadcast rate30     # 3,000 recipients, limiter 30/s,
                                                        # Telegram's flood rules enforced
    .venv/bin/python -m benchmarks.broadcast latency30  # /start answered during a 30/s send
    .venv/bin/python -m benchmarks.broadcast rate1000   # 100,000 recipients, limiter 1,000/s
    .venv/bin/python -m benchmarks.broadcast faults     # 5 % 429 and 2 % 403 answers
    .venv/bin/python -m benchmarks.broadcast all

The bot runs in this process (the real Application: polling, handlers, rate limiter, sender,
SQLite), the fake Bot API (`python -m bot.playground.botapi`) in another, so they do not share one
core's event loop. The admin composes and sends the broadcast through the bot like a person
would (/broadcast, text, buttons). Meanwhile (except in rate30, which measures the broadcast
alone) a probe user who is not a recipient sends /start every second; the time until the bot's
answer is recorded. Rates and windows are measured by
the fake (its clock, its records); memory is this process's resident set size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.handlers.context import SERVICES_KEY
from bot.jobs.broadcast_sender import get_sender
from bot.playground.botapi import DEFAULT_TOKEN
from bot.storage import broadcasts as repo
from bot.storage.db import Database

ADMIN_ID = 900
PROBE_ID = 800
FIRST_RECIPIENT = 1_000_000


# --------------------------------------------------------------------------- the fake


class FakeProcess:
    """`python -m bot.playground.botapi` on a free port, driven through /_control."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.playground.botapi", "--port", str(self.port),
             "--token", DEFAULT_TOKEN],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError(f"fake Bot API did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    def control(self, action: str, timeout: float = 60, **args: Any) -> Any:  # noqa: ASYNC109
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_control/{action}",
            data=json.dumps(args).encode(), headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = json.loads(answer.read())
        if not body.get("ok"):
            raise RuntimeError(f"{action}: {body}")
        return body["result"]

    def cpu_seconds(self) -> float:
        """User + system CPU time the fake's process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --------------------------------------------------------------------------- measuring


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class Sampler:
    """RSS every 100 ms, and /start round trips of a probe user every second, in threads."""

    fake: FakeProcess
    probe: bool = True
    peak_kib: int = 0
    latencies: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._rss, daemon=True)]
        if self.probe:
            self._threads.append(threading.Thread(target=self._probe, daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _rss(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kib = max(self.peak_kib, rss_kib())

    def _probe(self) -> None:
        seen = 0
        while not self._stop.wait(1.0):
            started = time.perf_counter()
            self.fake.control("send_text", user_id=PROBE_ID, text="/start", language_code="en")
            answer = self.fake.control("wait_messages", chat_id=PROBE_ID, count=seen + 1,
                                       timeout=20)
            if "count" in answer:
                self.latencies.append(time.perf_counter() - started)
                seen = answer["count"]


# --------------------------------------------------------------------------- the bot side


async def prepare_database(path: Path, recipients: int) -> None:
    """Migrations, then ``recipients`` linked customers."""
    db = await Database.open(path)
    await db.close()
    now = "2026-11-02T04:30:00.000000Z"
    conn = sqlite3.connect(path)
    with conn:
        ids = range(FIRST_RECIPIENT, FIRST_RECIPIENT + recipients)
        langs = ("en", "hi", "mr")
        conn.executemany(
            "INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)"
            " VALUES (?, ?, 'Shop', ?, ?, ?)",
            ((uid, uid, langs[uid % 3], now, now) for uid in ids),
        )
        conn.executemany(
            "INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)",
            ((uid, f"+9190{uid:08d}", now) for uid in ids),
        )
    conn.close()


@dataclass
class Scenario:
    name: str
    recipients: int
    rate: int
    flood: bool = False
    faults: dict[str, float] | None = None
    concurrency: int = 8
    probe: bool = True


async def press(fake: FakeProcess, user_id: int, pattern: str) -> None:
    """Press the newest button whose text matches ``pattern`` (a regex)."""
    messages = await asyncio.to_thread(fake.control, "messages", chat_id=user_id)
    for message in reversed(messages):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if re.search(pattern, button["text"]):
                    await asyncio.to_thread(fake.control, "press", user_id=user_id,
                                            data=button["callback_data"])
                    return
    raise RuntimeError(f"no button {pattern!r} for {user_id}")


async def wait_for_messages(fake: FakeProcess, chat_id: int, count: int) -> dict[str, Any]:
    answer = await asyncio.to_thread(fake.control, "wait_messages", chat_id=chat_id,
                                     count=count, timeout=30)
    if "timeout" in answer:
        raise RuntimeError(answer["timeout"])
    return answer


async def run_scenario(sc: Scenario) -> dict[str, Any]:
    fake = FakeProcess()
    tmp = tempfile.TemporaryDirectory()
    try:
        db_path = Path(tmp.name) / "kirana.sqlite3"
        started = time.perf_counter()
        await prepare_database(db_path, sc.recipients)
        fake.control("users_bulk", first_id=FIRST_RECIPIENT, count=sc.recipients)
        fake.control("users_bulk", first_id=PROBE_ID, count=1)
        setup_s = time.perf_counter() - started

        settings = Settings(
            bot_token=DEFAULT_TOKEN, admin_ids=frozenset({ADMIN_ID}), db_path=db_path,
            api_base_url=fake.base_url, rate_global_per_second=sc.rate,
            rate_per_chat_seconds=1.0, broadcast_concurrency=sc.concurrency,
            log_level="WARNING",
        )
        app = build_application(settings)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        await app.start()
        svc = app.bot_data[SERVICES_KEY]
        try:
            # The admin composes the notice through the bot.
            await asyncio.to_thread(fake.control, "send_text", user_id=ADMIN_ID, text="/start",
                                    language_code="en")
            n = 1
            await wait_for_messages(fake, ADMIN_ID, n)
            await press(fake, ADMIN_ID, "^English$")
            n += 1  # the greeting is edited in place; the menu comes
            await wait_for_messages(fake, ADMIN_ID, n)
            for text in ("/broadcast", "Shops: new parcel hours from Monday, 9 am to 9 pm."):
                await asyncio.to_thread(fake.control, "send_text", user_id=ADMIN_ID, text=text)
                n += 1
                await wait_for_messages(fake, ADMIN_ID, n)
            await press(fake, ADMIN_ID, "Choose who gets it")
            n += 1
            await wait_for_messages(fake, ADMIN_ID, n)
            await press(fake, ADMIN_ID, "All linked customers")
            n += 4  # three previews and the summary
            await wait_for_messages(fake, ADMIN_ID, n)
            if sc.flood:
                fake.control("configure", flood={"global_per_second": sc.rate,
                                                 "per_chat_interval": 1.0})
            if sc.faults:
                fake.control("configure", faults={**sc.faults, "seed": 1})
            fake.control("clear_records")

            sampler = Sampler(fake, probe=sc.probe)
            baseline_kib = rss_kib()
            sampler.start()
            pressed = time.perf_counter()
            pressed_at = time.monotonic()  # the fake records with the same system-wide clock
            cpu_bot, cpu_fake = time.process_time(), fake.cpu_seconds()
            await press(fake, ADMIN_ID, "^✅ Send to")
            sender = get_sender(svc)
            assert sender is not None
            while True:  # the broadcast row appears once the press is handled
                if await repo.get(svc.db, 1) is not None:
                    break
                await asyncio.sleep(0.05)
            await sender.wait_done(1, timeout=sc.recipients / sc.rate * 3 + 60)
            elapsed = time.perf_counter() - pressed
            cpu_bot, cpu_fake = time.process_time() - cpu_bot, fake.cpu_seconds() - cpu_fake
            sampler.stop()
            final_counts = await repo.counts(svc.db, 1)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)

        timeline = fake.control("send_timeline", first_id=FIRST_RECIPIENT, count=sc.recipients)
        report = fake.control("delivery_report", first_id=FIRST_RECIPIENT, count=sc.recipients)
        stats = fake.control("stats")
        span = (timeline["last"] - timeline["first"]) if timeline["delivered"] > 1 else 0
        rate = (timeline["delivered"] - 1) / span if span else 0.0
        lat = sampler.latencies
        return {
            "scenario": sc.name,
            "recipients": sc.recipients,
            "limit_per_s": sc.rate,
            "setup_s": round(setup_s, 1),
            "press_to_done_s": round(elapsed, 1),
            "press_to_first_message_s": round(timeline["first"] - pressed_at, 2)
            if timeline["first"] else None,
            "delivered": timeline["delivered"],
            "achieved_per_s": round(rate, 1),
            "ratio_of_limit": round(rate / sc.rate, 4),
            "max_sendMessage_in_any_1s": timeline["max_in_any_second"],
            "flood_violations": stats["flood_violations"],
            "flood_kinds": stats["flood_kinds"],
            "injected_faults": stats["injected"],
            "answers_429": timeline["refused_429"],
            "db_states": final_counts,
            "missing": report["missing"],
            "duplicates": report["duplicates"],
            "blocked_in_fake": report["blocked"],
            "cpu_busy_bot": round(cpu_bot / elapsed, 2),
            "cpu_busy_fake": round(cpu_fake / elapsed, 2),
            "bot_cpu_ms_per_message": round(cpu_bot / max(1, timeline["delivered"]) * 1000, 3),
            "rss_baseline_mib": round(baseline_kib / 1024, 1),
            "rss_peak_mib": round(sampler.peak_kib / 1024, 1),
            "rss_growth_mib": round((sampler.peak_kib - baseline_kib) / 1024, 1),
            "start_probes": len(lat),
            "start_latency_median_ms": round(statistics.median(lat) * 1000) if lat else None,
            "start_latency_p95_ms": round(_p95(lat) * 1000) if lat else None,
            "start_latency_max_ms": round(max(lat) * 1000) if lat else None,
        }
    finally:
        fake.close()
        tmp.cleanup()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


SCENARIOS = {
    "rate30": Scenario("rate30", recipients=3_000, rate=30, flood=True, probe=False),
    "latency30": Scenario("latency30", recipients=900, rate=30, flood=True),
    "rate1000": Scenario("rate1000", recipients=100_000, rate=1000, flood=True),
    "faults": Scenario("faults", recipients=10_000, rate=1000, probe=False,
                       faults={"p429": 0.05, "p403": 0.02}),
}


def check(result: dict[str, Any]) -> list[str]:
    """What the issue asks of each scenario; empty when all is well."""
    problems = []
    name = result["scenario"]
    states = result["db_states"]
    if sum(states.values()) != result["recipients"]:
        problems.append("recipient states do not add up")
    if result["duplicates"]:
        problems.append("duplicates")
    if name == "faults":
        if result["missing"] != result["blocked_in_fake"]:
            problems.append("missing deliveries beyond the blocked users")
        if states.get("blocked", 0) != result["blocked_in_fake"]:
            problems.append("blocked count differs from the 403s")
    elif result["missing"]:
        problems.append("missing deliveries")
    if name == "rate30" and result["ratio_of_limit"] < 0.97:
        problems.append("below 97 % of the limit")
    if result["flood_violations"] or result["max_sendMessage_in_any_1s"] > result["limit_per_s"]:
        problems.append("flood rule broken")
    latency = result["start_latency_p95_ms"]
    if latency is not None and latency > 1000:
        problems.append("/start not answered within about a second")
    if name == "rate1000" and result["achieved_per_s"] < 900:
        problems.append("below 900 msg/s")
    return problems


async def main(names: list[str], concurrency: int | None) -> int:
    logging.basicConfig(level=logging.WARNING)
    failed = 0
    for name in names:
        sc = SCENARIOS[name]
        if concurrency:
            sc.concurrency = concurrency
        result = await run_scenario(sc)
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
    parser.add_argument("--concurrency", type=int, default=None,
                        help="broadcast requests in flight (KIRANA_BROADCAST_CONCURRENCY)")
    args = parser.parse_args()
    chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(1 if asyncio.run(main(chosen, args.concurrency)) else 0)
