"""The inbox: stored before acknowledged, each update once, chats in parallel, each in order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Update
from telegram.ext import Application

from bot.clock import ManualClock
from bot.inbox import Inbox, store
from bot.inbox.dispatcher import Dispatcher, current_chat
from bot.inbox.seal import Sealer
from bot.inbox.store import (
    MAX_ATTEMPTS,
    POISON_MIN_AGE,
    begin,
    chat_of,
    counts,
    prune,
    take_unfinished,
)
from bot.storage.db import Database
from tests.fakebotapi import DEFAULT_TOKEN

SEAL = Sealer(b"test secret")


def message(update_id: int, chat: int, text: str = "hi") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000, "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "A"},
        },
    }


def press(update_id: int, chat: int, data: str = "1:x:y") -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id), "chat_instance": "1", "data": data,
            "from": {"id": chat, "is_bot": False, "first_name": "A"},
            "message": {"message_id": 1, "date": 1_700_000_000,
                        "chat": {"id": chat, "type": "private"}},
        },
    }


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "k.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def app() -> Application:
    return Application.builder().token(DEFAULT_TOKEN).build()


def test_chat_of_messages_buttons_and_others() -> None:
    assert chat_of(message(1, 42)) == 42
    assert chat_of(press(2, 43)) == 43
    assert chat_of({"update_id": 3, "inline_query": {"id": "q", "from": {"id": 44}}}) == 44
    assert chat_of({"update_id": 4, "poll": {"id": "p"}}) is None


async def test_store_keeps_each_update_once_and_returns_only_new_ones(db) -> None:
    clock = ManualClock()
    fresh = await store(db, sealer=SEAL, updates=[message(11, 1), message(10, 1)], now=clock.now())
    assert [i.update_id for i in fresh] == [10, 11]  # in update_id order
    again = await store(db, sealer=SEAL, updates=[message(11, 1), message(12, 2)], now=clock.now())
    assert [i.update_id for i in again] == [12]  # Telegram delivering 11 again: ignored
    assert await counts(db) == {"unfinished": 3, "done": 0}


async def test_store_refuses_a_batch_with_a_bad_update_whole(db) -> None:
    with pytest.raises(ValueError):
        await store(db, sealer=SEAL, updates=[message(1, 1), {"message": {}}])
    assert await counts(db) == {"unfinished": 0, "done": 0}


async def test_survives_a_reopen_and_unfinished_come_back_in_order(tmp_path) -> None:
    path = tmp_path / "k.sqlite3"
    db = await Database.open(path)
    await store(db, sealer=SEAL, updates=[message(3, 1, "c"), message(1, 1, "a"), message(2, 2, "b")])
    await db.close()  # as good as a kill: the commit is what counts
    db = await Database.open(path)
    left = await take_unfinished(db, ManualClock().now(), SEAL)
    assert [(i.update_id, i.payload["message"]["text"]) for i in left] == [
        (1, "a"), (2, "b"), (3, "c")]
    await db.close()


async def test_an_update_that_kills_every_start_up_is_given_up(db) -> None:
    clock = ManualClock()
    (item,) = await store(db, sealer=SEAL, updates=[message(1, 1)])
    await store(db, sealer=SEAL, updates=[message(2, 1)])  # waits behind it, never begun
    await begin(db, item, clock.now())
    for _ in range(MAX_ATTEMPTS):
        assert [i.update_id for i in await take_unfinished(db, clock.now(), SEAL)] == [1, 2]
        clock.advance(seconds=30)  # a supervisor restarting the process after each crash
    assert [i.update_id for i in await take_unfinished(db, clock.now(), SEAL)] == [2]
    outcome = await db.fetchval("SELECT outcome FROM inbox WHERE update_id = 1")
    assert outcome.startswith("gave up")
    assert await db.fetchval("SELECT attempts FROM inbox WHERE update_id = 2") == 0


async def test_a_slow_update_killed_at_many_quick_restarts_is_not_given_up(db) -> None:
    """Kills in quick succession (a kill -9 storm) while a slow update is in hand each time:
    still handled at the next start, until it has been failing for POISON_MIN_AGE."""
    clock = ManualClock()
    (item,) = await store(db, sealer=SEAL, updates=[message(1, 1)])
    await begin(db, item, clock.now())
    for _ in range(3 * MAX_ATTEMPTS):
        assert [i.update_id for i in await take_unfinished(db, clock.now(), SEAL)] == [1]
        clock.advance(seconds=1)
    assert await db.fetchval("SELECT done_at FROM inbox WHERE update_id = 1") is None
    clock.advance(POISON_MIN_AGE)  # still crashing every start-up after two minutes: poison
    assert await take_unfinished(db, clock.now(), SEAL) == []


async def test_prune_removes_only_old_handled_updates(db, app) -> None:
    clock = ManualClock()
    await store(db, sealer=SEAL, updates=[message(1, 1), message(2, 1), message(3, 2)], now=clock.now())
    handled: list[int] = []

    async def handle(update: Update) -> None:
        handled.append(update.update_id)

    dispatcher = Dispatcher(app, db, clock, handle=handle)
    dispatcher.start()
    dispatcher.submit((await take_unfinished(db, clock.now(), SEAL))[:2])
    await dispatcher.wait_idle()
    await dispatcher.stop()
    clock.advance(hours=47)
    assert await prune(db, clock.now(), timedelta(hours=48)) == 0
    clock.advance(hours=2)
    assert await prune(db, clock.now(), timedelta(hours=48)) == 2
    assert await counts(db) == {"unfinished": 1, "done": 0}


async def test_one_chat_in_order_other_chats_not_held_by_a_slow_one(db, app) -> None:
    clock = ManualClock()
    release_slow = asyncio.Event()
    log: list[tuple[int, int]] = []
    seen_chat: list[int | None] = []

    async def handle(update: Update) -> None:
        chat = update.effective_chat.id
        seen_chat.append(current_chat.get())
        if update.effective_message.text == "slow":
            await release_slow.wait()
        log.append((chat, update.update_id))

    dispatcher = Dispatcher(app, db, clock, concurrency=4, handle=handle)
    dispatcher.start()
    batch = [message(1, 7, "slow"), message(2, 7), message(3, 7)]
    batch += [message(10 + i, 100 + i) for i in range(6)]
    dispatcher.submit(await store(db, batch, sealer=SEAL))
    # Six other chats are all answered while chat 7 is stuck on its first update.
    await asyncio.wait_for(dispatcher.wait_handled(6), 5)
    assert {c for c, _ in log} == {100 + i for i in range(6)}
    assert await counts(db) == {"unfinished": 3, "done": 6}
    release_slow.set()
    await dispatcher.wait_idle()
    assert [u for c, u in log if c == 7] == [1, 2, 3]
    assert await counts(db) == {"unfinished": 0, "done": 9}
    assert set(seen_chat) == {7, *(100 + i for i in range(6))}
    await dispatcher.stop()


async def test_concurrency_is_bounded(db, app) -> None:
    clock = ManualClock()
    running = 0
    peak = 0
    gate = asyncio.Event()
    three = asyncio.Event()

    async def handle(update: Update) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            three.set()
        await gate.wait()
        running -= 1

    dispatcher = Dispatcher(app, db, clock, concurrency=3, handle=handle)
    dispatcher.start()
    dispatcher.submit(await store(db, sealer=SEAL, updates=[message(i, 100 + i) for i in range(10)]))
    await asyncio.wait_for(three.wait(), 5)
    for _ in range(20):
        await asyncio.sleep(0)
    assert peak == 3
    gate.set()
    await dispatcher.wait_idle()
    assert peak == 3
    await dispatcher.stop()


async def test_stop_leaves_waiting_updates_unfinished_for_the_next_start(db, app) -> None:
    clock = ManualClock()
    gate = asyncio.Event()
    started: list[int] = []
    first = asyncio.Event()

    async def handle(update: Update) -> None:
        started.append(update.update_id)
        first.set()
        if update.update_id == 1:
            await gate.wait()

    inbox = Inbox(app, db, clock, SEAL, concurrency=1)
    inbox.dispatcher._handle = handle
    await inbox.start(poll=False)
    await inbox.accept([message(1, 5), message(2, 6), message(3, 7)])
    await asyncio.wait_for(first.wait(), 5)
    stopping = asyncio.get_running_loop().create_task(inbox.stop(timeout=5))
    await asyncio.sleep(0)
    gate.set()
    await stopping
    assert started == [1]
    assert [i.update_id for i in await take_unfinished(db, clock.now(), SEAL)] == [2, 3]


async def test_payload_is_sealed_and_cleared_once_handled(tmp_path, app) -> None:
    path = tmp_path / "k.sqlite3"
    db = await Database.open(path)
    clock = ManualClock()
    await store(db, [message(1, 5, "pickup 731946")], sealer=SEAL)
    assert b"731946" not in b"".join(p.read_bytes() for p in tmp_path.glob("k.sqlite3*"))
    assert await take_unfinished(db, clock.now(), Sealer(b"another secret")) == []
    assert await db.fetchval("SELECT outcome FROM inbox") == "unreadable"

    await store(db, [message(2, 5, "hello")], sealer=SEAL)
    texts: list[str] = []

    async def handle(update: Update) -> None:
        texts.append(update.effective_message.text)

    dispatcher = Dispatcher(app, db, clock, handle=handle)
    dispatcher.start()
    dispatcher.submit(await take_unfinished(db, clock.now(), SEAL))
    await dispatcher.wait_idle()
    await dispatcher.stop()
    assert texts == ["hello"]
    assert await db.fetchval("SELECT COUNT(*) FROM inbox WHERE payload IS NOT NULL") == 0
    await db.close()


async def test_a_replay_starts_from_the_flow_step_of_its_first_run(db, app) -> None:
    from bot.domain import FlowState
    from bot.inbox.store import rewind
    from bot.storage import flows
    from tests.factories import ensure_user

    clock = ManualClock()

    class Svc:  # what tests.factories needs
        pass

    svc = Svc()
    svc.db, svc.clock = db, clock
    await ensure_user(svc, 5)
    await flows.put(db, 5, FlowState("receive", "ids", {}), clock.now())
    (item,) = await store(db, [message(1, 5, "TRK1")], sealer=SEAL)
    await begin(db, item, clock.now())
    await flows.clear(db, 5)  # the handler moved the flow on; then the process was killed
    (again,) = await take_unfinished(db, clock.now(), SEAL)
    assert again.started
    await rewind(db, again, clock.now())
    assert await flows.get(db, 5) == FlowState("receive", "ids", {})
    await begin(db, again, clock.now())  # the snapshot of the first run is kept
    await flows.put(db, 5, FlowState("pickup", "code", {}), clock.now())
    await rewind(db, again, clock.now())
    assert await flows.get(db, 5) == FlowState("receive", "ids", {})


async def test_poller_acknowledges_a_batch_only_after_it_is_stored(db, monkeypatch) -> None:
    from bot.inbox import poller as poller_module
    from bot.inbox.poller import Poller
    from tests.fakebotapi import FakeBotAPI, FakeRequest

    api = FakeBotAPI()
    app = (Application.builder().token(api.token).request(FakeRequest(api))
           .get_updates_request(FakeRequest(api)).build())
    await app.initialize()
    clock = ManualClock()
    handled: list[int] = []
    seen = asyncio.Event()

    async def handle(update: Update) -> None:
        handled.append(update.update_id)
        seen.set()

    dispatcher = Dispatcher(app, db, clock, handle=handle)
    dispatcher.start()
    failures = 0
    real_store = poller_module.store

    async def failing_store(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        nonlocal failures
        if failures == 0:
            failures += 1
            raise OSError("disk full")
        return await real_store(*args, **kwargs)

    monkeypatch.setattr(poller_module, "store", failing_store)
    poller = Poller(app, db, dispatcher, clock, SEAL, poll_timeout=1)
    poller.first_backoff = 0.01
    first = api.user(7, language_code="en").send_text("/start")
    task = asyncio.get_running_loop().create_task(poller.run())
    try:
        await asyncio.wait_for(seen.wait(), 10)
        # The failed store left the update unacknowledged: Telegram gave it again, it was
        # stored and handled once.
        assert failures == 1 and handled == [first["update_id"]]
        await api.wait_for(lambda: not api.pending_updates, timeout=10,
                           description="acknowledged after it was stored")
        assert await counts(db) == {"unfinished": 0, "done": 1}
    finally:
        task.cancel()
        await dispatcher.stop()
        await app.shutdown()


# ------------------------------------------------------------------ backpressure


class _Watched(Dispatcher):
    """The real dispatcher, noting the largest backlog it ever held."""

    peak = 0

    def submit(self, items: list) -> None:
        super().submit(items)
        self.peak = max(self.peak, self.pending)


async def _yield_to_others() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_polling_pauses_while_the_handlers_are_behind_and_loses_nothing(db) -> None:
    from bot.inbox.poller import Poller
    from tests.fakebotapi import FakeBotAPI, FakeRequest

    api = FakeBotAPI()
    app = (Application.builder().token(api.token).request(FakeRequest(api))
           .get_updates_request(FakeRequest(api)).build())
    await app.initialize()
    clock = ManualClock()
    handled: list[tuple[int, str]] = []
    allowed = asyncio.Semaphore(0)  # the handlers are stuck (a slow database) until released

    async def handle(update: Update) -> None:
        await allowed.acquire()
        assert update.effective_chat is not None and update.effective_message is not None
        handled.append((update.effective_chat.id, update.effective_message.text or ""))

    dispatcher = _Watched(app, db, clock, concurrency=4, handle=handle)
    dispatcher.start()
    users = [api.user(chat, language_code="en") for chat in range(1, 6)]
    sent = [u.send_text(f"{u.id}-{i}") for i in range(6) for u in users]  # 30, interleaved
    poller = Poller(app, db, dispatcher, clock, SEAL, poll_timeout=1, max_pending=6)
    task = asyncio.get_running_loop().create_task(poller.run())
    try:
        await asyncio.wait_for(poller.paused.wait(), 10)
        # Six stored, none handled: nothing more is asked for, and nothing is acknowledged
        # (Telegram still holds all 30, the first six included until the next call).
        calls = len(api.requests_for("getUpdates"))
        assert [r.params.get("limit") for r in api.requests_for("getUpdates")] == [6] * calls
        assert await counts(db) == {"unfinished": 6, "done": 0}
        assert len(api.pending_updates) == 30
        # Two handled: four waiting, more than half the bound: still paused.
        allowed.release()
        allowed.release()
        await dispatcher.wait_handled(2)
        await _yield_to_others()
        assert poller.paused.is_set() and len(api.requests_for("getUpdates")) == calls
        # The third brings it down to half: polling asks for the room left (3), then pauses.
        allowed.release()
        await api.wait_for(lambda: len(api.requests_for("getUpdates")) > calls, timeout=10,
                           description="polling resumed")
        assert api.requests_for("getUpdates")[calls].params.get("limit") == 3
        await asyncio.wait_for(poller.paused.wait(), 10)
        # That call acknowledged the first six (stored); Telegram keeps the other 24.
        assert poller.pauses == 2 and len(api.pending_updates) == 24
        assert await counts(db) == {"unfinished": 6, "done": 3}
        # Released: everything handled once, each chat in order, and acknowledged.
        for _ in range(30):
            allowed.release()
        await asyncio.wait_for(dispatcher.wait_handled(30), 20)
        await api.wait_for(lambda: not api.pending_updates, timeout=10,
                           description="every update acknowledged")
    finally:
        task.cancel()
        await dispatcher.stop()
        await app.shutdown()
    assert dispatcher.peak == 6
    assert sorted(handled) == sorted((u["message"]["chat"]["id"], u["message"]["text"])
                                     for u in sent)
    for user in users:
        assert [t for c, t in handled if c == user.id] == [f"{user.id}-{i}" for i in range(6)]
    assert await counts(db) == {"unfinished": 0, "done": 30}
    assert all(r.params.get("limit", 100) <= 6 for r in api.requests_for("getUpdates"))


async def test_a_stop_while_polling_is_paused_is_prompt_and_the_rest_come_next_time(
    db,
) -> None:
    from telegram.ext import TypeHandler

    from tests.fakebotapi import FakeBotAPI, FakeRequest

    api = FakeBotAPI()
    app = (Application.builder().token(api.token).request(FakeRequest(api))
           .get_updates_request(FakeRequest(api)).build())
    await app.initialize()
    clock = ManualClock()
    gate = asyncio.Event()
    handled: list[int] = []

    async def on_update(update: object, context: object) -> None:
        await gate.wait()
        assert isinstance(update, Update)
        handled.append(update.update_id)

    app.add_handler(TypeHandler(Update, on_update))
    sent = [api.user(chat, language_code="en").send_text("hi") for chat in range(1, 11)]
    inbox = Inbox(app, db, clock, SEAL, concurrency=2, poll_timeout=1, max_pending=4)
    try:
        await inbox.start()
        await asyncio.wait_for(inbox.poller.paused.wait(), 10)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await asyncio.wait_for(inbox.stop(timeout=0.2), 5)  # the two in hand are cut
        assert loop.time() - began < 2
        assert await counts(db) == {"unfinished": 4, "done": 0}
        assert len(api.pending_updates) == 10  # nothing acknowledged: Telegram keeps them all

        gate.set()  # the next start: the four stored first, then the six Telegram kept
        inbox = Inbox(app, db, clock, SEAL, concurrency=2, poll_timeout=1, max_pending=4)
        assert await inbox.start() == 4
        await asyncio.wait_for(inbox.dispatcher.wait_handled(10), 20)
        await api.wait_for(lambda: not api.pending_updates, timeout=10,
                           description="every update acknowledged")
    finally:
        await inbox.stop()
        await app.shutdown()
    assert sorted(handled) == [u["update_id"] for u in sent]
    assert await counts(db) == {"unfinished": 0, "done": 10}
