"""``kirana-bot run``: the Application's life with the inbox instead of PTB's ``run_polling``.

Same order as PTB: initialize → post_init → start; then the health server, the inbox and either
long polling or (``webhook=True``) the webhook server and ``setWebhook``.

On SIGTERM/SIGINT, in this order: /healthz answers 503 "stopping"; no more updates are taken
(polling stops; the webhook server stops listening after answering the requests it holds —
each stored before its 200); the updates being handled finish (up to
``KIRANA_STOP_GRACE_SECONDS``); the Application stops; post_shutdown stops the senders at a
clean point (each message in flight finishes and is recorded) and closes the database. What was
stored and not finished is handled at the next start, and a SIGKILL at any point loses nothing
either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from datetime import timedelta

from telegram.ext import Application

from bot.config import Settings
from bot.handlers.context import SERVICES_KEY
from bot.inbox import INBOX_KEY, Inbox, Sealer
from bot.ops.health import RunState
from bot.ops.health_server import start_health_server
from bot.ops.web import Server
from bot.services.context import Services
from bot.webhook import WebhookServer, register_webhook

log = logging.getLogger(__name__)

RUN_STATE_KEY = "kirana.run_state"


async def _step(what: str, action: Awaitable[object]) -> None:
    try:
        await action
    except Exception:  # noqa: BLE001 - logged; the next steps must still run
        log.exception("stopping: %s failed", what)


async def serve(app: Application, settings: Settings, stop: asyncio.Event | None = None, *,
                webhook: bool = False) -> int:
    """Run the bot until ``stop`` is set (or a signal): long polling through the inbox, or,
    with ``webhook``, Telegram's calls to ``KIRANA_WEBHOOK_URL``. Returns the exit status:
    0 after a stop that was asked for, 1 when polling ended by itself (e.g. a refused token)."""
    failed = False
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    state = RunState(mode="webhook" if webhook else "polling")
    app.bot_data[RUN_STATE_KEY] = state
    health: Server | None = None
    receiver: WebhookServer | None = None
    inbox: Inbox | None = None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        svc: Services = app.bot_data[SERVICES_KEY]
        health = await start_health_server(
            settings.health_listen, settings.health_port, settings.db_path, state,
            max_inbox_age=settings.health_max_inbox_age_seconds)
        if not webhook:
            await app.bot.delete_webhook(drop_pending_updates=False)
        await app.start()
        inbox = Inbox(
            app, svc.db, svc.clock, Sealer.for_settings(settings),
            concurrency=settings.update_concurrency,
            keep=timedelta(hours=settings.inbox_keep_hours),
            max_pending=settings.inbox_max_pending,
        )
        app.bot_data[INBOX_KEY] = inbox
        await inbox.start(poll=not webhook)
        stop_signal = loop.create_task(stop.wait())
        waiting = {stop_signal}
        if webhook:
            assert settings.webhook_url is not None
            secret = settings.webhook_secret_token
            receiver = WebhookServer(settings.webhook_listen, settings.webhook_port,
                                     settings.webhook_path, secret, inbox.accept)
            try:
                port = await receiver.start()
            except OSError as exc:
                log.critical("webhook: cannot listen on %s:%s (%s)", settings.webhook_listen,
                             settings.webhook_port, exc.strerror or exc)
                raise SystemExit(1) from None
            log.info("webhook: listening on http://%s:%s%s", settings.webhook_listen, port,
                     settings.webhook_path)
            if await register_webhook(app.bot, settings.webhook_url, secret, stop):
                log.info("webhook: Telegram posts to %s", settings.webhook_url)
        else:
            polling = loop.create_task(inbox.wait_polling_ended())
            waiting.add(polling)
        state.ready = True
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in waiting:
            task.cancel()
        if stop_signal not in done:
            ended = next(iter(done))
            reason = ended.exception() if not ended.cancelled() else None
            log.critical("polling stopped%s; stopping the bot", f": {reason}" if reason else "")
            failed = True
    finally:
        # The same way down after a signal, a failed start or an error; each step runs even if
        # one before it failed (a database left open would keep the process alive).
        state.stopping = True
        log.info("stopping: no more updates are taken; finishing those in hand")
        if receiver is not None:
            await _step("webhook server", receiver.stop())
        if inbox is not None:
            await _step("inbox", inbox.stop(settings.stop_grace_seconds))
        if app.running:
            await _step("application", app.stop())
            if app.post_stop is not None:
                await _step("post_stop", app.post_stop(app))
        await _step("shutdown", app.shutdown())
        if app.post_shutdown is not None:
            await _step("senders and database", app.post_shutdown(app))
        if health is not None:
            await _step("health server", health.stop())
        log.info("stopped")
    return 1 if failed else 0
