"""CPU per request of the bot's HTTP transport against PTB's default, over real HTTP.

    .venv/bin/python -m benchmarks.http_backends              # 3,000 sendMessage each, 5 rounds
    .venv/bin/python -m benchmarks.http_backends --requests 10000 --rounds 3

The same ``Bot.do_api_request("sendMessage")`` the outbox sender makes, 16 in flight, against
the fake Bot API in its own process (flood rules off: only the transport is measured), once
through PTB's ``HTTPXRequest`` and once through ``bot.telegram_request.AiohttpRequest``, rounds
alternating. Reports the median CPU time of this process per request and requests/s, and the
ratio (httpx / aiohttp). CPU per request is the figure that travels between machines; the
rate depends on the share of the machine this process gets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from benchmarks.broadcast import FakeProcess
from bot.telegram_request import AiohttpRequest
from tests.fakebotapi import DEFAULT_TOKEN

FIRST_CHAT = 300_000
IN_FLIGHT = 16


async def one_round(fake: FakeProcess, make: Callable[[], BaseRequest], count: int
                    ) -> tuple[float, float]:
    """(requests per second, CPU ms per request) for ``count`` sendMessage calls."""
    bot = Bot(DEFAULT_TOKEN, base_url=fake.base_url, request=make())
    await bot.initialize()
    places = asyncio.Semaphore(IN_FLIGHT)

    async def send(k: int) -> None:
        async with places:
            await bot.do_api_request("sendmessage", api_kwargs={
                "chat_id": FIRST_CHAT + k, "text": f"📦 Parcel <b>{k}</b> has arrived",
                "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}})

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(send(k) for k in range(count)))
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    await bot.shutdown()
    return count / wall, cpu / count * 1000


async def main(count: int, rounds: int) -> dict[str, object]:
    fake = FakeProcess()
    try:
        fake.control("users_bulk", first_id=FIRST_CHAT, count=count)
        fake.control("configure", flood={"global_per_second": 1_000_000,
                                         "per_chat_interval": 0.0})
        backends: dict[str, Callable[[], BaseRequest]] = {
            "httpx (PTB default)": lambda: HTTPXRequest(connection_pool_size=IN_FLIGHT),
            "aiohttp (bot/telegram_request.py)": lambda: AiohttpRequest(IN_FLIGHT),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in backends}
        for _ in range(rounds):
            for name, make in backends.items():
                results[name].append(await one_round(fake, make, count))
    finally:
        fake.proc.kill()
    summary: dict[str, object] = {"requests_per_round": count, "rounds": rounds,
                                  "load_average_1min": round(os.getloadavg()[0], 2)}
    for name, runs in results.items():
        summary[name] = {
            "requests_per_s_median": round(statistics.median(r for r, _ in runs)),
            "cpu_ms_per_request_median": round(statistics.median(c for _, c in runs), 3),
        }
    httpx_cpu = statistics.median(c for _, c in results["httpx (PTB default)"])
    aio_cpu = statistics.median(c for _, c in results["aiohttp (bot/telegram_request.py)"])
    summary["cpu_ratio_httpx_over_aiohttp"] = round(httpx_cpu / aio_cpu, 1)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.requests, args.rounds)), indent=1,
                     ensure_ascii=False))
