"""Command line: ``kirana-bot run`` (polling, or ``--webhook``), ``kirana-bot playground`` (the bot
against a built-in Bot API, with a chat page), ``kirana-bot auto`` (``make run``: run with a
token, else the playground), ``kirana-bot migrate``, ``kirana-bot import-manifest FILE.csv``,
``kirana-bot payouts 2026-11``, ``kirana-bot backup PATH``, ``kirana-bot restore PATH``,
``kirana-bot health``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot import logging_setup
from bot.config import ConfigError, Settings, load_settings, token_given
from bot.ops import cli as ops_cli

log = logging.getLogger("bot")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"kirana-bot: configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def run_bot(settings: Settings, *, webhook: bool = False,
            stop: asyncio.Event | None = None) -> int:
    """Run the bot (long polling, or the webhook) until stopped (Ctrl+C, SIGTERM)."""
    logging_setup.configure(settings.log_level, settings.token, settings.log_format)
    from bot.app import build_application
    from bot.inbox.runner import serve
    from bot.ops.runlock import DatabaseInUse, RunLock

    try:
        lock = RunLock(settings.db_path, "run").acquire()
    except DatabaseInUse as exc:
        print(f"kirana-bot: not started: {exc}", file=sys.stderr)
        return 1
    try:
        app = build_application(settings)
        mode = "webhook" if webhook else "polling"
        log.info("starting (%s, Bot API %s)", mode, settings.api_base_url.split("/bot")[0])
        return asyncio.run(serve(app, settings, stop, webhook=webhook))
    finally:
        lock.release()


def cmd_run(args: argparse.Namespace) -> int:
    # A SIGTERM while starting up is a graceful stop too (the runner then stops at once).
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    settings = _settings()
    webhook = getattr(args, "webhook", False)
    if webhook and not settings.webhook_url:
        print("kirana-bot: configuration error:\nKIRANA_WEBHOOK_URL is not set: --webhook needs "
              "the public https:// address Telegram sends updates to (README, Deploying).",
              file=sys.stderr)
        return 2
    return run_bot(settings, webhook=webhook, stop=stop)


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
    logging_setup.configure(settings.log_level, settings.token, settings.log_format)
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
    logging_setup.configure(settings.log_level, settings.token, settings.log_format)
    from pathlib import Path

    from bot.manifest_cli import run_import

    return run_import(settings, Path(args.file), links=Path(args.links) if args.links else None,
                      bot_username=args.bot_username)


def cmd_payouts(args: argparse.Namespace) -> int:
    settings = _settings()
    logging_setup.configure(settings.log_level, settings.token)
    from pathlib import Path

    from bot.payouts_cli import run_payouts

    return run_payouts(settings, args.month, out_dir=Path(args.out), paid=args.paid)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kirana-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="receive updates on KIRANA_WEBHOOK_URL instead of long polling")
    run.set_defaults(func=cmd_run)
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
    pay = sub.add_parser("payouts", help="a month's payouts to stores as CSV files")
    pay.add_argument("month", help="YYYY-MM, e.g. 2026-11")
    pay.add_argument("--out", default=".", metavar="DIR", help="where to write the CSV files")
    pay.add_argument("--paid", action="store_true", help="also mark the month paid (once)")
    pay.set_defaults(func=cmd_payouts)
    ops_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run", *(argv or [])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
