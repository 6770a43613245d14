"""``GET /healthz`` on a local port (``KIRANA_HEALTH_LISTEN``:``KIRANA_HEALTH_PORT``)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from bot.ops.health import RunState, check
from bot.ops.web import Server

log = logging.getLogger(__name__)


def health_app(db_path: Path, state: RunState | None, *, max_inbox_age: float) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        health = await asyncio.to_thread(check, db_path, state, max_inbox_age=max_inbox_age)
        if not health.ok:
            log.warning("health: %s", "; ".join(health.body["reasons"]))
        return web.json_response(health.body, status=health.status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


async def start_health_server(host: str, port: int, db_path: Path, state: RunState, *,
                              max_inbox_age: float) -> Server | None:
    """Start it, or log why not and go on: the bot serving people matters more than its health
    page (a HEALTHCHECK then reports the bot unhealthy, which the operator sees)."""
    server = Server(health_app(db_path, state, max_inbox_age=max_inbox_age), host, port)
    try:
        bound = await server.start()
    except OSError as exc:
        log.error("health: cannot listen on %s:%s (%s); /healthz is not served", host, port,
                  exc.strerror or exc)
        await server.stop()
        return None
    log.info("health: http://%s:%s/healthz", host, bound)
    return server
