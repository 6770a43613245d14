"""The operator's commands: ``kirana-bot backup PATH``, ``restore PATH`` and ``health``.

Exit status: 0 done (or healthy), 1 refused, failed (or unhealthy), 2 bad configuration.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pydantic import ValidationError

from bot.config import ToolSettings, describe_error
from bot.ops.backup import BackupError, backup, restore
from bot.ops.runlock import DatabaseInUse


def _tool_settings() -> ToolSettings:
    try:
        return ToolSettings()
    except ValidationError as exc:
        print(f"kirana-bot: configuration error:\n{describe_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else _tool_settings().db_path


def cmd_health(args: argparse.Namespace) -> int:
    """GET /healthz of the bot on this machine: exit 0 when healthy (Docker's HEALTHCHECK)."""
    settings = _tool_settings()
    host = settings.health_listen
    if host in {"0.0.0.0", "::", ""}:
        host = "127.0.0.1"
    url = args.url or f"http://{host}:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as answer:  # noqa: S310
            body = answer.read().decode()
            status = answer.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    except OSError as exc:
        print(f"kirana-bot health: {url}: {exc}", file=sys.stderr)
        return 1
    print(body)
    return 0 if status == 200 else 1


def cmd_backup(args: argparse.Namespace) -> int:
    db_path = _db_path(args)
    try:
        result = backup(db_path, args.path, keep=args.keep)
    except BackupError as exc:
        print(f"kirana-bot backup: {exc}", file=sys.stderr)
        return 1
    print(f"{result.path}: {result.bytes} bytes, schema version {result.schema_version}, "
          "integrity ok")
    for old in result.removed:
        print(f"removed old backup {old}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    db_path = _db_path(args)
    try:
        result = restore(Path(args.path), db_path)
    except DatabaseInUse as exc:
        print(f"kirana-bot restore: refused: {exc}. Stop the bot first.", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"kirana-bot restore: refused: {exc}", file=sys.stderr)
        return 1
    print(f"{result.database}: restored from {args.path} (schema version "
          f"{result.schema_version}; migrations run at the next start)")
    if result.previous is not None:
        print(f"the database it replaced is kept as {result.previous}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backup", help="copy the database while the bot runs (SQLite backup API)")
    p.add_argument("path", help="backup file, or a directory for kirana-<UTC time>.sqlite3")
    p.add_argument("--keep", type=int, metavar="N",
                   help="keep only the newest N dated backups in that directory")
    p.add_argument("--db", help="database file (default: KIRANA_DB_PATH)")
    p.set_defaults(func=cmd_backup)
    r = sub.add_parser(
        "restore", help="replace the database with a backup (the bot must be stopped)")
    r.add_argument("path", help="a backup file made by kirana-bot backup")
    r.add_argument("--db", help="database file (default: KIRANA_DB_PATH)")
    r.set_defaults(func=cmd_restore)
    h = sub.add_parser("health", help="ask the running bot's /healthz; exit 0 when healthy")
    h.add_argument("--url", help="default: http://KIRANA_HEALTH_LISTEN:KIRANA_HEALTH_PORT/healthz")
    h.add_argument("--timeout", type=float, default=5.0)
    h.set_defaults(func=cmd_health)
