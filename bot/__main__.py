"""Command line: ``kirana-bot run`` (polling), ``kirana-bot playground`` (the bot against a
built-in Bot API, with a chat page), ``kirana-bot auto`` (``make run``: run with a token, else
the playground), ``kirana-bot migrate``, ``kirana-bot import-manifest FILE.csv``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import logging_setup
from bot.config import ConfigError, Settings, load_settings, token_given

log = logging.getLogger("bot")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"kirana-bot: configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def run_bot(settings: Settings) -> None:
    """Long-poll the Bot API at ``settings.api_base_url`` until stopped (Ctrl+C, SIGTERM)."""
    logging_setup.configure(settings.log_level, settings.token)
    from telegram import Update

    from bot.app import build_application

    app = build_application(settings)
    log.info("starting (polling %s)", settings.api_base_url.split("/bot")[0])
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def cmd_run(args: argparse.Namespace) -> int:
    run_bot(_settings())
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    from bot.playground import runner

    # The playground's own token stands in for KIRANA_BOT_TOKEN; the rest is read as usual.
    settings = _settings(bot_token=runner.PLAYGROUND_TOKEN)
    return runner.run(settings, port=args.port, demo=args.demo, reset=args.reset,
                      run_bot=run_bot)


def cmd_auto(args: argparse.Namespace) -> int:
    if token_given():
        return cmd_run(args)
    return cmd_playground(args)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    logging_setup.configure(settings.log_level, settings.token)
    from bot.storage.db import Database

    async def go() -> list[str]:
        db = await Database.open(settings.db_path, migrate=False)
        try:
            applied = await db.migrate()
            version = await db.schema_version()
        finally:
            await db.close()
        print(f"{settings.db_path}: schema version {version}"
              f" ({len(applied)} migration(s) applied)")
        return applied

    asyncio.run(go())
    return 0


def cmd_import_manifest(args: argparse.Namespace) -> int:
    settings = _settings()
    logging_setup.configure(settings.log_level, settings.token)
    from pathlib import Path

    from bot.manifest_cli import run_import

    return run_import(settings, Path(args.file), links=Path(args.links) if args.links else None,
                      bot_username=args.bot_username)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kirana-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    for name, func, text in (
        ("playground", cmd_playground,
         "run the bot against a built-in Bot API, with a chat page in the browser"),
        ("auto", cmd_auto, "`run` when KIRANA_BOT_TOKEN is set, else `playground` (make run)"),
    ):
        play = sub.add_parser(name, help=text)
        play.add_argument("--port", type=int, default=None,
                          help="port of the chat page (default: KIRANA_PLAYGROUND_PORT, 8080)")
        play.add_argument("--demo", action="store_true",
                          help="load demo stores, parcels and customers (once per database)")
        play.add_argument("--reset", action="store_true",
                          help="start from an empty playground database")
        play.set_defaults(func=func)
    sub.add_parser("migrate", help="apply database migrations and exit").set_defaults(
        func=cmd_migrate)
    manifest = sub.add_parser(
        "import-manifest", help="load a courier manifest (CSV) as expected parcels")
    manifest.add_argument("file", help="CSV: tracking_id,store_code,customer_phone,customer_name")
    manifest.add_argument("--links", metavar="OUT.csv",
                          help="write tracking_id,deep_link for the file's parcels")
    manifest.add_argument("--bot-username", metavar="NAME",
                          help="for --links; asked from the Bot API (getMe) when not given")
    manifest.set_defaults(func=cmd_import_manifest)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run", *(argv or [])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
