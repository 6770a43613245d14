"""SQL for broadcasts and their recipient rows (migration 0040).

Audiences are queries over stores, customers and users; the recipient rows of a broadcast are
written with one ``INSERT ... SELECT`` (100,000 rows never pass through Python), and read back by
the sender page by page in id order (keyset pagination on a partial index of pending rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_db
from bot.outbox import store as outbox_store
from bot.storage.db import Database, Row

# Characters that separate words in an address; a city matches only as whole words.
_SEPARATORS = (",", ".", "-", "/", "(", ")", ";", ":", "#", "'", '"', "\n", "\r", "\t")
_SEPARATORS_SQL = ("','", "'.'", "'-'", "'/'", "'('", "')'", "';'", "':'", "'#'", "''''",
                   "'\"'", "char(10)", "char(13)", "char(9)")


def _words_sql(column: str) -> str:
    """SQL for ``' ' || lower(column, separators as single spaces) || ' '``."""
    expr = f"lower({column})"
    for sep in _SEPARATORS_SQL:
        expr = f"replace({expr}, {sep}, ' ')"
    for _ in range(3):  # collapse runs of up to 8 spaces
        expr = f"replace({expr}, '  ', ' ')"
    return f"(' ' || {expr} || ' ')"


def words_key(text: str) -> str:
    """The same normalisation in Python, for the pattern side of the city match."""
    lowered = text.lower()
    for sep in _SEPARATORS:
        lowered = lowered.replace(sep, " ")
    return " ".join(lowered.split())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_ADDRESS_WORDS = _words_sql("s.address")


def audience_user_ids(kind: str, arg: str) -> tuple[str, list[Any]]:
    """``SELECT user_id ...`` of everyone in the audience (blocked users included)."""
    approved = "SELECT s.owner_user_id FROM stores s WHERE s.status = 'approved'"
    if kind == "stores":
        return approved, []
    if kind == "city":
        names = [words_key(n) for n in arg.split("/") if words_key(n)]
        if not names:
            raise ValueError("city audience without a name")
        clause = " OR ".join(f"{_ADDRESS_WORDS} LIKE ? ESCAPE '\\'" for _ in names)
        return f"{approved} AND ({clause})", [f"% {_like_escape(n)} %" for n in names]
    if kind == "pin":
        if not arg.isdigit():
            raise ValueError("PIN prefix must be digits")
        return f"{approved} AND s.pin_code LIKE ?", [arg + "%"]
    if kind == "lang":
        return (
            "SELECT s.owner_user_id FROM stores s JOIN users o ON o.user_id = s.owner_user_id"
            " WHERE s.status = 'approved' AND o.language = ?",
            [arg],
        )
    if kind == "customers":
        return "SELECT c.user_id FROM customers c", []
    raise ValueError(f"unknown audience {kind!r}")


async def audience_breakdown(db: Database, kind: str, arg: str) -> list[Row]:
    """(language, tg_language, blocked, n) groups of the audience's distinct users."""
    members, params = audience_user_ids(kind, arg)
    return await db.fetchall(
        f"""SELECT u.language, u.tg_language, u.blocked, COUNT(*) AS n
            FROM users u WHERE u.user_id IN ({members})
            GROUP BY u.language, u.tg_language, u.blocked""",
        params,
    )


@dataclass(frozen=True)
class NewBroadcast:
    created_by: int
    kind: str
    arg: str
    texts: dict[str, str]
    progress_chat_id: int | None = None
    progress_message_id: int | None = None


