"""SQL for customers: a Telegram account linked to a mobile number."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import to_db
from bot.storage.db import Database


async def phone_of(db: Database, user_id: int) -> str | None:
    return await db.fetchval("SELECT phone FROM customers WHERE user_id = ?", (user_id,))


async def phone_of_in(conn: aiosqlite.Connection, user_id: int) -> str | None:
    cur = await conn.execute("SELECT phone FROM customers WHERE user_id = ?", (user_id,))
    row = await cur.fetchone()
    return None if row is None else row[0]


async def user_of_phone(conn: aiosqlite.Connection, phone: str) -> int | None:
    cur = await conn.execute("SELECT user_id FROM customers WHERE phone = ?", (phone,))
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def link(conn: aiosqlite.Connection, user_id: int, phone: str, now: datetime) -> None:
    """Link ``user_id`` to ``phone``; whoever held the number before loses it."""
    await conn.execute("DELETE FROM customers WHERE phone = ? AND user_id != ?", (phone, user_id))
    await conn.execute(
        """INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone,
                                              linked_at = excluded.linked_at""",
        (user_id, phone, to_db(now)),
    )


async def set_language_if_unset(conn: aiosqlite.Connection, user_id: int, language: str) -> None:
    await conn.execute(
        "UPDATE users SET language = ? WHERE user_id = ? AND language IS NULL",
        (language, user_id),
    )
