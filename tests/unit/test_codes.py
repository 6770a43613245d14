"""Pickup codes: 6 digits, unique among a store's waiting parcels, only a keyed hash stored."""

from __future__ import annotations

from bot.clock import ManualClock, to_db
from bot.config import Settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import codes
from bot.storage.db import Database


def settings(tmp_path, **kw) -> Settings:
    return Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3", **kw)


def test_new_code_is_six_digits() -> None:
    seen = {codes.new_code() for _ in range(2000)}
    assert all(len(c) == 6 and c.isdigit() for c in seen)
    assert len(seen) > 1900  # random, not a counter


def test_hash_depends_on_key_store_and_code(tmp_path) -> None:
    key = codes.code_key(settings(tmp_path))
    other = codes.code_key(settings(tmp_path, code_secret="another secret"))
    assert codes.hash_code(key, 1, "123456") != codes.hash_code(key, 2, "123456")
    assert codes.hash_code(key, 1, "123456") != codes.hash_code(other, 1, "123456")
    assert "123456" not in codes.hash_code(key, 1, "123456")


async def test_issue_code_replaces_the_old_hash_and_avoids_collisions(
    tmp_path, monkeypatch
) -> None:
    db = await Database.open(tmp_path / "k.sqlite3")
    clock = ManualClock()
    now = to_db(clock.now())
    key = b"k"
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO users (user_id, chat_id, first_seen, last_seen) "
                           "VALUES (1, 1, ?, ?)", (now, now))
        await conn.execute(
            "INSERT INTO stores (owner_user_id, status, shop_name, owner_name, mobile, address,"
            " pin_code, opens_at, closes_at, capacity, created_at) VALUES (1, 'approved', 'S',"
            " 'O', '+919800000001', 'Addr 1', '411001', '09:00', '21:00', 10, ?)", (now,))
        for pid in (1, 2):
            await conn.execute(
                "INSERT INTO parcels (id, tracking_id, store_id, customer_phone, status,"
                " created_at, updated_at) VALUES (?, ?, 1, '+919800000002', 'arrived', ?, ?)",
                (pid, f"TRACK000{pid}", now, now))
    queue = iter(["111111", "111111", "222222", "333333"])
    monkeypatch.setattr(codes, "new_code", lambda: next(queue))
    async with db.transaction() as conn:
        first = await codes.issue_code(conn, key, 1, 1, clock.now())
        second = await codes.issue_code(conn, key, 1, 2, clock.now())  # 111111 taken
    assert (first, second) == ("111111", "222222")
    async with db.transaction() as conn:
        third = await codes.issue_code(conn, key, 1, 1, clock.now())
    assert third == "333333"
    stored = await db.fetchval("SELECT code_hash FROM parcels WHERE id = 1")
    assert stored == codes.hash_code(key, 1, "333333")
    await db.close()
