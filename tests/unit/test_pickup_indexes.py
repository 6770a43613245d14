"""The statements on the handover's hot path use indexes: no full scan of a big table."""

from __future__ import annotations

import pytest

from bot.storage import earnings, lockout, pickups
from bot.storage.db import Database

T = "2026-11-02T04:30:00.000000Z"
# (statement, parameters, index it must use)
HOT = [
    (pickups.STORE_OF_OWNER, (1,), "stores_owner"),
    (pickups.ARRIVED_BY_CODE, (1, "ab"), "parcels_active_code"),
    (pickups.OTHERS_WAITING, ("+919876543210", 1, 5, 8), "parcels_phone"),
    (pickups.HAND_OVER_MATCHED, {"now": T, "user": 1, "id": 1, "store": 1, "hash": "ab"},
     "INTEGER PRIMARY KEY"),
    (pickups.HAND_OVER_OTHER, {"now": T, "user": 1, "id": 1, "store": 1, "phone": "+91"},
     "INTEGER PRIMARY KEY"),
    (pickups.CUSTOMER_BY_PHONE, ("+919876543210",), "sqlite_autoindex_customers"),
    (pickups.SAME_HANDOVER, ("+919876543210", 1, T), "parcels_phone"),
    (lockout.LATEST_LOCK, (1,), "pickup_locks_store_until"),
    (lockout.WRONG_SINCE, (1, T), "pickup_attempts_store_at"),
    (lockout.LOCK_STARTED_BY, (1, 501, 7), "pickup_attempts_message"),
    (earnings.TOTAL_BETWEEN, (1, T, T), "earnings_store_at"),
]


@pytest.mark.parametrize(("sql", "params", "index"), HOT)
async def test_hot_statement_uses_its_index(tmp_path, sql: str, params, index: str) -> None:
    db = await Database.open(tmp_path / "k.sqlite3")
    try:
        plan = [row["detail"] for row in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        await db.close()
    text = " | ".join(plan)
    assert index in text, text
    assert not any(d.startswith("SCAN") for d in plan), text