async def create(
    db: Database,
    new: NewBroadcast,
    now: datetime,
    *,
    draft_owner: int | None = None,
    draft: str | None = None,
) -> tuple[int, int] | None:
    """Write the broadcast and one row per recipient in one transaction; (id, total).

    With ``draft``: the admin's compose state (flow_state) must still hold that draft, and it is
    deleted in the same transaction, so a double tap on *send* creates one broadcast, and a
    preview's button cannot send a newer draft. Returns None when the draft is gone.
    """
    ts = to_db(now)
    members, params = audience_user_ids(new.kind, new.arg)
    async with db.transaction() as conn:
        if draft_owner is not None:
            cur = await conn.execute(
                """DELETE FROM flow_state WHERE user_id = ? AND flow = 'broadcast'
                   AND json_extract(data, '$.draft') = ?""",
                (draft_owner, draft),
            )
            if cur.rowcount == 0:
                return None
        cur = await conn.execute(
            """INSERT INTO broadcasts (created_by, created_at, audience, audience_arg, texts,
                   status, total, progress_chat_id, progress_message_id)
               VALUES (?, ?, ?, ?, ?, 'sending', 0, ?, ?)""",
            (new.created_by, ts, new.kind, new.arg, json.dumps(new.texts, ensure_ascii=False),
             new.progress_chat_id, new.progress_message_id),
        )
        broadcast_id = cur.lastrowid
        assert broadcast_id is not None
        cur = await conn.execute(
            f"""INSERT INTO broadcast_recipients (broadcast_id, user_id, state, error, updated_at)
                SELECT ?, u.user_id,
                       CASE WHEN u.blocked THEN 'blocked' ELSE 'pending' END,
                       CASE WHEN u.blocked THEN 'blocked the bot earlier' END,
                       ?
                FROM users u WHERE u.user_id IN ({members})
                ORDER BY u.user_id""",
            (broadcast_id, ts, *params),
        )
        total = cur.rowcount
        await conn.execute("UPDATE broadcasts SET total = ? WHERE id = ?", (total, broadcast_id))
    return broadcast_id, total


async def get(db: Database, broadcast_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))


async def next_active(db: Database) -> Row | None:
    """The oldest broadcast still to deliver (or to wind up after a stop)."""
    return await db.fetchone(
        "SELECT * FROM broadcasts WHERE status IN ('sending', 'stopping') ORDER BY id LIMIT 1"
    )


