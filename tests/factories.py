"""Rows other features' tests need, written straight to the database (not through flows)."""

from __future__ import annotations

from bot.clock import to_db
from bot.services.context import Services


async def ensure_user(svc: Services, user_id: int, *, language: str | None = "en",
                      first_name: str = "Asha") -> None:
    now = to_db(svc.clock.now())
    await svc.db.execute(
        """INSERT INTO users (user_id, chat_id, first_name, language, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET language = excluded.language""",
        (user_id, user_id, first_name, language, now, now),
    )


async def approved_store(
    svc: Services,
    owner_user_id: int,
    *,
    shop_name: str = "Sharma Kirana",
    address: str = "12 MG Road, Kothrud, Pune",
    pin_code: str = "411038",
    capacity: int = 20,
    language: str = "en",
    latitude: float | None = 18.5074,
    longitude: float | None = 73.8077,
    status: str = "approved",
) -> tuple[int, str]:
    """An approved store owned by ``owner_user_id``; returns (store id, store code)."""
    await ensure_user(svc, owner_user_id, language=language, first_name="Ramesh")
    now = to_db(svc.clock.now())
    async with svc.db.transaction() as conn:
        cur = await conn.execute(
            """INSERT INTO stores (owner_user_id, status, shop_name, owner_name, mobile, address,
                   pin_code, latitude, longitude, opens_at, closes_at, capacity, upi_id,
                   created_at, decided_at)
               VALUES (?, ?, ?, 'Ramesh Sharma', '+919822012345', ?, ?, ?, ?, '09:00', '21:00',
                       ?, 'ramesh@okaxis', ?, ?)""",
            (owner_user_id, status, shop_name, address, pin_code, latitude, longitude,
             capacity, now, now),
        )
        store_id = cur.lastrowid
        assert store_id is not None
        code = f"KS-{store_id:04d}"
        await conn.execute("UPDATE stores SET code = ? WHERE id = ?", (code, store_id))
    return store_id, code


async def linked_customer(svc: Services, user_id: int, phone: str, *,
                          language: str = "en") -> None:
    await ensure_user(svc, user_id, language=language, first_name="Priya")
    await svc.db.execute(
        "INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)",
        (user_id, phone, to_db(svc.clock.now())),
    )


async def block_user(svc: Services, user_id: int) -> None:
    """The user blocked the bot (as recorded after a 403)."""
    await svc.db.execute(
        "UPDATE users SET blocked = 1, blocked_at = ? WHERE user_id = ?",
        (to_db(svc.clock.now()), user_id),
    )
