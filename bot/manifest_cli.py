"""``kirana-bot import-manifest FILE.csv [--links OUT.csv] [--bot-username NAME]``.

Loads a courier manifest into the database the bot uses (``KIRANA_DB_PATH``), printing progress
to stderr and the report to stdout. Exit status: 0 all rows loaded (or already there), 3 loaded
with some rows reported as errors, 1 the file was refused and nothing loaded, 2 bad usage.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Settings
from bot.i18n import translator
from bot.services.context import Services
from bot.services.manifest import MAX_BYTES, FileProblem, RejectedFile
from bot.services.manifest_import import ImportProblem, ImportReport, Progress, import_manifest
from bot.storage.db import Database

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_ROW_ERRORS = 0, 1, 2, 3
ERRORS_PRINTED = 100


def _plain(html_text: str) -> str:
    """The bot's HTML report as terminal text."""
    import html
    import re

    return html.unescape(re.sub(r"</?(?:b|i|code)>", "", html_text))


async def bot_username_from_api(settings: Settings) -> str:
    """Ask the Bot API who the bot is (getMe) — for the deep links."""
    from telegram import Bot

    bot = Bot(settings.token, base_url=settings.api_base_url)
    async with bot:
        return bot.username


def run_import(
    settings: Settings,
    path: Path,
    *,
    links: Path | None = None,
    bot_username: str | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Load the manifest at ``path``; returns the exit status."""
    from bot.handlers.manifest_upload import links_csv, render_rejected, render_report

    t = translator("en")
    if not path.is_file():
        print(f"kirana-bot: no such file: {path}", file=err)
        return EXIT_USAGE
    if path.stat().st_size > MAX_BYTES:
        print(_plain(render_rejected(t, RejectedFile(FileProblem.TOO_LARGE))), file=out)
        return EXIT_REJECTED
    if links is not None and not bot_username:
        try:
            bot_username = asyncio.run(bot_username_from_api(settings))
        except Exception as exc:  # noqa: BLE001 - any failure: tell the operator what to do
            print(f"kirana-bot: could not ask the Bot API for the bot's username ({exc}); "
                  "pass --bot-username NAME", file=err)
            return EXIT_USAGE
    data = path.read_bytes()
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        if stage == "parsed":
            print(f"{path.name}: {done:,} rows read ({elapsed:.2f} s)", file=err, flush=True)
        else:
            print(f"{path.name}: loading {done:,}/{total:,} new parcels ({elapsed:.2f} s)",
                  file=err, flush=True)

    result = asyncio.run(load(settings, data, path.name, progress))
    if isinstance(result, RejectedFile):
        print(_plain(render_rejected(t, result)), file=out)
        return EXIT_REJECTED
    print(f"{path.name}: done in {time.perf_counter() - started:.2f} s", file=err, flush=True)
    print(_plain(render_report(t, result, errors_shown=ERRORS_PRINTED)), file=out)
    if links is not None:
        assert bot_username
        links.write_bytes(links_csv(bot_username, result.links))
        print(f"deep links for {len(result.links):,} parcels written to {links}", file=out)
    return EXIT_ROW_ERRORS if result.errors else EXIT_OK


async def load(
    settings: Settings, data: bytes, file_name: str, progress: Progress | None = None
) -> ImportReport | RejectedFile:
    """Open the database (migrating it) and import the manifest as the command line."""
    db = await Database.open(settings.db_path)
    try:
        svc = Services(settings=settings, db=db, clock=SystemClock())
        result = await import_manifest(
            svc, data, file_name, actor_id=None, source="cli", progress=progress)
    finally:
        await db.close()
    assert not isinstance(result, ImportProblem)
    return result
