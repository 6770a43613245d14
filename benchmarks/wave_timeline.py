"""Where the morning wave's notices lose their share of 30/s: one `wave` run with probes.

    .venv/bin/python -m benchmarks.wave_timeline             # one run, the analysis as JSON
    .venv/bin/python -m benchmarks.wave_timeline --raw FILE  # also every probe and send

Runs ``benchmarks.wave``'s `wave` scenario unchanged, with probes (monotonic time, the same
clock as the fake's on Linux) on the bot's side: the commit of each /receive, the sender's
groups and their rendering (codes issued in ``render_many``), each request's slot from the rate
limiter (granted, answered), the window's slots coming free; and the fake's own log of every
``sendMessage`` (time, chat, status). Then:

* **commit → first notice**: when each shopkeeper's notices could first have gone;
* **unused window**: the fake allows 30 sends in any second; ``∫ (30 − sends in (t−1, t]) dt``
  over the notices' span is the number of sends a perfect sender would have added; split by
  what the bot was doing meanwhile (notices waiting for a slot, being rendered, none ready);
* **slots**: sends per kind (notices, receive reports, bystander replies) inside the span;
* **slot reuse lag**: a send that found the window full waited for the send 30 places
  before it to leave the fake's window; the lag past that second (answer's way back, the
  limiter's timer, the loop, the request's way out) is capacity lost on every cycle;
* **sender wake latency**: window slot free → request granted → request at the fake;
* **the edge effect of (n − 1) / span**: the same sends counted over the span, over whole
  seconds, and in steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import wave
from benchmarks.broadcast import FakeProcess
from bot.outbox import sender as sender_mod
from bot.outbox.renderers import REGISTRY
from bot.ratelimit import RateLimiter, SlidingWindow

PROBES: list[tuple[float, str, Any]] = []


def probe(kind: str, data: Any = None) -> None:
    PROBES.append((time.monotonic(), kind, data))


def install_probes() -> None:
    import bot.app  # noqa: F401 - registers the renderers
    from bot.services import notices

    enqueue = notices.enqueue

    async def enqueue_probe(conn, chat_id, kind, payload=None, **kw):  # noqa: ANN001, ANN202
        probe("enqueue", chat_id)
        return await enqueue(conn, chat_id, kind, payload, **kw)

    notices.enqueue = enqueue_probe

    kind = REGISTRY.kinds[notices.KIND]
    render_many = kind.render_many

    async def render_many_probe(ctxs, payloads):  # noqa: ANN001, ANN202
        probe("render_start", len(ctxs))
        try:
            return await render_many(ctxs, payloads)
        finally:
            probe("render_end", len(ctxs))

    render_one = kind.render

    async def render_probe(ctx, payload):  # noqa: ANN001, ANN202
        probe("render_start", 1)
        try:
            return await render_one(ctx, payload)
        finally:
            probe("render_end", 1)

    REGISTRY.kinds[notices.KIND] = dataclasses.replace(
        kind, render_many=render_many_probe, render=render_probe)

    work_many = sender_mod.OutboxSender._work_many

    async def work_many_probe(self, name, rows):  # noqa: ANN001, ANN202
        probe("group", [r.chat_id for r in rows])
        return await work_many(self, name, rows)

    sender_mod.OutboxSender._work_many = work_many_probe

    send = sender_mod.OutboxSender._send

    async def send_probe(self, row, message):  # noqa: ANN001, ANN202
        probe("to_limiter", row.chat_id)
        return await send(self, row, message)

    sender_mod.OutboxSender._send = send_probe

    begin, end = RateLimiter._begin, RateLimiter._end

    def begin_probe(self, chat, *, bulk):  # noqa: ANN001, ANN202
        probe("granted", [chat, bulk])
        return begin(self, chat, bulk=bulk)

    def end_probe(self, chat, *, bulk, sent=True, retry_after=None):  # noqa: ANN001, ANN202
        probe("answered", [chat, bulk])
        return end(self, chat, bulk=bulk, sent=sent, retry_after=retry_after)

    RateLimiter._begin, RateLimiter._end = begin_probe, end_probe

    acquire = SlidingWindow.acquire

    async def acquire_probe(self, priority):  # noqa: ANN001, ANN202
        started = time.monotonic()
        await acquire(self, priority)
        if priority == 0:
            probe("reply_slot_wait", time.monotonic() - started)

    SlidingWindow.acquire = acquire_probe

    give_back = SlidingWindow._give_back

    def give_back_probe(self):  # noqa: ANN001, ANN202
        probe("slot_free", self._free)
        return give_back(self)

    SlidingWindow._give_back = give_back_probe

    from bot.storage.db import Database

    transaction = Database.transaction

    class _Tx:
        def __init__(self, db: Database) -> None:
            self._cm = transaction(db)

        async def __aenter__(self):  # noqa: ANN204
            return await self._cm.__aenter__()

        async def __aexit__(self, *exc: object) -> Any:
            result = await self._cm.__aexit__(*exc)
            if exc[0] is None:
                probe("commit")
            return result

    Database.transaction = lambda self: _Tx(self)  # type: ignore[method-assign]


def occupancy_deficit(times: list[float], start: float, stop: float, limit: int = 30,
                      window: float = 1.0) -> float:
    """∫ (limit − sends in (t − window, t]) dt over [start, stop]: sends a perfect sender
    would have added."""
    events = sorted([(t, 1) for t in times] + [(t + window, -1) for t in times])
    count = sum(1 for t in times if start - window < t <= start)
    deficit, at = 0.0, start
    for t, d in events:
        if t <= start:
            continue
        if t > stop:
            break
        deficit += (limit - count) * (t - at)
        count += d
        at = t
    deficit += (limit - count) * (stop - at)
    return deficit


def analyse(log: list[list[Any]], probes: list[tuple[float, str, Any]],
            customers: set[int], shops: set[int], bystanders: set[int]) -> dict[str, Any]:
    ok = [(t, c) for t, c, s in log if s == 200]
    times = [t for t, _ in ok]
    notices = [t for t, c in ok if c in customers]
    first, last = notices[0], notices[-1]
    span = last - first
    inside = [(t, c) for t, c in ok if first <= t <= last]
    kinds = {"notices": 0, "receive_reports": 0, "bystander_replies": 0, "other": 0}
    for _, c in inside:
        key = ("notices" if c in customers else "receive_reports" if c in shops
               else "bystander_replies" if c in bystanders else "other")
        kinds[key] += 1
    # when the notices could first have gone: the commits that wrote them
    commits = []
    pending_enqueue = False
    for t, kind, _ in probes:
        if kind == "enqueue":
            pending_enqueue = True
        elif kind == "commit" and pending_enqueue:
            commits.append(t)
            pending_enqueue = False
    deficit = occupancy_deficit(times, first, last)
    # the first second after the first notice counts back into the quiet time before the wave
    # (a smooth 30/s stream from nothing "misses" 15 there): the steady part is what matters
    deficit_steady = occupancy_deficit(times, first + 1.0, last)
    # each receive's commit → the first notice to one of its customers at the fake
    shop_of = {c: c // 1000 for c in customers}
    first_of_shop: dict[int, float] = {}
    for t, c in ok:
        if c in customers:
            first_of_shop.setdefault(shop_of[c], t)
    enqueued_shop: list[int] = []
    commit_to_first = []
    current: int | None = None
    for t, kind, d in probes:
        if kind == "enqueue" and d in customers:
            current = shop_of[d]
        elif kind == "commit" and current is not None:
            enqueued_shop.append(current)
            if current in first_of_shop:
                commit_to_first.append(round((first_of_shop[current] - t) * 1000, 1))
            current = None
    # slot reuse: a send finding 30 sends in the window before it can go only when the 30th
    # before leaves (t30 + 1 s); the lag past that is lost capacity
    lags = []
    for i in range(30, len(times)):
        t, t30 = times[i], times[i - 30]
        if first <= t <= last and t - t30 < 1.2:  # the window was what held it
            lags.append(t - (t30 + 1.0))
    # bot side: request granted (bulk) → at the fake; slot free → granted
    grants = [t for t, k, d in probes if k == "granted" and d[1]]
    frees = [t for t, k, _ in probes if k == "slot_free"]
    answers = [t for t, k, d in probes if k == "answered"]
    wake = []
    for g in grants:
        i = bisect.bisect_right(frees, g) - 1
        if i >= 0 and g - frees[i] < 0.5:
            wake.append(g - frees[i])
    to_fake = []
    for t, c in ok:
        if c in customers:
            g = [p for p, k, d in probes if k == "granted" and d[0] == c]
            if g:
                to_fake.append(t - g[-1])
    rtt = []
    granted_at: dict[int, float] = {}
    for t, k, d in probes:
        if k == "granted":
            granted_at[d[0]] = t
        elif k == "answered" and d[0] in granted_at:
            rtt.append(t - granted_at.pop(d[0]))
    renders = []
    starts = [(t, d) for t, k, d in probes if k == "render_start"]
    ends = [(t, d) for t, k, d in probes if k == "render_end"]
    for (ts, n), (te, _) in zip(starts, ends, strict=False):
        renders.append({"at": round(ts - first, 3), "rows": n, "ms": round((te - ts) * 1000, 1)})
    groups = [{"at": round(t - first, 3), "rows": len(d)} for t, k, d in probes if k == "group"]
    # what was going on during the window's unused capacity: sample every ms
    to_limiter = sorted(t for t, k, _ in probes if k == "to_limiter")
    busy_render = list(zip([t for t, _ in starts], [t for t, _ in ends], strict=False))
    unused = {"notice_waiting_in_limiter": 0.0, "rendering": 0.0, "nothing_ready": 0.0}
    step = 0.001
    t = first
    queued_sends = sorted(grants)
    while t < last:
        occ = bisect.bisect_right(times, t) - bisect.bisect_right(times, t - 1.0)
        free = 30 - occ
        if free > 0:
            waiting = bisect.bisect_right(to_limiter, t) - bisect.bisect_right(queued_sends, t)
            if waiting > 0:
                unused["notice_waiting_in_limiter"] += free * step
            elif any(a <= t < b for a, b in busy_render):
                unused["rendering"] += free * step
            else:
                unused["nothing_ready"] += free * step
        t += step
    whole = int(span)
    n_whole = sum(1 for t in notices if first <= t < first + whole) if whole else 0
    steady = [t for t in notices if first + 1.0 <= t < last - 0.5]
    return {
        "notices": len(notices),
        "span_s": round(span, 3),
        "notices_per_s_(n-1)/span": round((len(notices) - 1) / span, 2),
        "notices_per_s_n/span": round(len(notices) / span, 2),
        "notices_per_s_whole_seconds": round(n_whole / whole, 2) if whole else None,
        "notices_per_s_steady_(from_1s_to_end-0.5s)": round(
            (len(steady) - 1) / (steady[-1] - steady[0]), 2) if len(steady) > 1 else None,
        "all_sends_in_span": len(inside),
        "all_per_s_(n-1)/span": round((len(inside) - 1) / span, 2),
        "sends_in_span_by_kind": kinds,
        "other_per_s_in_span": round((kinds["receive_reports"] + kinds["bystander_replies"])
                                     / span, 2),
        # the notices against what the replies left of 30/s in the same span
        "notices_of_capacity_left_after_replies": round(
            (len(notices) - 1) / span
            / (30 - (kinds["receive_reports"] + kinds["bystander_replies"]) / span), 3),
        "sends_in_the_second_before_first_notice": sum(
            1 for t in times if first - 1.0 < t < first),
        "receive_commits_before_first_notice_ms": [round((c - first) * 1000, 1)
                                                    for c in commits],
        "receive_commit_to_its_first_notice_ms": commit_to_first,
        "window_unused_send_slots_in_span": round(deficit, 2),
        "window_unused_send_slots_after_first_second": round(deficit_steady, 2),
        "window_unused_by_cause": {k: round(v, 2) for k, v in unused.items()},
        "slot_reuse_lag_ms": {
            "n": len(lags),
            "median": round(statistics.median(lags) * 1000, 1) if lags else None,
            "mean": round(statistics.fmean(lags) * 1000, 1) if lags else None,
            "p95": round(sorted(lags)[int(len(lags) * 0.95)] * 1000, 1) if lags else None,
        },
        "slot_free_to_bulk_grant_ms_median": round(statistics.median(wake) * 1000, 2)
        if wake else None,
        "bulk_grant_to_fake_ms_median": round(statistics.median(to_fake) * 1000, 2)
        if to_fake else None,
        "grant_to_answer_ms_median": round(statistics.median(rtt) * 1000, 2) if rtt else None,
        "answers": len(answers),
        # replies (interactive) waiting for a window slot, during the notices' span
        "reply_window_wait_ms": sorted(
            round(d * 1000, 1) for t, k, d in probes
            if k == "reply_slot_wait" and first - 0.1 <= t <= last and d > 0.0005),
        "render_groups": len(renders),
        "render_ms_total": round(sum(r["ms"] for r in renders), 1),
        "render_ms_max": max((r["ms"] for r in renders), default=None),
        "renders": renders,
        "groups": groups[:40],
    }


async def run(raw: Path | None) -> dict[str, Any]:
    install_probes()
    captured: dict[str, Any] = {}
    close = FakeProcess.close

    def close_probe(self: FakeProcess) -> None:
        captured["log"] = self.control("send_log")
        close(self)

    FakeProcess.close = close_probe  # type: ignore[method-assign]
    fake = FakeProcess()
    tmp = tempfile.TemporaryDirectory()
    try:
        result = await wave.run_wave(wave.SCENARIOS["wave"], fake, Path(tmp.name) / "k.sqlite3")
    finally:
        fake.close()
        tmp.cleanup()
    customers = {wave.customer_id(i, k) for i in range(len(wave.SHOPS))
                 for k in range(wave.PER_SHOP)}
    analysis = analyse(captured["log"], PROBES, customers, set(wave.SHOPS),
                       set(wave.bystander_ids(wave.BYSTANDERS)))
    if raw is not None:
        await asyncio.to_thread(
            raw.write_text, json.dumps({"log": captured["log"], "probes": PROBES}))
    return {"load_average_1min": os.getloadavg()[0],
            "benchmark": {k: result[k] for k in (
                "notices_per_s", "notices_ratio_of_30", "all_sendMessage_per_s_during_notices",
                "flood_violations_self_provoked", "receive_report_s", "bystander_p95_ms",
                "bystander_max_ms")},
            "analysis": analysis}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=Path, default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.raw)), indent=1))
