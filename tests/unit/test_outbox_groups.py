"""The outbox sender's group work: kinds rendered many rows at once (``render_many``), and
outcomes of many rows recorded in one statement, with each row's own state and hooks.

The same world as tests/unit/test_outbox.py: a real SQLite file, a real ``ExtBot`` with the
bot's rate limiter, the fake Bot API at PTB's request boundary, a ManualClock.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot import outbox
from bot.outbox import store
from bot.outbox.sender import OutboxSender
from tests.factories import ensure_user
from tests.unit.test_outbox import make_world

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

FIRST = 700
CALLS: list[int] = []          # how many rows each render_many call got
SENT: list[list[int]] = []     # the payloads' n of each on_sent_many call
BROKEN = {"on": False}


async def render_one(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    """The same answer as render_many gives for one row (a lone row is rendered alone)."""
    return None if payload.get("gone") else outbox.OutMessage(f"many {payload['n']} ({ctx.lang})")


async def render_many(ctxs: list[outbox.RenderContext],
                      payloads: list[dict]) -> list[outbox.OutMessage | None]:
    if BROKEN["on"]:
        raise RuntimeError("the database is away")
    CALLS.append(len(payloads))
    return [None if p.get("gone") else outbox.OutMessage(f"many {p['n']} ({c.lang})")
            for c, p in zip(ctxs, payloads, strict=True)]


async def sent_many(conn, sent: list[outbox.Outcome]) -> None:  # noqa: ANN001
    SENT.append(sorted(s.payload["n"] for s in sent))


outbox.register("test.grouped", render_one, render_many=render_many, on_sent_many=sent_many)


async def _world(tmp_path, concurrency: int = 8):  # noqa: ANN001, ANN202
    w, db, bot = await make_world(tmp_path, concurrency=concurrency)
    await w.sender.close()  # queue everything first, then start: the rows go out in groups
    for k in range(20):
        await ensure_user(w.svc, FIRST + k, language=("en", "hi", "mr")[k % 3])
        w.api.user(FIRST + k)
    w.sender = OutboxSender(bot, w.svc, concurrency=concurrency, max_attempts=3)
    CALLS.clear()
    SENT.clear()
    BROKEN["on"] = False
    return w, db, bot


async def _queue(w: Any, count: int, **extra: Any) -> None:
    async with w.svc.db.transaction() as conn:
        for k in range(count):
            await outbox.enqueue(conn, FIRST + k, "test.grouped", {"n": k, **extra},
                                 now=w.clock.now())


def _count_in_flight(sender: OutboxSender) -> list[int]:
    """Wrap the sender's request: the most sends on their way at once, as a one-item list."""
    most = [0]
    now = [0]
    send = sender._send

    async def counted(row, message):  # noqa: ANN001, ANN202
        now[0] += 1
        most[0] = max(most[0], now[0])
        try:
            return await send(row, message)
        finally:
            now[0] -= 1

    sender._send = counted  # type: ignore[method-assign]
    return most


@pytest.mark.parametrize("batch", [64, 8])
async def test_rows_of_a_grouped_kind_are_rendered_together_and_each_delivered(
        tmp_path, batch: int) -> None:
    w, db, bot = await _world(tmp_path)
    try:
        await _queue(w, 20)
        w.sender.render_batch = batch
        most = _count_in_flight(w.sender)
        await w.sender.start()
        await w.sender.drain()
        for k in range(20):
            lang = ("en", "hi", "mr")[k % 3]
            assert w.texts(FIRST + k) == [f"many {k} ({lang})"]
        # Fewer renderer calls than rows (the whole point), each at most a render batch: the
        # rows are rendered ahead of the places, but never more than 8 (the places) are sent
        # at once.
        assert sum(CALLS) == 20 and len(CALLS) < 20 and max(CALLS) <= batch
        assert 1 < most[0] <= 8
        states = await w.svc.db.fetchall("SELECT state, attempts, message_id FROM outbox")
        assert {(r["state"], r["attempts"]) for r in states} == {("sent", 0)}
        assert all(r["message_id"] for r in states)
        # on_sent_many saw every row once, in groups.
        assert sorted(n for group in SENT for n in group) == list(range(20))
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()


async def test_a_failing_group_render_is_retried_not_lost(tmp_path) -> None:
    w, db, bot = await _world(tmp_path)
    try:
        await _queue(w, 5)
        BROKEN["on"] = True
        await w.sender.start()
        await w.sender.drain()
        rows = await w.svc.db.fetchall("SELECT state, attempts, error FROM outbox")
        assert {(r["state"], r["attempts"]) for r in rows} == {("pending", 1)}
        assert all("the database is away" in r["error"] for r in rows)
        assert w.api.requests_for("sendMessage") == []
        BROKEN["on"] = False
        await w.later(1)  # the back-off ends; the rows render and go
        for k in range(5):
            assert w.texts(FIRST + k) == [f"many {k} ({('en', 'hi', 'mr')[k % 3]})"]
        assert (await store.counts(w.svc.db)) == {"sent": 5}
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()


async def test_one_statement_records_each_rows_own_outcome(tmp_path) -> None:
    """Sent, dropped, retried (429) and blocked (403) rows in one group, each recorded as
    itself: state, attempts, error, not_before, the user's blocked flag."""
    w, db, bot = await _world(tmp_path)
    try:
        async with w.svc.db.transaction() as conn:
            now = w.clock.now()
            await outbox.enqueue(conn, FIRST, "test.grouped", {"n": 0}, now=now)
            await outbox.enqueue(conn, FIRST + 1, "test.grouped", {"n": 1, "gone": True}, now=now)
            await outbox.enqueue(conn, FIRST + 2, "test.grouped", {"n": 2}, now=now)
            await outbox.enqueue(conn, FIRST + 3, "test.grouped", {"n": 3}, now=now)
        w.api.fail_next("sendMessage", 429, retry_after=7, chat_id=FIRST + 2)
        w.api.fail_next("sendMessage", 403, chat_id=FIRST + 3)
        await w.sender.start()
        await w.sender.drain()
        rows = {r["chat_id"]: r for r in await w.svc.db.fetchall(
            "SELECT chat_id, state, attempts, error, not_before, done_at FROM outbox")}
        assert rows[FIRST]["state"] == "sent" and rows[FIRST]["attempts"] == 0
        assert rows[FIRST + 1]["state"] == "dropped" and rows[FIRST + 1]["done_at"]
        retried = rows[FIRST + 2]
        assert retried["state"] == "pending" and retried["attempts"] == 1
        assert "429" in retried["error"] and retried["done_at"] is None
        assert retried["not_before"] > rows[FIRST]["done_at"]  # 7 s on
        assert rows[FIRST + 3]["state"] == "blocked" and "403" in rows[FIRST + 3]["error"]
        blocked = await w.svc.db.fetchval("SELECT blocked FROM users WHERE user_id = ?",
                                          (FIRST + 3,))
        assert blocked == 1
        await w.later(7)
        assert w.texts(FIRST + 2) == ["many 2 (mr)"]
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()
