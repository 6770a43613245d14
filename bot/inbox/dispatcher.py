"""Handles stored updates: chats concurrently (bounded), each chat's updates strictly in order.

Every chat with work waiting is in a ready queue; ``concurrency`` workers each take a chat,
handle its oldest update through ``Application.process_update`` and mark it done in the
inbox, then put the chat back at the end of the queue if it has more. A chat is held by at
most one worker, so one person's messages are handled in the order they were sent, and a
slow reply to one person never holds anyone else (only that person's next update).

While an update is handled, :data:`current_chat` names its chat, so that the code sending
Telegram requests can tell a reply to the person being answered from a message to someone
else (see ``bot/inbox/replies.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from bot.inbox.store import InboxItem, begin, mark_done, rewind
from bot.storage.db import Database

log = logging.getLogger(__name__)

current_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "kirana_current_chat", default=None
)


class Dispatcher:
    def __init__(
        self,
        app: Application,
        db: Database,
        clock: Clock,
        *,
        concurrency: int = 16,
        handle: Callable[[Update], Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.app = app
        self.db = db
        self.clock = clock
        self.concurrency = concurrency
        self._handle = handle or app.process_update
        self._queues: dict[object, deque[InboxItem]] = {}
        self._busy: set[object] = set()  # chats queued in _ready or held by a worker
        self._ready: asyncio.Queue[object] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._holding: set[object] = set()  # chats whose update is being handled now
        self._stopping = False
        self._changed = asyncio.Event()
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.handled = 0
        self._progress = asyncio.Event()
        self._fewer = asyncio.Event()  # set each time an update leaves the queue

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._workers:
            return
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._workers = [
            loop.create_task(self._work(), name=f"inbox-worker-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let the updates being handled finish (up to ``timeout``), then stop the workers.

        Updates not yet started stay unfinished in the inbox and are handled at the next start.
        """
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._holding and loop.time() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    # ------------------------------------------------------------------ feeding

    def submit(self, items: list[InboxItem]) -> None:
        """Queue stored updates (in ``update_id`` order) for handling."""
        for item in items:
            key: object = item.chat_id if item.chat_id is not None else ("update", item.update_id)
            self._queues.setdefault(key, deque()).append(item)
            self._pending += 1
            self._idle.clear()
            if key not in self._busy:
                self._busy.add(key)
                self._ready.put_nowait(key)

    @property
    def pending(self) -> int:
        """Updates queued or being handled."""
        return self._pending

    async def wait_handled(self, count: int) -> None:
        """Until ``count`` updates have been handled and marked done (tests, benchmarks)."""
        while self.handled < count:
            self._progress.clear()
            await self._progress.wait()

    async def wait_pending_at_most(self, count: int) -> None:
        """Until no more than ``count`` updates are queued or being handled (the poller's
        backpressure). Only the workers lower the count, and they never wait for the poller."""
        while self._pending > count:
            self._fewer.clear()
            await self._fewer.wait()

    async def wait_idle(self) -> None:
        """Until every submitted update has been handled (tests, benchmarks)."""
        await self._idle.wait()

    # ------------------------------------------------------------------ workers

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            queue = self._queues.get(key)
            if not queue or self._stopping:
                self._busy.discard(key)
                continue
            item = queue[0]
            self._holding.add(key)
            try:
                await self._run(item)
            finally:
                self._holding.discard(key)
                self._changed.set()
            queue.popleft()
            self._pending -= 1
            self._fewer.set()
            if self._pending == 0:
                self._idle.set()
            if queue and not self._stopping:
                self._ready.put_nowait(key)  # behind the other chats waiting: fair
            else:
                self._queues.pop(key, None)
                self._busy.discard(key)

    async def _run(self, item: InboxItem) -> None:
        token = current_chat.set(item.chat_id)
        try:
            try:
                update = Update.de_json(item.payload, self.app.bot)
            except Exception:  # noqa: BLE001 - a malformed update must not stop the others
                log.exception("update %s could not be read; skipped", item.update_id)
                await mark_done(self.db, item.update_id, self.clock.now(), "unreadable")
                return
            if item.started:
                await rewind(self.db, item, self.clock.now())
            if item.chat_id is not None:
                await begin(self.db, item, self.clock.now())
            # Handler errors are caught by PTB and go to the error handler.
            await self._handle(update)
            await mark_done(self.db, item.update_id, self.clock.now())
            self.handled += 1
            self._progress.set()
        except asyncio.CancelledError:
            raise  # stopping: the update stays unfinished and is handled at the next start
        except Exception:  # noqa: BLE001 - e.g. the database went away; retried at next start
            log.exception("update %s not handled", item.update_id)
        finally:
            current_chat.reset(token)
