"""The outbox: enqueue with the change, priorities, per-chat order, retries, 403, failures.

A real SQLite file, a real PTB ``ExtBot`` with the bot's rate limiter, and the fake Bot API
at PTB's request boundary. Back-off is measured on a ManualClock: a test moves it and wakes
the sender instead of sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot import outbox
from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox import store
from bot.outbox.sender import OutboxSender
from bot.ratelimit import RateLimiter
from bot.services.context import Services
from bot.storage.db import Database
from tests.factories import ensure_user
from tests.fakebotapi import FakeBotAPI, FakeRequest

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

A, B, C = 501, 502, 503
HOOKS: list[tuple[str, Any]] = []


@outbox.renderer("test.hello")
async def render_hello(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    if payload.get("gone"):
        return None
    return outbox.OutMessage(f"hello {payload['n']} ({ctx.lang})")


async def _sent_hook(conn, sent: outbox.Outcome) -> None:  # noqa: ANN001
    HOOKS.append(("sent", sent.payload["n"], sent.chat_id, sent.message_id))


async def _failed_hook(conn, failed: outbox.Outcome) -> None:  # noqa: ANN001
    HOOKS.append(("failed", failed.error, failed.chat_id, None))


outbox.register("test.hooked", render_hello, on_sent=_sent_hook, on_failed=_failed_hook)


class World:
    def __init__(self, svc: Services, api: FakeBotAPI, sender: OutboxSender) -> None:
        self.svc, self.api, self.sender = svc, api, sender
        self.clock: ManualClock = svc.clock  # type: ignore[assignment]

    async def enqueue(self, chat: int, n: int, *, kind: str = "test.hello",
                      priority: outbox.Priority = outbox.Priority.NOTICE, **extra: Any) -> None:
        async with self.svc.db.transaction() as conn:
            await outbox.enqueue(conn, chat, kind, {"n": n, **extra}, now=self.clock.now(),
                                 priority=priority)

    def texts(self, chat: int) -> list[str]:
        return [m.text or "" for m in self.api.messages(chat)]

    async def later(self, seconds: float) -> None:
        """Move time on and let the sender send what became due."""
        self.clock.advance(seconds=seconds)
        await self.sender.drain()

    async def rows(self) -> list[Any]:
        return await self.svc.db.fetchall(
            "SELECT chat_id, state, attempts, error FROM outbox ORDER BY id")


async def make_world(tmp_path, *, concurrency: int = 8, max_attempts: int = 3,
                     per_chat: float = 0.0) -> tuple[World, Database, ExtBot]:
    api = FakeBotAPI()
    for chat in (A, B, C):
        api.user(chat)
    db = await Database.open(tmp_path / "k.sqlite3")
    settings = Settings(bot_token=api.token, db_path=tmp_path / "k.sqlite3")
    svc = Services(settings=settings, db=db, clock=ManualClock())
    for chat, lang in ((A, "en"), (B, "hi"), (C, "mr")):
        await ensure_user(svc, chat, language=lang)
    bot = ExtBot(api.token, request=FakeRequest(api), get_updates_request=FakeRequest(api),
                 rate_limiter=RateLimiter(per_second=1000, per_chat_seconds=per_chat))
    await bot.initialize()
    sender = OutboxSender(bot, svc, concurrency=concurrency, max_attempts=max_attempts)
    await sender.start()
    return World(svc, api, sender), db, bot


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[World]:
    w, db, bot = await make_world(tmp_path)
    HOOKS.clear()
    try:
        yield w
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()


async def test_a_rolled_back_change_enqueues_nothing(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.svc.db.transaction() as conn:
            await outbox.enqueue(conn, A, "test.hello", {"n": 1}, now=world.clock.now())
            raise RuntimeError("the change failed")
    await world.sender.drain()
    assert await world.rows() == []
    assert world.texts(A) == []


async def test_a_committed_change_is_sent_in_the_recipients_language_at_send_time(
    world: World,
) -> None:
    await world.enqueue(A, 1)
    await world.sender.drain()
    assert world.texts(A) == ["hello 1 (en)"]
    # The language is read when the message is sent, not when it was written.
    await world.svc.db.execute("UPDATE users SET language = 'mr' WHERE user_id = ?", (A,))
    await world.enqueue(A, 2)
    await world.sender.drain()
    assert world.texts(A)[-1] == "hello 2 (mr)"
    assert [r["state"] for r in await world.rows()] == ["sent", "sent"]


async def test_enqueue_wakes_the_sender_on_commit(world: World) -> None:
    await world.enqueue(B, 7)
    # No drain(): the commit itself wakes the sender.
    (message,) = await world.api.wait_for_messages(B, 1)
    assert message.text == "hello 7 (hi)"


async def test_dedupe_key_keeps_one_pending_message(world: World) -> None:
    async with world.svc.db.transaction() as conn:
        first = await outbox.enqueue(conn, A, "test.hello", {"n": 1}, now=world.clock.now(),
                                     dedupe_key="parcel:1")
        second = await outbox.enqueue(conn, A, "test.hello", {"n": 1}, now=world.clock.now(),
                                      dedupe_key="parcel:1")
    assert first is not None and second is None
    await world.sender.drain()
    assert world.texts(A) == ["hello 1 (en)"]


async def test_urgent_first_then_notices_then_routine(tmp_path) -> None:
    w, db, bot = await make_world(tmp_path, concurrency=1)
    try:
        await w.sender.close()  # fill the outbox before anything is sent
        w.sender = OutboxSender(bot, w.svc, concurrency=1)
        async with w.svc.db.transaction() as conn:
            now = w.clock.now()
            await outbox.enqueue(conn, A, "test.hello", {"n": 1}, now=now,
                                 priority=outbox.Priority.ROUTINE)
            await outbox.enqueue(conn, B, "test.hello", {"n": 2}, now=now,
                                 priority=outbox.Priority.NOTICE)
            await outbox.enqueue(conn, C, "test.hello", {"n": 3}, now=now,
                                 priority=outbox.Priority.URGENT)
        await w.sender.start()
        await w.sender.drain()
        order = [int(r.params["chat_id"]) for r in w.api.requests_for("sendMessage")]
        assert order == [C, B, A]
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()


async def test_one_chats_messages_go_in_the_order_they_were_written(world: World) -> None:
    await world.enqueue(A, 1, priority=outbox.Priority.ROUTINE)
    await world.enqueue(A, 2, priority=outbox.Priority.URGENT)
    await world.enqueue(A, 3, priority=outbox.Priority.NOTICE)
    await world.sender.drain()
    assert world.texts(A) == ["hello 1 (en)", "hello 2 (en)", "hello 3 (en)"]


async def test_a_429_holds_only_that_chat(world: World) -> None:
    world.api.fail_next("sendMessage", 429, retry_after=1, chat_id=A)
    await world.enqueue(A, 1)
    await world.enqueue(A, 2)
    await world.enqueue(B, 3)
    await world.sender.drain()
    assert world.texts(A) == [] and world.texts(B) == ["hello 3 (hi)"]
    states = await world.rows()
    assert states[0]["state"] == "pending" and "429" in states[0]["error"]
    await world.later(1)  # retry_after passed: A's messages go, still in order
    await world.api.wait_for_messages(A, 2)
    assert world.texts(A) == ["hello 1 (en)", "hello 2 (en)"]


async def test_5xx_and_timeouts_are_retried_with_back_off(world: World) -> None:
    world.api.fail_next("sendMessage", 502, chat_id=A, count=2)
    await world.enqueue(A, 1)
    await world.sender.drain()
    assert world.texts(A) == []
    await world.later(1)      # first back-off: 1 s
    assert world.texts(A) == []
    await world.later(2)      # second: 2 s
    assert world.texts(A) == ["hello 1 (en)"]
    (row,) = await world.rows()
    assert row["state"] == "sent" and row["attempts"] == 2


async def test_403_marks_the_user_blocked_and_runs_the_failure_hook(world: World) -> None:
    world.api.user(A).block()
    await world.enqueue(A, 1, kind="test.hooked")
    await world.enqueue(B, 2, kind="test.hooked")
    await world.sender.drain()
    rows = await world.rows()
    assert [r["state"] for r in rows] == ["blocked", "sent"]
    assert await world.svc.db.fetchval("SELECT blocked FROM users WHERE user_id = ?", (A,)) == 1
    assert sorted(h[0] for h in HOOKS) == ["failed", "sent"]
    (sent,) = [h for h in HOOKS if h[0] == "sent"]
    assert sent[2] == B and sent[3] == world.api.messages(B)[-1].message_id
    (failed,) = [h for h in HOOKS if h[0] == "failed"]
    assert failed[2] == A and failed[1].startswith("403")
    assert await store.undelivered_since(world.svc.db, world.clock.now() - timedelta(1)) == 1


async def test_a_final_failure_is_recorded_and_counted(world: World) -> None:
    world.api.fail_next("sendMessage", 502, chat_id=A, count=10)
    await world.enqueue(A, 1)
    await world.sender.drain()
    await world.later(1)
    await world.later(2)  # third try fails: max_attempts = 3
    (row,) = await world.rows()
    assert row["state"] == "failed" and row["attempts"] == 3 and "network" in row["error"]
    assert world.texts(A) == []
    assert await store.undelivered_since(world.svc.db, world.clock.now() - timedelta(1)) == 1


async def test_a_400_is_not_retried(world: World) -> None:
    world.api.fail_next("sendMessage", 400, description="Bad Request: chat not found",
                        chat_id=A)
    await world.enqueue(A, 1)
    await world.sender.drain()
    (row,) = await world.rows()
    assert row["state"] == "failed" and "400 Chat not found" == row["error"]


async def test_nothing_to_say_any_more_is_dropped(world: World) -> None:
    await world.enqueue(A, 1, gone=True)
    await world.sender.drain()
    assert [r["state"] for r in await world.rows()] == ["dropped"]
    assert world.texts(A) == []


async def test_an_unknown_kind_is_recorded_not_lost(world: World) -> None:
    await world.enqueue(A, 1, kind="nobody.registered.this")
    await world.sender.drain()
    (row,) = await world.rows()
    assert row["state"] == "failed" and "no renderer" in row["error"]


async def test_rows_left_by_a_crash_are_sent_at_start(tmp_path) -> None:
    w, db, bot = await make_world(tmp_path)
    await w.sender.close()
    await w.enqueue(A, 1)  # written, never sent: the process "died"
    w.sender = OutboxSender(bot, w.svc)
    await w.sender.start()
    try:
        await w.api.wait_for_messages(A, 1)
        assert w.texts(A) == ["hello 1 (en)"]
    finally:
        await w.sender.close()
        await bot.shutdown()
        await db.close()
