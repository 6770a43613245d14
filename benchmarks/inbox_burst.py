"""A burst of updates while the handlers are slow: the inbox's backpressure bounds what is held.

    .venv/bin/python -m benchmarks.inbox_burst [--updates 10000] [--chats 500]
                                               [--handle-ms 20] [--bounds 1000,100000]

The fake Bot API (this process, over HTTP) holds ``--updates`` messages from ``--chats`` chats,
all at once. For each bound in ``--bounds`` a fresh child process runs the real inbox
(``bot.inbox.poller.Poller`` + ``Dispatcher``, 16 workers, a real SQLite file) whose handler
takes ``--handle-ms`` per update (a slow database). The child reports the largest backlog it
held (updates stored and not yet handled), its peak resident memory (``VmHWM``) above what it
used before polling, and the time until every update was handled; the parent checks that every
update was handled once, each chat's in order, and that Telegram holds none unacknowledged.
A bound of 100,000 is the old behaviour (no backpressure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.clock import SystemClock
from bot.inbox.dispatcher import Dispatcher
from bot.inbox.poller import Poller
from bot.inbox.seal import Sealer
from bot.inbox.store import counts
from bot.storage.db import Database
from tests.fakebotapi import FakeBotAPI, FakeBotAPIServer


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def child(args: argparse.Namespace) -> None:
    """The bot's side: poll, store, handle slowly; print what was held."""
    work = Path(args.work)
    db = await Database.open(work / f"inbox-{args.bound}.sqlite3")
    app = Application.builder().token(args.token).base_url(args.base_url).build()
    await app.initialize()
    order: dict[int, list[int]] = {}

    async def handle(update: Update) -> None:
        await asyncio.sleep(args.handle_ms / 1000)
        assert update.effective_chat is not None and update.effective_message is not None
        order.setdefault(update.effective_chat.id, []).append(
            int(update.effective_message.text or 0))

    clock = SystemClock()
    dispatcher = Dispatcher(app, db, clock, concurrency=16, handle=handle)
    poller = Poller(app, db, dispatcher, clock, Sealer(b"bench"), poll_timeout=1,
                    max_pending=args.bound)
    peak = 0
    before = _status_kib("VmRSS")
    began = time.perf_counter()
    dispatcher.start()
    task = asyncio.get_running_loop().create_task(poller.run())

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, dispatcher.pending)
            await asyncio.sleep(0.01)

    watcher = asyncio.get_running_loop().create_task(watch())
    await dispatcher.wait_handled(args.updates)
    elapsed = time.perf_counter() - began
    await asyncio.sleep(1.5)  # one more getUpdates acknowledges the last batch
    watcher.cancel()
    task.cancel()
    await dispatcher.stop()
    stored = await counts(db)
    await app.shutdown()
    await db.close()
    in_order = all(seq == sorted(seq) for seq in order.values())
    print(json.dumps({
        "bound": args.bound, "peak_pending": peak, "seconds": round(elapsed, 2),
        "rss_growth_mib": round((_status_kib("VmHWM") - before) / 1024, 1),
        "handled": sum(len(s) for s in order.values()), "in_order": in_order,
        "done_rows": stored["done"], "unfinished_rows": stored["unfinished"],
        "pauses": poller.pauses,
    }))


async def parent(args: argparse.Namespace) -> None:
    print(f"{args.updates} updates from {args.chats} chats, handler {args.handle_ms} ms, "
          f"16 workers")
    for bound in (int(b) for b in args.bounds.split(",")):
        api = FakeBotAPI()
        server = FakeBotAPIServer(api)
        base_url, _ = await server.start()
        users = [api.user(10_000 + i, language_code="en") for i in range(args.chats)]
        for n in range(args.updates):
            users[n % args.chats].send_text(str(n))
        with tempfile.TemporaryDirectory() as work:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.inbox_burst", "--child",
                "--work", work, "--token", api.token, "--base-url", base_url,
                "--bound", str(bound), "--updates", str(args.updates),
                "--handle-ms", str(args.handle_ms), stdout=asyncio.subprocess.PIPE)
            out, _ = await proc.communicate()
        await server.stop()
        result = json.loads(out.decode().strip().splitlines()[-1])
        result["left_at_telegram"] = len(api.pending_updates)
        ok = (result["handled"] == result["done_rows"] == args.updates and result["in_order"]
              and result["unfinished_rows"] == 0 and result["left_at_telegram"] == 0)
        print(json.dumps(result), "OK" if ok else "FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--handle-ms", type=float, default=20.0)
    parser.add_argument("--bounds", default="1000,100000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--bound", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(child(args) if args.child else parent(args))


if __name__ == "__main__":
    main()
