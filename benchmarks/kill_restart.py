"""Kill -9 at random moments during a mixed load; nothing lost, nothing applied twice.

    .venv/bin/python -m benchmarks.kill_restart [--kills 20] [--shops 6] [--newcomers 8]
                                                [--seed 1] [--p429 0]

The real ``kirana-bot run`` process polls the fake Bot API over HTTP (flood rules on: 30
messages/s, 1 s between messages to one chat). Meanwhile, each at its own pace:

* newcomers: /start, English, "Run a partner store", then four onboarding answers;
* shopkeepers (approved stores, set up before): /receive with two expected tracking ids, then
  for each of their arrived parcels /pickup, the code, "✅ Handed over";
* the admin: /broadcast to all approved stores, through the compose buttons.

Each person waits for the bot's answer to a message before sending the next (a person at a
counter does). ``--kills`` times, at a random moment 0.3–2 s after the bot's previous start,
the process gets SIGKILL and is started again at once. At the end:

* every message that reached the bot got its effect (the drafts hold every answer at the right
  step; parcels received and handed over) and its answer (each step's expected reply);
* repeated replies: bot messages identical to the one before them in the same chat — at most
  one per kill is allowed (the reply in flight);
* no handover paid twice (earnings rows per parcel), every broadcast recipient got it once.

With ``--bystander`` it also measures a bystander's /start latency, idle and with 5% random
429s (retry_after 3 s) on sendMessage, without kills.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.playground.botapi.core import WaitTimeout
from bot.services.context import Services
from bot.storage.db import Database
from tests.factories import approved_store
from tests.fakebotapi import BotMessage, FakeBotAPI, FakeBotAPIServer, FakeUser
from tests.flows.parcel_helpers import load_manifest
from tests.parcel_factory import arrived_parcel

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")
ADMIN = 900
SHOP_BASE = 2001
NEWCOMER_BASE = 3001
STEP_TIMEOUT = 120.0


class Bot:
    def __init__(self, api: FakeBotAPI, base_url: str, file_url: str, work: Path) -> None:
        self.api, self.base_url, self.file_url, self.work = api, base_url, file_url, work
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.log_path = work / "bot.log"

    async def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "KIRANA_BOT_TOKEN": self.api.token,
            "KIRANA_API_BASE_URL": self.base_url,
            "KIRANA_API_FILE_URL": self.file_url,
            "KIRANA_DB_PATH": str(self.work / "kirana.sqlite3"),
            "KIRANA_ADMIN_IDS": str(ADMIN),
        }
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "run", env=env, cwd=self.work, stdout=log, stderr=log)
        self.starts += 1

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        return self.proc.returncode or 0


class Person:
    """Sends a message, then waits until the bot answered it (a predicate on the chat)."""

    def __init__(self, api: FakeBotAPI, fake: FakeUser) -> None:
        self.api, self.fake = api, fake
        self.steps = 0

    def messages(self) -> list[BotMessage]:
        return self.api.messages(self.fake.user_id)

    async def until(self, description: str, ok: Callable[[], object]) -> None:
        try:
            await self.api.wait_for(ok, timeout=STEP_TIMEOUT,
                                    description=f"chat {self.fake.user_id}: {description}")
        except WaitTimeout as exc:
            texts = [(m.text or "")[:80] for m in self.messages()[-4:]]
            from collections import Counter
            print(Counter((r.method, r.status) for r in self.api.requests),
                  Counter(v.kind for v in self.api.flood_violation_log), file=sys.stderr)
            raise WaitTimeout(f"{exc}; last messages: {texts}") from None
        self.steps += 1

    async def say(self, text: str, *markers: str) -> None:
        """Send ``text``; the answer is a message (new since now) containing one of
        ``markers`` (a replay after a kill may answer "already done" instead)."""
        seen = len(self.messages())
        self.fake.send_text(text)
        await self.until(f"{text!r} -> {markers!r}", lambda: any(
            marker in (m.text or "") for m in self.messages()[seen:] for marker in markers))

    async def press(self, button: str, marker: str, *, answered_ok: bool = False) -> None:
        """Press ``button`` (once it is shown); the answer contains ``marker`` — in a new
        message or an edit — or, with ``answered_ok``, is the button's own answer."""
        def shown() -> BotMessage | None:
            for m in reversed(self.messages()):
                if button in m.button_texts():
                    return m
            return None

        await self.until(f"button {button!r} shown", shown)
        target = shown()
        assert target is not None
        versions = {m.message_id: m.edit_count for m in self.messages()}
        answers = len(self.fake.callback_answers())
        self.fake.press(button, message_id=target.message_id)

        def answered() -> bool:
            for m in self.messages():
                if versions.get(m.message_id, -1) < m.edit_count and marker in (m.text or ""):
                    return True
            return answered_ok and len(self.fake.callback_answers()) > answers

        await self.until(f"press {button!r} -> {marker!r}", answered)


