"""Manifest import time: a 10,000-row CSV parsed and loaded as expected parcels, one transaction.

    .venv/bin/python -m benchmarks.manifest_import [--rows 10000] [--runs 5] [--cli]

Each run starts from a fresh database file (migrated, one approved store per 500 rows) and times
``import_manifest`` — decode, CSV parsing and validation of every row, the store and duplicate
look-ups, the inserts with their deep-link tokens and ``expected`` events, and the commit —
as the bot and the command line both run it. Prints each run, the median, the parse / load split
and the per-row cost; ``--cli`` also times the whole ``kirana-bot import-manifest`` process
(Python start-up and migrations included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services.context import Services
from bot.services.manifest import parse_manifest
from bot.services.manifest_import import ImportReport, import_manifest
from bot.storage.db import Database
from tests.factories import approved_store

ROWS_PER_STORE = 500
KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


def manifest(rows: int) -> bytes:
    """A realistic file: BOM, CRLF, quoted names with commas, some Devanagari names."""
    lines = ["tracking_id,store_code,customer_phone,customer_name"]
    for i in range(rows):
        name = f'"Sharma, Priya {i}"' if i % 3 else f"प्रिया शर्मा {i}"
        lines.append(f"TRK{i:08d},KS-{i // ROWS_PER_STORE + 1:04d},98{i:08d},{name}")
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode()


async def prepare(db_path: Path, rows: int) -> Settings:
    settings = Settings(bot_token=DEFAULT_TOKEN, db_path=db_path)
    db = await Database.open(db_path)
    try:
        svc = Services(settings=settings, db=db, clock=ManualClock())
        for owner in range(rows // ROWS_PER_STORE + 1):
            await approved_store(svc, 10_000 + owner)
    finally:
        await db.close()
    return settings


async def one_run(data: bytes, rows: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = await prepare(Path(tmp) / "kirana.sqlite3", rows)
        db = await Database.open(settings.db_path)
        try:
            svc = Services(settings=settings, db=db, clock=ManualClock())
            started = time.perf_counter()
            report = await import_manifest(svc, data, "bench.csv", actor_id=None, source="cli")
            elapsed = time.perf_counter() - started
        finally:
            await db.close()
    assert isinstance(report, ImportReport), report
    assert report.loaded == rows and not report.errors, (report.loaded, report.errors[:3])
    return elapsed


def cli_run(data: bytes, rows: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "kirana.sqlite3"
        asyncio.run(prepare(db_path, rows))
        path = Path(tmp) / "bench.csv"
        path.write_bytes(data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KIRANA_BOT_TOKEN": DEFAULT_TOKEN,
               "KIRANA_DB_PATH": str(db_path), "KIRANA_LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        subprocess.run([str(KIRANA_BOT), "import-manifest", str(path)], env=env, cwd=tmp,
                       check=True, capture_output=True)
        return time.perf_counter() - started


def summary(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{label}: median {median * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, runs {len(times)})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="also time the CLI process")
    args = parser.parse_args()

    data = manifest(args.rows)
    print(f"manifest: {args.rows:,} rows, {len(data) / 1024:.0f} KiB; {args.runs} runs")
    parse_times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        parse_manifest(data)
        parse_times.append(time.perf_counter() - started)
    times = []
    for i in range(args.runs):
        elapsed = asyncio.run(one_run(data, args.rows))
        times.append(elapsed)
        print(f"  run {i + 1}: {elapsed * 1000:.0f} ms")
    total = summary(f"import_manifest, {args.rows:,} rows", times)
    parse = summary("  of which parsing (pure, no database)", parse_times)
    print(f"  parse / total: {parse / total:.2f}; per row: {total / args.rows * 1e6:.0f} µs; "
          f"{args.rows / total:,.0f} rows/s")
    small_rows = max(args.rows // 10, 1)
    small = statistics.median(asyncio.run(one_run(manifest(small_rows), small_rows))
                              for _ in range(args.runs))
    print(f"  {small_rows:,} rows: median {small * 1000:.0f} ms; "
          f"ratio {args.rows:,} / {small_rows:,} rows: {total / small:.1f}")
    if args.cli:
        cli_times = [cli_run(data, args.rows) for _ in range(args.runs)]
        summary(f"kirana-bot import-manifest process, {args.rows:,} rows", cli_times)


if __name__ == "__main__":
    main()
