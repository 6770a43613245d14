"""Long polling that acknowledges an update only after it is in the inbox.

PTB's ``Updater`` moves the ``getUpdates`` offset as soon as updates are queued in memory, so a
crash loses whatever was queued. Here each batch is committed to the inbox first; only the
*next* ``getUpdates`` call (offset = last stored id + 1) tells Telegram the batch arrived.
A kill between the two makes Telegram deliver the batch again; :func:`bot.inbox.store.store`
recognises the ids already stored and the dispatcher gets only the new ones.

The first call of a process passes no offset: Telegram returns everything not yet
acknowledged. (An offset taken from the database could skip updates after Telegram's ids
restart at a random number, which it does after a week without updates.)
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
    ) -> None:
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

    async def run(self) -> None:
        """Poll until cancelled. Network trouble backs off (1 s doubling to 30 s) and retries."""
        delay = self.first_backoff
        while True:
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.offset,
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
