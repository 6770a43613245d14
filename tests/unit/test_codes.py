"""Pickup codes: 6 digits, unique among a store's waiting parcels, only a keyed hash stored."""

from __future__ import annotations

from bot.clock import ManualClock, to_db
from bot.config import Settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import codes
from bot.storage.db import Database


def settings(tmp_path, **kw) -> Settings:
    return Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3", **kw)


async def _waiting_parcels(tmp_path, parcels: dict[int, int]) -> tuple[Database, ManualClock]:
    """A database with waiting parcels, {parcel id: store id}; stores made as needed."""
    db = await Database.open(tmp_path / "k.sqlite3")
    clock = ManualClock()
    now = to_db(clock.now())
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO users (user_id, chat_id, first_seen, last_seen) "
                           "VALUES (1, 1, ?, ?)", (now, now))
        for sid in sorted(set(parcels.values())):
            await conn.execute(
                "INSERT INTO stores (id, owner_user_id, status, shop_name, owner_name, mobile,"
                " address, pin_code, opens_at, closes_at, capacity, created_at) VALUES (?, 1,"
                " 'approved', 'S', 'O', '+919800000001', 'Addr 1', '411001', '09:00', '21:00',"
                " 10, ?)", (sid, now))
        for pid, sid in parcels.items():
            await conn.execute(
                "INSERT INTO parcels (id, tracking_id, store_id, customer_phone, status,"
                " created_at, updated_at) VALUES (?, ?, ?, '+919800000002', 'arrived', ?, ?)",
                (pid, f"TRACK000{pid}", sid, now, now))
    return db, clock


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
    db, clock = await _waiting_parcels(tmp_path, {1: 1, 2: 1})
    key = b"k"
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


async def test_issue_codes_for_a_group_avoids_collisions_in_the_store_and_in_the_group(
    tmp_path, monkeypatch
) -> None:
    """The outbox renders notices in groups: one statement checks the group's codes. A code
    already waiting at the store, or given to an earlier parcel of the same group, is drawn
    again; the same code at another store is fine."""
    db, clock = await _waiting_parcels(tmp_path, {1: 1, 2: 1, 3: 1, 4: 2, 5: 1})
    key = b"k"
    async with db.transaction() as conn:
        await conn.execute("UPDATE parcels SET code_hash = ? WHERE id = 5",
                           (codes.hash_code(key, 1, "555555"),))
    # parcels 1, 2, 3 at store 1 and 4 at store 2, in one group; each draw in order:
    drawn = iter(["555555", "111111", "111111", "111111",   # first draw of each
                  "222222", "111111",                        # again for parcels 1 and 3
                  "333333"])                                 # and once more for 3
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    async with db.transaction() as conn:
        got = await codes.issue_codes(conn, key, [(1, 1), (1, 2), (1, 3), (2, 4)], clock.now())
    # 1 drew 555555 (parcel 5 waits with it): again → 222222; 2 kept 111111; 3 drew 111111
    # too (taken in the group): again → 111111 once more, still taken, then 333333; 4 kept
    # 111111 (another store).
    assert got == ["222222", "111111", "333333", "111111"]
    rows = {r["id"]: r["code_hash"] for r in await db.fetchall(
        "SELECT id, code_hash FROM parcels")}
    assert rows[1] == codes.hash_code(key, 1, "222222")
    assert rows[2] == codes.hash_code(key, 1, "111111")
    assert rows[3] == codes.hash_code(key, 1, "333333")
    assert rows[4] == codes.hash_code(key, 2, "111111")
    assert rows[5] == codes.hash_code(key, 1, "555555")  # untouched
    await db.close()
