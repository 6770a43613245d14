"""SQL of the admin's store management: filtered lists, one store's figures, suspensions.

Reads take a report snapshot connection; writes run in the caller's ``db.transaction()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import to_db
from bot.storage.broadcasts import _like_escape, _words_sql, words_key

_ADDRESS_WORDS = _words_sql("address")


def filter_sql(status: str | None, city: str | None, pin: str | None) -> tuple[str, list[Any]]:
    """``WHERE`` clause and parameters of a store filter (city: whole words of the address,
    any of several spellings separated by "/"; PIN: a prefix)."""
    clauses, params = ["1 = 1"], []
    if status:
        clauses.append("status = ?")
        params.append(status)
    if city:
        names = [words_key(n) for n in city.split("/") if words_key(n)]
        clauses.append("(" + " OR ".join(f"{_ADDRESS_WORDS} LIKE ? ESCAPE '\\'"
                                          for _ in names) + ")")
        params += [f"% {_like_escape(n)} %" for n in names]
    if pin:
        clauses.append("pin_code LIKE ?")
        params.append(pin + "%")
    return " AND ".join(clauses), params


async def page(
    conn: aiosqlite.Connection, status: str | None, city: str | None, pin: str | None,
    offset: int, limit: int,
) -> tuple[int, list[aiosqlite.Row]]:
    """(stores matching, the page of them in id order, each with its parcels on the shelf)."""
    # ``stores_status`` / ``stores_pin`` narrow the count; a city is matched on the address.
    where, params = filter_sql(status, city, pin)
    cur = await conn.execute(f"SELECT COUNT(*) FROM stores WHERE {where}", params)
    row = await cur.fetchone()
    total = int(row[0]) if row else 0
    cur = await conn.execute(
        f"""SELECT s.id, s.code, s.shop_name, s.status, s.pin_code, s.capacity,
                   (SELECT COUNT(*) FROM parcels p WHERE p.store_id = s.id
                      AND p.status IN ('arrived', 'to_return')) AS held
            FROM stores s WHERE {where} ORDER BY s.id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    return total, list(await cur.fetchall())


async def store(conn: aiosqlite.Connection, store_id: int) -> aiosqlite.Row | None:
    cur = await conn.execute(
        """SELECT s.*, u.language AS owner_language FROM stores s
           LEFT JOIN users u ON u.user_id = s.owner_user_id WHERE s.id = ?""", (store_id,))
    return await cur.fetchone()


async def parcel_counts(conn: aiosqlite.Connection, store_id: int) -> dict[str, int]:
    cur = await conn.execute(
        "SELECT status, COUNT(*) FROM parcels WHERE store_id = ? GROUP BY status", (store_id,))
    return {r[0]: int(r[1]) for r in await cur.fetchall()}


async def waiting_trackings(conn: aiosqlite.Connection, store_id: int, limit: int) -> list[str]:
    """Tracking ids of the parcels the store holds or expects (to re-route when suspended)."""
    cur = await conn.execute(
        """SELECT tracking_id FROM parcels
           WHERE store_id = ? AND status IN ('expected', 'arrived', 'to_return')
           ORDER BY CASE status WHEN 'arrived' THEN 0 WHEN 'to_return' THEN 1 ELSE 2 END, id
           LIMIT ?""",
        (store_id, limit),
    )
    return [r[0] for r in await cur.fetchall()]


async def ledger_between(
    conn: aiosqlite.Connection, store_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    cur = await conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount_paise), 0) FROM earnings "
        "WHERE store_id = ? AND at >= ? AND at < ?", (store_id, to_db(start), to_db(end)))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def last_change(conn: aiosqlite.Connection, store_id: int) -> aiosqlite.Row | None:
    cur = await conn.execute(
        "SELECT * FROM store_status_changes WHERE store_id = ? ORDER BY id DESC LIMIT 1",
        (store_id,))
    return await cur.fetchone()


async def change_status(
    conn: aiosqlite.Connection, store_id: int, *, from_status: str, to_status: str,
    action: str, reason: str, by_user: int, now: datetime,
) -> int | None:
    """Move the store ``from_status`` → ``to_status`` and log why; returns the log row's id,
    or None (nothing written) when it was not in ``from_status`` — so two admins pressing at
    once change it once."""
    cur = await conn.execute(
        "UPDATE stores SET status = ? WHERE id = ? AND status = ?",
        (to_status, store_id, from_status))
    if cur.rowcount != 1:
        return None
    cur = await conn.execute(
        "INSERT INTO store_status_changes (store_id, action, reason, by_user, at) "
        "VALUES (?, ?, ?, ?, ?)", (store_id, action, reason, by_user, to_db(now)))
    return cur.lastrowid


async def status_change(conn: aiosqlite.Connection, change_id: int) -> aiosqlite.Row | None:
    """A logged change with its store's code, name, owner and current status."""
    cur = await conn.execute(
        """SELECT c.*, s.code, s.shop_name, s.owner_user_id, s.status
           FROM store_status_changes c JOIN stores s ON s.id = c.store_id WHERE c.id = ?""",
        (change_id,))
    return await cur.fetchone()


async def save_filter(
    conn: aiosqlite.Connection, user_id: int, status: str | None, city: str | None,
    pin: str | None, now: datetime,
) -> int:
    """Remember the admin's list filter; returns its new revision."""
    cur = await conn.execute(
        """INSERT INTO admin_store_filters (user_id, rev, status, city, pin, updated_at)
           VALUES (?, 1, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET rev = rev + 1, status = excluded.status,
               city = excluded.city, pin = excluded.pin, updated_at = excluded.updated_at
           RETURNING rev""",
        (user_id, status, city, pin, to_db(now)))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def load_filter(conn: aiosqlite.Connection, user_id: int) -> aiosqlite.Row | None:
    cur = await conn.execute("SELECT * FROM admin_store_filters WHERE user_id = ?", (user_id,))
    return await cur.fetchone()


async def suspension_of_owner(conn: aiosqlite.Connection, user_id: int) -> aiosqlite.Row | None:
    """The user's suspended store and the latest reason, when they run no approved store."""
    cur = await conn.execute(
        """SELECT s.id, s.code, s.shop_name, c.reason, c.at FROM stores s
           LEFT JOIN store_status_changes c ON c.id = (
               SELECT MAX(id) FROM store_status_changes WHERE store_id = s.id)
           WHERE s.owner_user_id = ? AND s.status = 'suspended'
             AND NOT EXISTS (SELECT 1 FROM stores a WHERE a.owner_user_id = ?
                             AND a.status = 'approved')
           ORDER BY s.id LIMIT 1""",
        (user_id, user_id))
    return await cur.fetchone()
