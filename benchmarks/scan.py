"""Scanning labels: read rate per distortion, decode time per photo, other users' latency meanwhile.

    .venv/bin/python -m benchmarks.scan [--repeat 3] [--photos 8] [--interval 0.05]

1. **Read rate** on the committed corpus (``tests/scan_corpus``, made by
   ``scripts/make_scan_corpus.py``): per distortion, labels read / labels, wrong ids, other codes.
2. **Decode time per photo** (``bot.scan.decode.read_codes``, one thread, no pool): every corpus
   photo as committed (1024 x 768 / 1280 x 960, JPEG 40–80) and the same photos scaled up to
   Telegram's largest photo size (2560 x 1920, JPEG 80), ``--repeat`` times each; median, p95, max.
3. **Other users' latency while photos are decoded**: a real ``Application`` with the in-process
   fake Bot API (tests/flows/harness.py). Updates go through one queue handled one at a time,
   as PTB does by default. A shopkeeper in /receive sends ``--photos`` photos of 2560 x 1920 at
   once (an album); meanwhile another user sends /help every ``--interval`` seconds. The latency
   of a /help is from entering the queue to its answer being sent. Measured three ways: no
   photos (baseline), photos decoded by the bot (``Scanner``: thread pool, background jobs), and
   — for comparison only — the same decoding done inline on the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image
from telegram import Update

from bot.handlers import scan as scan_handlers
from bot.scan import worker
from bot.scan.decode import read_codes
from bot.services.label_scan import sort_codes
from tests.factories import approved_store
from tests.flows.harness import Harness

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "scan_corpus"
TELEGRAM_SIZE = (2560, 1920)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def corpus() -> list[dict]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    for photo in manifest["photos"]:
        photo["bytes"] = (CORPUS / photo["file"]).read_bytes()
    return manifest["photos"]


def telegram_size(data: bytes) -> bytes:
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    if picture.width < picture.height:
        picture = picture.rotate(90, expand=True)
    out = io.BytesIO()
    picture.resize(TELEGRAM_SIZE, Image.Resampling.BICUBIC).save(out, format="JPEG", quality=80)
    return out.getvalue()


def read_rate(photos: list[dict]) -> None:
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for photo in photos:
        codes = read_codes(photo["bytes"])
        assert isinstance(codes, list)
        found = sort_codes(codes)
        expected = set(photo["ids"])
        row = rows[photo["distortion"]]
        row[0] += 1
        row[1] += len(expected)
        row[2] += len(expected & set(found.ids))
        row[3] += len(set(found.ids) - expected)
        row[4] += photo["other_codes"]
        row[5] += found.other_codes
    print("\n## Read rate per distortion\n")
    print("| distortion | photos | labels | read | rate | wrong ids | other codes (found / on it) |")
    print("|---|---|---|---|---|---|---|")
    total = [0] * 6
    for name, row in rows.items():
        total = [a + b for a, b in zip(total, row, strict=True)]
        rate = f"{row[2] / row[1]:.0%}" if row[1] else "—"
        print(f"| {name} | {row[0]} | {row[1]} | {row[2]} | {rate} | {row[3]} | {row[5]} / {row[4]} |")
    print(f"| **all** | {total[0]} | {total[1]} | {total[2]} | **{total[2] / total[1]:.1%}** | "
          f"{total[3]} | {total[5]} / {total[4]} |")


def decode_times(photos: list[dict], repeat: int) -> list[bytes]:
    print("\n## Decode time per photo (one thread)\n")
    print("| photos | size | runs | median | p95 | max |")
    print("|---|---|---|---|---|---|")
    big = [telegram_size(p["bytes"]) for p in photos]
    for label, datas in (("corpus as committed", [p["bytes"] for p in photos]),
                         ("scaled to 2560 x 1920", big)):
        times = []
        for _ in range(repeat):
            for data in datas:
                start = time.perf_counter()
                read_codes(data)
                times.append(time.perf_counter() - start)
        mean_kb = statistics.mean(len(d) for d in datas) / 1024
        print(f"| {label} | {mean_kb:.0f} KB avg | {len(times)} | {ms(statistics.median(times))} "
              f"| {ms(pct(times, 0.95))} | {ms(max(times))} |")
    return big


async def latency(photos: list[bytes], interval: float, mode: str) -> list[float]:
    """/help latencies (seconds) of another user while ``photos`` are decoded (see module)."""
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp))
        await h.start()
        assert h.app is not None
        app = h.app
        try:
            await approved_store(h.svc, 201)
            ramesh = h.stranger(201, first_name="Ramesh")
            await ramesh.send("/receive")
            other = h.stranger(301, first_name="Priya")
            await other.send("/start")
            scanner = h.svc.extras[scan_handlers.SCANNER_KEY]
            if mode == "inline":  # decoding on the event loop: what the thread pool avoids
                async def inline_read(data: bytes):  # noqa: ANN202
                    return worker.read_codes(data, scanner.limits)
                scanner.read = inline_read
            queue: asyncio.Queue[tuple[dict, float, bool]] = asyncio.Queue()
            latencies: list[float] = []

            async def consume() -> None:
                while True:
                    update, queued, timed = await queue.get()
                    await app.process_update(Update.de_json(update, app.bot))
                    if timed:
                        latencies.append(time.perf_counter() - queued)
                    queue.task_done()

            consumer = asyncio.create_task(consume())
            if mode != "baseline":
                for data in photos:
                    queue.put_nowait((ramesh.fake.send_photo(content=data, width=2560,
                                                             height=1920),
                                      time.perf_counter(), False))
            started = time.perf_counter()
            while True:
                queue.put_nowait((other.fake.send_text("/help"), time.perf_counter(), True))
                await asyncio.sleep(interval)
                waited = time.perf_counter() - started
                if mode == "baseline" and waited > 3:
                    break
                if mode != "baseline" and waited > 0.5 and queue.empty() and scanner.busy == 0:
                    break
            await queue.join()
            await scanner.drain()
            consumer.cancel()
            lists = [m for m in h.api.messages(201) if (m.text or "").startswith("📷")]
            if mode != "baseline":
                assert len(lists) == len(photos), "every photo answered"
            return latencies
        finally:
            await h.stop()


async def latencies(photos: list[bytes], count: int, interval: float) -> None:
    album = photos[:count]
    print(f"\n## Another user's /help latency while {count} photos of 2560 x 1920 are decoded\n")
    print("| decoding | /help answered | median | p95 | max | wall time until every photo answered |")
    print("|---|---|---|---|---|---|")
    for mode, label in (("baseline", "no photos"), ("threads", "bot's Scanner (2 threads)"),
                        ("inline", "inline on the event loop (not used; for comparison)")):
        start = time.perf_counter()
        values = await latency(album, interval, mode)
        wall = time.perf_counter() - start
        print(f"| {label} | {len(values)} | {ms(statistics.median(values))} | "
              f"{ms(pct(values, 0.95))} | {ms(max(values))} | "
              f"{'—' if mode == 'baseline' else f'{wall:.1f} s'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    photos = corpus()
    read_rate(photos)
    big = decode_times(photos, args.repeat)
    # The album: photos with labels (several labels first), at Telegram's size.
    order = sorted(range(len(photos)), key=lambda i: photos[i]["distortion"] != "several")
    asyncio.run(latencies([big[i] for i in order], args.photos, args.interval))


if __name__ == "__main__":
    main()
