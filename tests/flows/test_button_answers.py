"""A failed or slow answer to a button never undoes or delays what the button does."""

from __future__ import annotations

import asyncio
import re

from bot.jobs.broadcast_sender import get_sender
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness
from tests.flows.test_broadcast import admin, compose, delivered_once, finish, store_owner

APOLOGY = "Sorry, something went wrong on our side. Please try again."


async def test_send_answer_fails_broadcast_still_created_and_sent(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=1000,
                rate_per_chat_seconds=0)
    await h.start()
    try:
        for uid in (201, 202, 203):
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "Hello")
        h.api.fail_next("answerCallbackQuery", 502, description="Bad Gateway")
        await boss.press("✅ Send to 3 people")
        await finish(h)
        delivered_once(h, [201, 202, 203])
        assert APOLOGY not in boss.texts()
        assert boss.last().text.startswith("✅ Broadcast #1")
    finally:
        await h.stop()


async def test_stop_answer_fails_the_stop_still_holds(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=5,
                rate_per_chat_seconds=0)
    await h.start()
    try:
        for uid in range(201, 231):
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "Hello")
        await boss.press("✅ Send to 30 people")
        await h.api.wait_for(lambda: sum(h.api.delivered[u] for u in range(201, 231)) >= 1)
        h.api.fail_next("answerCallbackQuery", 502, description="Bad Gateway")
        await boss.press("⏹ Stop sending")
        await finish(h)
        report = boss.last().text
        assert report.startswith("⏹ Broadcast #1 was stopped."), report
        assert int(re.search(r"Sent: (\d+)", report).group(1)) < 30
        assert APOLOGY not in boss.texts()
    finally:
        await h.stop()


async def test_slow_stop_answer_does_not_let_notices_keep_going(tmp_path) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_global_per_second=5,
                rate_per_chat_seconds=0)
    await h.start()
    h.app.bot.rate_limiter.answer_timeout = 60
    try:
        for uid in range(201, 231):
            await store_owner(h, uid)
        boss = await admin(h)
        await compose(h, boss, "Hello")
        await boss.press("✅ Send to 30 people")
        await h.api.wait_for(lambda: sum(h.api.delivered[u] for u in range(201, 231)) >= 1)
        release = asyncio.Event()
        h.api.hang_next("answerCallbackQuery", until=release)
        h.app.bot.request._read_timeout = None  # the answer really hangs
        pressing = asyncio.get_running_loop().create_task(boss.press("⏹ Stop sending"))
        # The broadcast ends stopped while the answer to the button is still hanging.
        sender = get_sender(h.svc)
        assert sender is not None
        await sender.wait_done(1, timeout=20)
        assert not pressing.done()
        sent_while_hanging = sum(h.api.delivered[u] for u in range(201, 231))
        assert sent_while_hanging < 30
        release.set()
        await pressing
        assert sum(h.api.delivered[u] for u in range(201, 231)) == sent_while_hanging
    finally:
        await h.stop()
