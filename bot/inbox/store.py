"""The ``inbox`` table: updates stored durably before Telegram is told they arrived.

Public API (also for the webhook): :func:`store` commits a batch of raw update dicts in one
transaction and returns the ones that were new. Only after it returns may the caller
acknowledge the batch (the next ``getUpdates`` offset, or HTTP 200 to a webhook call).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import SystemClock, to_db
from bot.inbox.seal import Sealer, Unreadable
from bot.storage.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""An update whose handling began and was found unfinished at this many start-ups is given up
(a poison update that kills the process each time must not stop the bot for good). Updates that
waited behind others and were never begun do not count."""
POISON_MIN_AGE = timedelta(minutes=2)
"""...and only once its handling first began at least this long ago: kills that come quickly one
after another (a deploy retried, a supervisor restarting a stuck process) while a slow update is
in hand must not throw away someone's message; an update that really crashes every start-up
stops the bot for about this long at most."""


@dataclass(frozen=True, slots=True)
class InboxItem:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    started: bool = False  # its handling began in a process that was then killed


def chat_of(update: Mapping[str, Any]) -> int | None:
    """The chat an update belongs to (its ordering key), read from the raw dict.

    Messages and edits: ``chat.id``; button presses: the chat of the message, else the
    presser; anything else with a ``from`` (inline queries, member updates...): that user.
    """
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, Mapping):
            continue
        chat = body.get("chat")
        if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        message = body.get("message")
        if isinstance(message, Mapping):
            chat = message.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
        sender = body.get("from") or body.get("user")
        if isinstance(sender, Mapping) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def _item(update: Mapping[str, Any]) -> InboxItem:
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ValueError(f"update without an integer update_id: {update!r:.200}")
    return InboxItem(update_id, chat_of(update), dict(update))


async def store(
    db: Database,
    updates: Iterable[Mapping[str, Any]],
    *,
    sealer: Sealer,
    now: datetime | None = None,
) -> list[InboxItem]:
    """Commit ``updates`` (raw Bot API update dicts) to the inbox in one transaction.

    Returns the updates that were not there before, in ``update_id`` order: the caller hands
    these (and only these) to the dispatcher. An update already stored (Telegram delivering
    it again after a crash) is ignored. Payloads are stored sealed with ``sealer``
    (``Sealer.for_settings(settings)``). When this returns, the batch is durable: a kill -9
    right after loses nothing, so the caller may now acknowledge it to Telegram.
    Raises ``ValueError`` (nothing stored) if an update has no integer ``update_id``.
    """
    items = sorted((_item(u) for u in updates), key=lambda i: i.update_id)
    if not items:
        return []
    at = to_db(now or SystemClock().now())
    fresh: list[InboxItem] = []
    async with db.transaction() as conn:
        for item in items:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, received_at) "
                "VALUES (?, ?, ?, ?)",
                (item.update_id, item.chat_id, sealer.seal(item.payload), at),
            )
            if cur.rowcount:
                fresh.append(item)
    return fresh


async def mark_done(
    db: Database, update_id: int, now: datetime, outcome: str = "handled"
) -> None:
    await db.execute(
        "UPDATE inbox SET done_at = ?, outcome = ?, payload = NULL "
        "WHERE update_id = ? AND done_at IS NULL",
        (to_db(now), outcome, update_id),
    )


async def begin(db: Database, item: InboxItem, now: datetime) -> None:
    """Handling of ``item`` starts: note when, and the sender's place in a flow (first time
    only), so that a replay after a kill can start from the same place (:func:`rewind`)."""
    await db.execute(
        "UPDATE inbox SET started_at = ?, flow_before = ("
        "  SELECT json_object('flow', flow, 'step', step, 'data', data)"
        "  FROM flow_state WHERE user_id = ?) "
        "WHERE update_id = ? AND started_at IS NULL",
        (to_db(now), item.chat_id, item.update_id),
    )


async def rewind(db: Database, item: InboxItem, now: datetime) -> None:
    """Before a replay: put the sender back in the flow step they were at when the killed
    process began this update. Later updates of the chat were not begun (one chat's updates
    are handled in order), so this is the state the update was first handled in; the
    handlers' own checks (conditional updates, message ids) keep its effects from doubling."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "SELECT started_at, flow_before FROM inbox WHERE update_id = ?", (item.update_id,))
        row = await cur.fetchone()
        if row is None or row["started_at"] is None or item.chat_id is None:
            return
        await conn.execute("DELETE FROM flow_state WHERE user_id = ?", (item.chat_id,))
        if row["flow_before"] is not None:
            before = json.loads(row["flow_before"])
            await conn.execute(
                "INSERT INTO flow_state (user_id, flow, step, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (item.chat_id, before["flow"], before["step"], before["data"], to_db(now)),
            )


async def take_unfinished(db: Database, now: datetime, sealer: Sealer) -> list[InboxItem]:
    """At start-up: every unfinished update, oldest first, counting this attempt (for those
    already begun).

    Updates already found unfinished :data:`MAX_ATTEMPTS` times, the first of them at least
    :data:`POISON_MIN_AGE` ago, are marked done as ``gave up`` instead; one that cannot be
    unsealed (the code secret changed) is marked ``unreadable``.
    """
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE inbox SET done_at = ?, payload = NULL, "
            "outcome = 'gave up after ' || attempts || ' start-ups' "
            "WHERE done_at IS NULL AND attempts >= ? AND started_at <= ?",
            (to_db(now), MAX_ATTEMPTS, to_db(now - POISON_MIN_AGE)),
        )
        await conn.execute("UPDATE inbox SET attempts = attempts + 1 "
                           "WHERE done_at IS NULL AND started_at IS NOT NULL")
        cur = await conn.execute(
            "SELECT update_id, chat_id, payload, started_at FROM inbox WHERE done_at IS NULL "
            "ORDER BY update_id"
        )
        rows = await cur.fetchall()
        items = []
        for row in rows:
            try:
                items.append(InboxItem(row["update_id"], row["chat_id"],
                                       sealer.open(row["payload"]), row["started_at"] is not None))
            except Unreadable:
                log.error("inbox: update %s cannot be unsealed; skipped", row["update_id"])
                await conn.execute(
                    "UPDATE inbox SET done_at = ?, payload = NULL, outcome = 'unreadable' "
                    "WHERE update_id = ?", (to_db(now), row["update_id"]))
    return items


async def prune(db: Database, now: datetime, keep: timedelta) -> int:
    """Delete updates handled more than ``keep`` ago; returns how many."""
    return await db.execute(
        "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?", (to_db(now - keep),)
    )


async def counts(db: Database) -> dict[str, int]:
    """``{"unfinished": n, "done": m}`` (for tests, benchmarks and the operator)."""
    row = await db.fetchone(
        "SELECT COUNT(*) FILTER (WHERE done_at IS NULL) AS unfinished, "
        "COUNT(*) FILTER (WHERE done_at IS NOT NULL) AS done FROM inbox"
    )
    assert row is not None
    return {"unfinished": int(row["unfinished"]), "done": int(row["done"])}
