"""SQL for the users table."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_db
from bot.storage.db import Database, Row


async def record_seen(
    db: Database,
    *,
    user_id: int,
    chat_id: int,
    first_name: str,
    tg_language: str | None,
    now: datetime,
) -> Row:
    """Insert or refresh a user; a user who writes again is no longer blocked."""
    ts = to_db(now)
    async with db.transaction() as conn:
        await conn.execute(
            """
            INSERT INTO users (user_id, chat_id, first_name, tg_language, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                chat_id = excluded.chat_id,
                first_name = excluded.first_name,
                tg_language = excluded.tg_language,
                last_seen = excluded.last_seen,
                blocked = 0,
                blocked_at = NULL
            """,
            (user_id, chat_id, first_name, tg_language, ts, ts),
        )
        cur = await conn.execute(
            """
            SELECT u.*,
                   EXISTS (SELECT 1 FROM stores s
                           WHERE s.owner_user_id = u.user_id AND s.status = 'approved')
                       AS has_store,
                   EXISTS (SELECT 1 FROM stores s
                           WHERE s.owner_user_id = u.user_id AND s.status = 'pending')
                       AS has_application,
                   EXISTS (SELECT 1 FROM customers c WHERE c.user_id = u.user_id) AS is_customer
            FROM users u WHERE u.user_id = ?
            """,
            (user_id,),
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def get(db: Database, user_id: int) -> Row | None:
    return await db.fetchone(
        """
        SELECT u.*,
               EXISTS (SELECT 1 FROM stores s
                       WHERE s.owner_user_id = u.user_id AND s.status = 'approved') AS has_store,
               EXISTS (SELECT 1 FROM stores s
                       WHERE s.owner_user_id = u.user_id AND s.status = 'pending')
                   AS has_application,
               EXISTS (SELECT 1 FROM customers c WHERE c.user_id = u.user_id) AS is_customer
        FROM users u WHERE u.user_id = ?
        """,
        (user_id,),
    )


async def set_language(db: Database, user_id: int, language: str) -> None:
    await db.execute("UPDATE users SET language = ? WHERE user_id = ?", (language, user_id))


async def language_of(db: Database, user_id: int) -> str | None:
    return await db.fetchval("SELECT language FROM users WHERE user_id = ?", (user_id,))


async def mark_blocked(db: Database, chat_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE users SET blocked = 1, blocked_at = ? WHERE chat_id = ? AND blocked = 0",
        (to_db(now), chat_id),
    )


async def record_undelivered(
    db: Database, chat_id: int, text: str, error: str, now: datetime
) -> None:
    """A reply that could not be sent: recorded with the outbox's final failures (one place).

    ``text`` must not hold a readable pickup code (pass a masked copy).
    """
    await db.execute(
        "INSERT INTO outbox (chat_id, kind, payload, priority, not_before, attempts, state, "
        "error, created_at, done_at) VALUES (?, 'text', json_object('text', ?), 0, ?, 1, "
        "'failed', ?, ?, ?)",
        (chat_id, text, to_db(now), error, to_db(now), to_db(now)),
    )