async def recent(db: Database, limit: int) -> list[Row]:
    return await db.fetchall("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))


async def set_progress_message(
    db: Database, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def request_stop(db: Database, broadcast_id: int, stopped_by: int) -> bool:
    """Mark a sending broadcast to be stopped; False when it is not sending any more."""
    changed = await db.execute(
        """UPDATE broadcasts SET status = 'stopping', stopped_by = ?
           WHERE id = ? AND status = 'sending'""",
        (stopped_by, broadcast_id),
    )
    return changed > 0


async def row_id_range(db: Database, broadcast_id: int) -> tuple[int, int]:
    """The first and last recipient row id of a broadcast (0, 0 when it has none)."""
    row = await db.fetchone(
        "SELECT MIN(id), MAX(id) FROM broadcast_recipients WHERE broadcast_id = ?",
        (broadcast_id,),
    )
    if row is None or row[0] is None:
        return 0, 0
    return int(row[0]), int(row[1])


async def pending_page(
    db: Database, broadcast_id: int, after_id: int, last_id: int, limit: int
) -> list[Row]:
    """The next ``limit`` pending rows after ``after_id``, with what sending needs.

    Walks the primary key from ``after_id`` (the rows of a broadcast are contiguous), so a
    page costs about ``limit`` row reads, however large the broadcast.
    """
    return await db.fetchall(
        """SELECT r.id, r.user_id, u.chat_id, u.language, u.tg_language, u.blocked
           FROM broadcast_recipients r JOIN users u ON u.user_id = r.user_id
           WHERE r.id > ? AND r.id <= ? AND +r.broadcast_id = ? AND r.state = 'pending'
           ORDER BY r.id LIMIT ?""",
        (after_id, last_id, broadcast_id, limit),
    )


@dataclass(frozen=True, slots=True)
class RowUpdate:
    """One recipient row's new state (``block_user``: also set ``users.blocked``)."""

    row_id: int
    state: str
    at: str
    message_id: int | None = None
    error: str | None = None
    block_user: int | None = None


_UPDATE_CHUNK = 400  # 5 parameters a row, well under SQLite's limit of 32,766


async def apply_updates(db: Database, updates: Sequence[RowUpdate]) -> None:
    """Apply recipient state changes (the last change of each row wins), atomically.

    Without a 403 among them this is one ``UPDATE ... FROM (VALUES ...)`` statement per 400
    rows: one round trip to the database thread instead of three (BEGIN, UPDATE, COMMIT), which
    matters at 1,000 messages a second. With a 403, the users' blocked flags are set in the
    same transaction as their rows.
    """
    if not updates:
        return
    latest: dict[int, RowUpdate] = {}
    for update in updates:
        latest[update.row_id] = update
    rows = list(latest.values())
    blocked = [(u.at, u.block_user) for u in rows if u.block_user is not None]
    if not blocked and len(rows) <= _UPDATE_CHUNK:
        await db.execute(_update_sql(len(rows)), _update_params(rows))
        return
    async with db.transaction() as conn:
        for start in range(0, len(rows), _UPDATE_CHUNK):
            chunk = rows[start:start + _UPDATE_CHUNK]
            await conn.execute(_update_sql(len(chunk)), _update_params(chunk))
        if blocked:
            await conn.executemany(
                "UPDATE users SET blocked = 1, blocked_at = ? WHERE user_id = ? AND blocked = 0",
                blocked,
            )


def _update_sql(n: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?)"] * n)
    return f"""WITH v(id, state, message_id, error, at) AS (VALUES {values})
               UPDATE broadcast_recipients
               SET state = v.state, message_id = v.message_id, error = v.error, updated_at = v.at
               FROM v WHERE broadcast_recipients.id = v.id"""


def _update_params(rows: Sequence[RowUpdate]) -> list[object]:
    params: list[object] = []
    for u in rows:
        params.extend((u.row_id, u.state, u.message_id, u.error, u.at))
    return params


async def counts(db: Database, broadcast_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        """SELECT state, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?
           GROUP BY state""",
        (broadcast_id,),
    )
    return {row[0]: int(row[1]) for row in rows}


async def mark_interrupted(db: Database, now: datetime) -> int:
    """Rows left ``sending`` by a process that died: their fate is unknown (not resent)."""
    return await db.execute(
        """UPDATE broadcast_recipients SET state = 'unknown', updated_at = ?,
               error = 'the bot stopped while this message was on its way to Telegram'
           WHERE state = 'sending'""",
        (to_db(now),),
    )


REPORT_KIND = "broadcast.report"  # outbox kind, rendered by bot/handlers/broadcast_views.py


async def finish(
    db: Database, broadcast_id: int, *, stopped: bool, now: datetime,
    report_to: int | None = None,
) -> dict[str, int]:
    """Cancel what was not sent (after a stop), store the final counts; returns them.

    With ``report_to``, the report to that chat is queued in the outbox in the same
    transaction, so it is sent exactly when the broadcast is recorded finished.
    """
    ts = to_db(now)
    async with db.transaction() as conn:
        if stopped:
            await conn.execute(
                """UPDATE broadcast_recipients SET state = 'cancelled', updated_at = ?
                   WHERE broadcast_id = ? AND state IN ('pending', 'sending')""",
                (ts, broadcast_id),
            )
        cur = await conn.execute(
            """SELECT state, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?
               GROUP BY state""",
            (broadcast_id,),
        )
        final = {row[0]: int(row[1]) for row in await cur.fetchall()}
        await conn.execute(
            """UPDATE broadcasts SET status = ?, finished_at = ?, sent = ?, failed = ?,
                   blocked = ?, unknown = ?, cancelled = ?
               WHERE id = ?""",
            ("stopped" if stopped else "done", ts, final.get("sent", 0), final.get("failed", 0),
             final.get("blocked", 0), final.get("unknown", 0), final.get("cancelled", 0),
             broadcast_id),
        )
        if report_to is not None:
            await outbox_store.enqueue(
                conn, report_to, REPORT_KIND,
                {"broadcast_id": broadcast_id, "stopped": stopped, "counts": final},
                now=now, priority=outbox_store.Priority.URGENT)
    return final


def texts_of(row: Row) -> dict[str, str]:
    return dict(json.loads(row["texts"]))
