"""A small aiohttp server: started on a host and port (0 = any free one), stopped gracefully."""

from __future__ import annotations

from aiohttp import web

SHUTDOWN_SECONDS = 10.0


class Server:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=SHUTDOWN_SECONDS)
        self.host = host
        self.port = port
        self._stopped = False

    async def start(self) -> int:
        """Listen; returns the port (the one chosen by the system when asked for 0)."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop listening, let the requests being answered finish (up to 10 s), close."""
        if not self._stopped:
            self._stopped = True
            await self._runner.cleanup()
