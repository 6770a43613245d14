"""Replies to the person being answered: retried on 5xx / timeouts / resets, 429 holds only
that chat, "message is not modified" is success, and what still fails is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.i18n import LANGUAGE_NAMES
from tests.flows.harness import Harness

MENU = "What brings you here?"
APOLOGY = "Sorry, something went wrong on our side. Please try again."


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, reply_retry_seconds=3)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def limiter(h: Harness):  # noqa: ANN201
    return h.app.bot.rate_limiter


@pytest.mark.parametrize("fault", ["502", "500", "reset", "hang"])
async def test_a_failing_reply_is_retried_and_arrives_once(h: Harness, fault: str) -> None:
    asha = h.stranger(101)
    if fault == "reset":
        h.api.reset_next("sendMessage", count=2)
    elif fault == "hang":
        h.api.hang_next("sendMessage", 30, count=1)
        h.app.bot.request._read_timeout = 0.3  # the client gives up on the hanging call
    else:
        h.api.fail_next("sendMessage", int(fault), count=2)
    seen = await asha.send("/start")
    assert len(seen) == 1 and seen[0].button_texts()[0] == "English"
    assert limiter(h).reply_stats["retried"] >= 1
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM undelivered") == 0


async def test_a_reply_that_keeps_failing_is_recorded(h: Harness) -> None:
    asha = h.stranger(101)
    h.api.fail_next("sendMessage", 502, count=1000, chat_id=101)
    seen = await asha.send("/start")
    assert seen == []
    rows = await h.svc.db.fetchall("SELECT chat_id, text, error FROM undelivered")
    # The greeting, then the apology: both recorded, both for Asha.
    assert {r["chat_id"] for r in rows} == {101}
    assert len(rows) == 2 and rows[1]["text"] == APOLOGY and rows[0]["text"] != APOLOGY
    assert all(r["error"].startswith("network") for r in rows)


async def test_429_on_a_reply_waits_only_that_chat(h: Harness) -> None:
    asha, ben = h.stranger(101), h.stranger(102)
    h.api.fail_next("sendMessage", 429, retry_after=1, chat_id=101)
    asha_task = asyncio.get_running_loop().create_task(asha.send("/start"))
    # Ben is answered while Asha's reply is held for its retry_after.
    seen = await ben.send("/start")
    assert len(seen) == 1
    assert not asha_task.done()
    assert len(await asha_task) == 1


async def test_double_tap_on_a_language_button_is_not_an_error(h: Harness) -> None:
    asha = h.stranger(101)
    await asha.send("/start")
    first = asha.fake.press(LANGUAGE_NAMES["en"])
    second = asha.fake.press(LANGUAGE_NAMES["en"])
    await h.feed(first)
    await h.feed(second)
    texts = asha.texts()
    assert APOLOGY not in texts
    assert texts[-1] == MENU
    assert limiter(h).reply_stats["not_modified"] >= 1
    assert await h.svc.db.fetchval("SELECT COUNT(*) FROM undelivered") == 0
