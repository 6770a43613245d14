"""Receives Telegram's webhook calls: stored in the inbox first, answered 200 after.

``POST <path of KIRANA_WEBHOOK_URL>`` with one update as JSON:

* no ``X-Telegram-Bot-Api-Secret-Token`` header: 401; a wrong one: 403 (compared in constant
  time). Logged with the caller's address, never the header's value.
* a body that is not an update (not JSON, no integer ``update_id``): 400, logged without the
  body (it could hold a pickup code or a phone number).
* otherwise the update is committed to the inbox (:meth:`bot.inbox.Inbox.accept`) and only
  then answered 200: a kill -9 right after the answer loses nothing. If storing fails (the
  database is unavailable), 500: Telegram keeps the update and tries again later.

Telegram re-sends an update it got no 200 for; the inbox recognises one it already stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.ops.web import Server
from bot.ratelimit import retry_seconds

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # a Telegram update is a few kB; documents come as file ids

Accept = Callable[[Iterable[Mapping[str, Any]]], Awaitable[object]]


def _peer(request: web.Request) -> str:
    # Behind the proxy the socket peer is the proxy; it passes the client in X-Forwarded-For.
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return forwarded or request.remote or "?"


def webhook_app(path: str, secret: str, accept: Accept) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            log.warning("webhook: refused a request from %s without the secret token (401)",
                        _peer(request))
            return web.Response(status=401, text="unauthorized")
        if not hmac.compare_digest(given.encode(), expected):
            log.warning("webhook: refused a request from %s with a wrong secret token (403)",
                        _peer(request))
            return web.Response(status=403, text="forbidden")
        try:
            update = json.loads(await request.read())
        except ValueError:
            update = None
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("webhook: refused a body that is not an update (400)")
            return web.Response(status=400, text="not an update")
        try:
            await accept([update])
        except Exception as exc:  # noqa: BLE001 - Telegram will send it again
            log.error("webhook: update %s not stored (%s); answered 500, Telegram retries",
                      update_id, type(exc).__name__)
            return web.Response(status=500, text="not stored")
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    return app


class WebhookServer(Server):
    def __init__(self, host: str, port: int, path: str, secret: str, accept: Accept) -> None:
        super().__init__(webhook_app(path, secret, accept), host, port)
        self.path = path


async def register_webhook(bot: Bot, url: str, secret: str,
                           stop: asyncio.Event | None = None) -> bool:
    """Tell Telegram where to post: every update type, nothing pending dropped.

    Network trouble and 429 are retried (1 s doubling to 30 s) until it works or ``stop`` is
    set (then False); a refusal (a bad URL, a bad token) raises.
    """
    delay = 1.0
    while True:
        try:
            await bot.set_webhook(
                url=url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            return True
        except RetryAfter as exc:
            wait = retry_seconds(exc)
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest):
                raise
            log.warning("webhook: setWebhook failed (%s); retrying in %.0f s", exc, delay)
            wait, delay = delay, min(delay * 2, 30.0)
        if stop is None:
            await asyncio.sleep(wait)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return False
