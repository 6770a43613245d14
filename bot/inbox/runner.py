"""``kirana-bot run``: the Application's life with the inbox instead of PTB's ``run_polling``.

Same order as PTB: initialize → post_init → start; on SIGTERM/SIGINT: stop taking updates,
let the ones being handled finish, stop → shutdown → post_shutdown. A SIGKILL at any point
loses nothing: what was stored and not finished is handled at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from telegram.ext import Application

from bot.config import Settings
from bot.handlers.context import SERVICES_KEY
from bot.inbox import INBOX_KEY, Inbox, Sealer
from bot.services.context import Services

log = logging.getLogger(__name__)


async def serve(app: Application, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the bot, long polling through the inbox, until ``stop`` is set (or a signal)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        svc: Services = app.bot_data[SERVICES_KEY]
        await app.bot.delete_webhook(drop_pending_updates=False)
        await app.start()
        inbox = Inbox(
            app, svc.db, svc.clock, Sealer.for_settings(settings),
            concurrency=settings.update_concurrency,
            keep=timedelta(hours=settings.inbox_keep_hours),
        )
        app.bot_data[INBOX_KEY] = inbox
        await inbox.start()
        stopped = loop.create_task(stop.wait())
        polling = loop.create_task(inbox.wait_polling_ended())
        await asyncio.wait({stopped, polling}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if polling.done() and polling.exception() is not None:
            log.critical("polling stopped: %s", polling.exception())
        polling.cancel()
        log.info("stopping")
        await inbox.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