async def prepare(db_path: Path, api: FakeBotAPI, shops: int) -> dict[int, list[str]]:
    """Approved stores with arrived parcels (codes returned) and expected parcels."""
    settings = Settings(bot_token=api.token, db_path=db_path, admin_ids=frozenset({ADMIN}))
    db = await Database.open(db_path)
    svc = Services(settings=settings, db=db, clock=SystemClock())
    codes: dict[int, list[str]] = {}
    try:
        for i in range(shops):
            owner = SHOP_BASE + i
            store_id, store_code = await approved_store(svc, owner)
            codes[owner] = [
                (await arrived_parcel(svc, store_id, tracking_id=f"TRKP{owner}{k:03d}"))[2]
                for k in range(2)]
            await load_manifest(svc, *[(f"TRKR{owner}{k:03d}", store_code, "9876543210", "Priya")
                                       for k in range(2)])
    finally:
        await db.close()
    return codes


async def newcomer(api: FakeBotAPI, n: int) -> Person:
    p = Person(api, api.user(NEWCOMER_BASE + n, first_name="Sunita", language_code="en"))
    await p.say("/start", "Namaste")
    await p.press("English", "What brings you here?")
    await p.press("🏪 Run a partner store", "Step 1 of 9")
    await p.say(f"Shop Number {n}", "Step 2 of 9")
    await p.say(f"Owner Number {n}", "Step 3 of 9")
    await p.say(f"98220 1{n:04d}", "Step 4 of 9")
    await p.say(f"Shop {n}, MG Road, Kothrud, Pune", "Step 5 of 9")
    return p


async def shopkeeper(api: FakeBotAPI, owner: int, codes: list[str]) -> Person:
    p = Person(api, api.user(owner, first_name="Ramesh", language_code="en"))
    await p.say("/receive", "Send the tracking ids")
    await p.say(f"TRKR{owner}000\nTRKR{owner}001", "✅ Arrived", "Already received earlier")
    for code in codes:
        await p.say("/pickup", "Ask the customer for their pickup code")
        await p.say(code, "📦 Parcel found")
        await p.press("✅ Handed over", "added to your earnings", answered_ok=True)
    return p


async def admin(api: FakeBotAPI, shops: int) -> Person:
    p = Person(api, api.user(ADMIN, first_name="Ravi", language_code="en"))
    await p.say("/start", "Namaste")
    await p.press("English", "What")
    await p.say("/broadcast", "")
    await p.say("Shop timings change on Sunday", "")
    await p.press("👥 Choose who gets it ➜", "")
    await p.press("🏪 All approved stores", "Ready to send")
    await p.press(f"✅ Send to {shops} people", "Broadcast #1", answered_ok=True)
    await p.until("broadcast report", lambda: any(
        "Broadcast #1</b> is finished" in (m.text or "") or "Broadcast #1 is finished" in
        (m.text or "") for m in p.messages()))
    return p


def repeats(messages: list[BotMessage]) -> int:
    """Bot messages identical to the one before them (the reply in flight, sent again)."""
    texts = [(m.text or m.caption or "", m.kind) for m in messages]
    return sum(1 for a, b in zip(texts, texts[1:], strict=False) if a == b)


