"""The durable inbox: every update is stored before Telegram is told it arrived, and handled
from the store (``docs/inbox.md``).

* :func:`store` — commit raw update dicts; the webhook answers 200 only after it returns.
* :class:`Inbox` — one per process: replays unfinished updates at start, then polls
  (:class:`~bot.inbox.poller.Poller`) or takes webhook batches (:meth:`Inbox.accept`), and hands
  updates to the :class:`~bot.inbox.dispatcher.Dispatcher` (chats in parallel, each in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from telegram.ext import Application

from bot.clock import Clock
from bot.inbox.dispatcher import Dispatcher, current_chat
from bot.inbox.poller import Poller
from bot.inbox.seal import Sealer
from bot.inbox.store import InboxItem, store, take_unfinished
from bot.storage.db import Database

__all__ = ["INBOX_KEY", "Inbox", "InboxItem", "Sealer", "current_chat", "store"]

log = logging.getLogger(__name__)

INBOX_KEY = "kirana.inbox"


class Inbox:
    """Stored updates in, handled updates out. See the module docstring."""

    def __init__(
        self,
        app: Application,
        db: Database,
        clock: Clock,
        sealer: Sealer,
        *,
        concurrency: int = 16,
        poll_timeout: int = 10,
        keep: timedelta = timedelta(hours=48),
        max_pending: int = 1000,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.dispatcher = Dispatcher(app, db, clock, concurrency=concurrency)
        self.poller = Poller(app, db, self.dispatcher, clock, sealer,
                             poll_timeout=poll_timeout, keep=keep, max_pending=max_pending)
        self._poll_task: asyncio.Task[None] | None = None

    async def start(self, *, poll: bool = True) -> int:
        """Queue the updates left unfinished by the last process (first, in order), start the
        workers and, with ``poll``, long polling. Returns how many were left unfinished."""
        left = await take_unfinished(self.db, self.clock.now(), self.sealer)
        if left:
            log.info("inbox: %d update(s) left unfinished; handling them first", len(left))
        self.dispatcher.submit(left)
        self.dispatcher.start()
        if poll:
            self._poll_task = asyncio.get_running_loop().create_task(
                self.poller.run(), name="inbox-poller")
        return len(left)

    async def wait_polling_ended(self) -> None:
        """Until long polling ends (only by :meth:`stop`, or an invalid token: raises then)."""
        if self._poll_task is not None:
            await asyncio.shield(self._poll_task)

    async def accept(self, updates: Iterable[Mapping[str, Any]]) -> list[InboxItem]:
        """Store ``updates`` durably and queue the new ones (the webhook's entry point)."""
        fresh = await store(self.db, updates, sealer=self.sealer, now=self.clock.now())
        self.dispatcher.submit(fresh)
        return fresh

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop polling (nothing more is taken from Telegram), then let the updates being
        handled finish; the rest stay in the inbox for the next start."""
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        await self.dispatcher.stop(timeout)
