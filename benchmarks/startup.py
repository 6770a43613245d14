"""Start-up time of `kirana-bot run`: process spawn to its first getUpdates (fake Bot API, HTTP).

    .venv/bin/python -m benchmarks.startup [--runs 5]

Each run uses a fresh database (so migrations are part of the figure). Prints each run, the
median and the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.playground.botapi import FakeBotAPI, FakeBotAPIServer

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


async def one_run() -> float:
    api = FakeBotAPI()
    server = FakeBotAPIServer(api)
    base_url, file_url = await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "KIRANA_BOT_TOKEN": api.token,
            "KIRANA_API_BASE_URL": base_url,
            "KIRANA_API_FILE_URL": file_url,
            "KIRANA_DB_PATH": str(Path(tmp) / "kirana.sqlite3"),
            "KIRANA_HEALTH_PORT": "0",
        }
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "run", env=env, cwd=tmp,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
            elapsed = time.perf_counter() - started
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            await server.stop()
    return elapsed


async def main(runs: int) -> None:
    times = []
    for i in range(runs):
        t = await one_run()
        times.append(t)
        print(f"run {i + 1}: {t * 1000:.0f} ms")
    print(f"median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) over {runs} runs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