async def kill_run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kirana-kill-"))
    api = FakeBotAPI()
    api.flood_control(global_per_second=30, per_chat_interval=1.0)
    if args.p429:
        api.set_fault_rates(p429=args.p429, retry_after=3, seed=args.seed)
    server = FakeBotAPIServer(api)
    base_url, file_url = await server.start()
    codes = await prepare(work / "kirana.sqlite3", api, args.shops)
    bot = Bot(api, base_url, file_url, work)
    await bot.start()
    started = time.monotonic()
    people = [newcomer(api, n) for n in range(args.newcomers)]
    people += [shopkeeper(api, owner, c) for owner, c in codes.items()]
    people.append(admin(api, args.shops))
    load = asyncio.gather(*people)
    kill_times: list[float] = []
    for _ in range(args.kills):
        await asyncio.sleep(rng.uniform(0.3, 2.0))
        await bot.kill()
        kill_times.append(time.monotonic() - started)
        await bot.start()
    persons = await load
    elapsed = time.monotonic() - started
    code = await bot.stop()
    await server.stop()

    import sqlite3
    conn = sqlite3.connect(work / "kirana.sqlite3")
    drafts = dict(conn.execute("SELECT user_id, step FROM store_drafts").fetchall())
    answers = dict(conn.execute("SELECT user_id, answers FROM store_drafts").fetchall())
    wrong_drafts = [
        u for u in range(NEWCOMER_BASE, NEWCOMER_BASE + args.newcomers)
        if drafts.get(u) != "pin_code"
        or f"Shop Number {u - NEWCOMER_BASE}" not in answers.get(u, "")
        or f"Owner Number {u - NEWCOMER_BASE}" not in answers.get(u, "")]
    picked = conn.execute("SELECT COUNT(*) FROM parcels WHERE tracking_id LIKE 'TRKP%' "
                          "AND status = 'picked_up'").fetchone()[0]
    paid = conn.execute("SELECT COUNT(*), COUNT(DISTINCT parcel_id) FROM earnings").fetchone()
    received = conn.execute("SELECT COUNT(*) FROM parcels WHERE tracking_id LIKE 'TRKR%' "
                            "AND status = 'arrived'").fetchone()[0]
    recipients = dict(conn.execute(
        "SELECT state, COUNT(*) FROM broadcast_recipients GROUP BY state").fetchall())
    unfinished = conn.execute("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL").fetchone()[0]
    gave_up = conn.execute("SELECT COUNT(*) FROM inbox WHERE outcome != 'handled'").fetchone()[0]
    conn.close()
    notice_counts = [sum("Shop timings change on Sunday" in (m.text or "")
                         for m in api.messages(owner)) for owner in codes]
    all_chats = [p.fake.user_id for p in persons]
    repeated = sum(repeats(api.messages(c)) for c in all_chats)
    log = (work / "bot.log").read_text(errors="replace")
    return {
        "kills": len(kill_times),
        "elapsed_s": round(elapsed, 1),
        "steps_answered": sum(p.steps for p in persons),
        "updates_acknowledged_unhandled": unfinished,
        "inbox_given_up": gave_up,
        "drafts_wrong": wrong_drafts,
        "handed_over": f"{picked}/{2 * args.shops}",
        "earnings_rows/parcels_paid": f"{paid[0]}/{paid[1]}",
        "received": f"{received}/{2 * args.shops}",
        "broadcast_recipients": recipients,
        "notice_per_shop_min_max": (min(notice_counts), max(notice_counts)),
        "repeated_replies": repeated,
        "tracebacks_in_log": log.count("Traceback"),
        "exit_code_last": code,
        "work_dir": str(work),
    }


async def bystander_run(p429: float, seconds: float, seed: int) -> list[float]:
    """A bystander sends /start every 0.5 s; the time until the greeting arrives, each time."""
    work = Path(tempfile.mkdtemp(prefix="kirana-bystander-"))
    api = FakeBotAPI()
    api.flood_control(global_per_second=30, per_chat_interval=1.0)
    server = FakeBotAPIServer(api)
    base_url, file_url = await server.start()
    bot = Bot(api, base_url, file_url, work)
    await bot.start()
    await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
    if p429:
        api.set_fault_rates(p429=p429, retry_after=3, seed=seed)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        user = api.user(5000 + n, first_name="Vijay", language_code="en")
        n += 1
        t0 = time.monotonic()
        user.send_text("/start")
        await api.wait_for_messages(user.user_id, 1, timeout=60)
        latencies.append(time.monotonic() - t0)
        await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - t0)))
    await bot.stop()
    await server.stop()
    return latencies


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"n={len(values)} median {statistics.median(values) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--shops", type=int, default=6)
    parser.add_argument("--newcomers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--p429", type=float, default=0.0)
    parser.add_argument("--bystander", action="store_true",
                        help="also measure a bystander's /start latency (no kills)")
    parser.add_argument("--bystander-seconds", type=float, default=20)
    args = parser.parse_args()
    result = await kill_run(args)
    for key, value in result.items():
        print(f"{key:34} {value}")
    ok = (not result["drafts_wrong"] and result["updates_acknowledged_unhandled"] == 0
          and result["repeated_replies"] <= result["kills"]
          and result["handed_over"] == f"{2 * args.shops}/{2 * args.shops}"
          and result["received"] == f"{2 * args.shops}/{2 * args.shops}"
          and result["earnings_rows/parcels_paid"] == f"{2 * args.shops}/{2 * args.shops}"
          and result["notice_per_shop_min_max"] == (1, 1))
    print("RESULT", "OK" if ok else "FAILED")
    if args.bystander:
        for p in (0.0, 0.05):
            lat = await bystander_run(p, args.bystander_seconds, args.seed)
            print(f"bystander /start, {p:.0%} random 429 (retry_after 3 s): {summary(lat)}")


if __name__ == "__main__":
    asyncio.run(main())
