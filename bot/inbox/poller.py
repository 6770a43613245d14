"""Long polling that acknowledges an update only after it is in the inbox.

PTB's ``Updater`` moves the ``getUpdates`` offset as soon as updates are queued in memory, so a
crash loses whatever was queued. Here each batch is committed to the inbox first; only the
*next* ``getUpdates`` call (offset = last stored id + 1) tells Telegram the batch arrived.
A kill between the two makes Telegram deliver the batch again; :func:`bot.inbox.store.store`
recognises the ids already stored and the dispatcher gets only the new ones.

The first call of a process passes no offset: Telegram returns everything not yet
acknowledged. (An offset taken from the database could skip updates after Telegram's ids
restart at a random number, which it does after a week without updates.)

Backpressure: at most ``max_pending`` updates are stored and not yet handled. Each call asks
for no more than the room left (``limit``); when there is none, polling pauses until the
handlers have brought the backlog down to half, and Telegram keeps what was not asked for
(unacknowledged, in order). Only the dispatcher's workers lower the backlog and they never
wait for the poller, so the pause always ends; cancelling it (shutdown) is immediate.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.clock import Clock
from bot.inbox.dispatcher import Dispatcher
from bot.inbox.seal import Sealer
from bot.inbox.store import prune, store
from bot.ratelimit import retry_seconds
from bot.storage.db import Database

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
MAX_BATCH = 100  # Telegram's largest getUpdates limit


class Poller:
    def __init__(
        self,
        app: Application,
        db: Database,
        dispatcher: Dispatcher,
        clock: Clock,
        sealer: Sealer,
        *,
        poll_timeout: int = 10,
        keep: timedelta = timedelta(hours=48),
        max_pending: int = 1000,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.app = app
        self.db = db
        self.dispatcher = dispatcher
        self.clock = clock
        self.sealer = sealer
        self.poll_timeout = poll_timeout
        self.keep = keep
        self.offset: int | None = None
        self._last_prune = None
        self.batches = 0
        self.first_backoff = 1.0  # seconds after a failure; doubles up to 30 s
        self.max_pending = max_pending
        self.pauses = 0  # times polling waited for the handlers to catch up
        self.paused = asyncio.Event()  # set while polling waits for them

    async def run(self) -> None:
        """Poll until cancelled. Network trouble backs off (1 s doubling to 30 s) and retries."""
        delay = self.first_backoff
        while True:
            room = await self._room()
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.offset,
                    limit=room,
                    timeout=self.poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
                await self._take(updates)
                delay = self.first_backoff
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.critical("Telegram refused the bot token; polling stopped")
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except (Conflict, TimedOut, NetworkError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            except Exception:  # noqa: BLE001 - e.g. the database: keep the bot alive, retry
                log.exception("polling failed; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            await self._maybe_prune()

    async def _room(self) -> int:
        """How many updates the next ``getUpdates`` may bring; first waits, while the backlog is
        full, until the handlers have brought it down to half."""
        backlog = self.dispatcher.pending
        if backlog >= self.max_pending:
            self.pauses += 1
            log.warning("inbox: %d updates waiting to be handled; polling paused until %d",
                        backlog, self.max_pending // 2)
            self.paused.set()
            try:
                await self.dispatcher.wait_pending_at_most(self.max_pending // 2)
            finally:
                self.paused.clear()
            log.info("inbox: handlers caught up; polling again")
        return min(MAX_BATCH, self.max_pending - self.dispatcher.pending)

    async def _take(self, updates: tuple[Update, ...]) -> None:
        if not updates:
            return
        # to_dict() gives back the Bot API JSON (unknown fields are kept in api_kwargs).
        fresh = await store(self.db, [u.to_dict() for u in updates], sealer=self.sealer,
                            now=self.clock.now())
        # Durable now: the next getUpdates with this offset acknowledges the batch.
        self.offset = max(u.update_id for u in updates) + 1
        self.batches += 1
        self.dispatcher.submit(fresh)

    async def _maybe_prune(self) -> None:
        now = self.clock.now()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            removed = await prune(self.db, now, self.keep)
        except Exception:  # noqa: BLE001 - pruning can wait for the next hour
            log.exception("could not prune the inbox")
            return
        if removed:
            log.info("inbox: pruned %d handled update(s)", removed)
