"""``kirana-bot playground`` (and ``make run`` without a token): the real bot, polling a Bot API
emulator that runs in this process, with the chat page on http://127.0.0.1:8080.

The emulator and the page run on their own event loop in a thread; the bot runs exactly as
``kirana-bot run`` does (same ``build_application``, same inbox runner) and reaches the
emulator over HTTP on loopback, like it reaches Telegram. Only the base URL, the token, the
database (``data/playground.sqlite3``) and the admin list differ.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings

from .botapi import FakeBotAPI
from .personas import ADMIN_ID, PERSONAS
from .web import PlaygroundServer

# Accepted by the emulator only; shaped like a real token so the settings accept it.
PLAYGROUND_TOKEN = "5550000001:AAPlayground-not-a-Telegram-token"
PLAYGROUND_DB = Path("data/playground.sqlite3")
BOT_USERNAME = "kirana_playground_bot"
HOST = "127.0.0.1"


class PortInUse(Exception):
    pass


class EmulatorThread(threading.Thread):
    """Serves a :class:`PlaygroundServer` on its own event loop until :meth:`stop`."""

    def __init__(self, server: PlaygroundServer, port: int) -> None:
        super().__init__(name="playground-botapi", daemon=True)
        self.server = server
        self.port = port
        self.ready = threading.Event()
        self.error: OSError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self.server.start(HOST, self.port)
        except OSError as exc:
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        await self._stopping.wait()
        await self.server.stop()

    def start_serving(self) -> PlaygroundServer:
        self.start()
        self.ready.wait()
        if self.error is not None:
            raise PortInUse(f"cannot listen on {HOST}:{self.port}: {self.error.strerror}")
        return self.server

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # the loop is already closed
                return
        self.join(timeout=10)


def playground_settings(settings: Settings, base_url: str, file_url: str) -> Settings:
    """The bot's settings for the playground: everything else as configured."""
    return settings.model_copy(update={
        "api_base_url": base_url,
        "api_file_url": file_url,
        "db_path": PLAYGROUND_DB,
        "admin_ids": frozenset({ADMIN_ID}),
    })


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run(settings: Settings, *, port: int | None, demo: bool, reset: bool,
        run_bot: Callable[[Settings], None]) -> int:
    """Start the emulator and page, load the demo if asked, print the address, run the bot."""
    if reset:
        remove_database(PLAYGROUND_DB)
    # strict_html=False: a bare "&" is taken as Telegram's server takes it (the tests are strict).
    api = FakeBotAPI(PLAYGROUND_TOKEN, bot_username=BOT_USERNAME,
                     bot_first_name="Kirana Partner Bot (playground)", strict_html=False)
    server = PlaygroundServer(api, db_path=PLAYGROUND_DB, personas=PERSONAS)
    thread = EmulatorThread(server, settings.playground_port if port is None else port)
    try:
        thread.start_serving()
    except PortInUse as exc:
        print(f"kirana-bot playground: {exc}; choose another port with "
              f"KIRANA_PLAYGROUND_PORT=8090 (or --port 8090).", flush=True)
        return 2
    try:
        bot_settings = playground_settings(settings, server.base_url, server.file_url)
        PLAYGROUND_DB.parent.mkdir(parents=True, exist_ok=True)
        demo_line = "not loaded (kirana-bot playground --demo, or make demo)"
        if demo:
            from .demo import load_demo

            summary = asyncio.run(load_demo(bot_settings))
            codes = ", ".join(summary.store_codes)
            demo_line = (f"{len(summary.store_codes)} approved stores ({codes}), "
                         f"{summary.parcels} expected parcels, {summary.customers} linked "
                         "customers" if summary.loaded else f"already loaded (stores {codes})")
        print(banner(f"http://{HOST}:{server.port}/", demo_line), flush=True)
        run_bot(bot_settings)
    finally:
        thread.stop()
    return 0


def banner(url: str, demo_line: str) -> str:
    people = ", ".join(f"{p.first_name} ({p.role})" for p in PERSONAS)
    return "\n".join([
        "",
        "  Kirana Partner Bot — playground (no KIRANA_BOT_TOKEN: nothing goes to Telegram)",
        "",
        f"  Open the chat page:  {url}",
        "",
        f"  database   {PLAYGROUND_DB} (separate from the real one)",
        f"  people     {people}",
        f"  demo data  {demo_line}",
        "  stop       Ctrl+C",
        "",
    ])
