"""A small network written straight to the database, with every figure known by construction.

The expected numbers below are worked out by hand from the rows written here, not by running
the bot's queries; tests compare the bot's answers with them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import to_db
from bot.services.context import Services
from tests.factories import approved_store, ensure_user

IST = ZoneInfo("Asia/Kolkata")
# Saturday 28 November 2026, 11:30 in India.
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def ist(y: int, mo: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=IST).astimezone(UTC)


_counter = itertools.count(1)


async def parcel(svc: Services, store_id: int, status: str, *, arrived: datetime | None = None,
                 picked: datetime | None = None, phone: str = "+919800000001",
                 fee: int | None = None, tracking: str | None = None) -> int:
    n = next(_counter)
    tracking = tracking or f"SEED{n:08d}"
    created = to_db(arrived or NOW)
    async with svc.db.transaction() as conn:
        cur = await conn.execute(
            """INSERT INTO parcels (tracking_id, store_id, customer_phone, status, arrived_at,
                   picked_up_at, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (tracking, store_id, phone, status, to_db(arrived) if arrived else None,
             to_db(picked) if picked else None, created, created))
        parcel_id = cur.lastrowid
        if fee is not None:
            assert picked is not None
            await conn.execute(
                "INSERT INTO earnings (parcel_id, store_id, amount_paise, at) VALUES (?, ?, ?, ?)",
                (parcel_id, store_id, fee, to_db(picked)))
    assert parcel_id is not None
    return parcel_id


@dataclass
class Network:
    full: tuple[int, str]       # KS: capacity 10, 10 on the shelf
    near: tuple[int, str]       # capacity 5, 4 on the shelf (80 %)
    roomy: tuple[int, str]      # capacity 20, 3 on the shelf
    suspended: tuple[int, str]


# (arrived, picked up) of the handovers; waits in days: 1, 3 | 0.5, 2, 4 | 1, 1, 1, 10 | 1 | 2
HANDOVERS = [
    (ist(2026, 11, 27, 9), ist(2026, 11, 28, 9)),      # today
    (ist(2026, 11, 25, 9), ist(2026, 11, 28, 9)),      # today
    (ist(2026, 11, 22, 22), ist(2026, 11, 23, 10)),    # Monday: this week
    (ist(2026, 11, 21, 10), ist(2026, 11, 23, 10)),
    (ist(2026, 11, 19, 10), ist(2026, 11, 23, 10)),
    (ist(2026, 11, 4, 10), ist(2026, 11, 5, 10)),      # this month
    (ist(2026, 11, 4, 11), ist(2026, 11, 5, 11)),
    (ist(2026, 11, 4, 12), ist(2026, 11, 5, 12)),
    (ist(2026, 10, 26, 12), ist(2026, 11, 5, 12)),
    (ist(2026, 10, 31, 0, 30), ist(2026, 11, 1, 0, 30)),  # 00:30 on the 1st: this month
    (ist(2026, 10, 29, 23), ist(2026, 10, 31, 23)),    # last month, within the last 30 days
]
OLD_HANDOVER = (ist(2026, 7, 1), ist(2026, 8, 20))     # long ago: in no period


async def seed_network(svc: Services) -> Network:
    full = await approved_store(svc, 501, shop_name="Full Kirana", capacity=10,
                                pin_code="411038")
    near = await approved_store(svc, 502, shop_name="Near Kirana", capacity=5,
                                pin_code="411001", address="4 FC Road, Shivajinagar, Pune")
    roomy = await approved_store(svc, 503, shop_name="Roomy Stores", capacity=20,
                                 pin_code="400050", address="9 Hill Road, Bandra, Mumbai")
    suspended = await approved_store(svc, 504, shop_name="Shut Kirana", capacity=10,
                                     status="suspended", pin_code="411002")
    await approved_store(svc, 505, shop_name="Waiting One", status="pending")
    await approved_store(svc, 506, shop_name="Waiting Two", status="pending")
    await approved_store(svc, 507, shop_name="No Thanks", status="rejected")
    shelf_day = ist(2026, 11, 26, 10)
    for _ in range(8):
        await parcel(svc, full[0], "arrived", arrived=shelf_day)
    for _ in range(2):
        await parcel(svc, full[0], "to_return", arrived=ist(2026, 11, 10))
    for _ in range(4):
        await parcel(svc, near[0], "arrived", arrived=shelf_day)
    for _ in range(3):
        await parcel(svc, roomy[0], "arrived", arrived=ist(2026, 11, 28, 10))
    for _ in range(5):
        await parcel(svc, roomy[0], "expected")
    await parcel(svc, roomy[0], "returned", arrived=ist(2026, 8, 1))
    for _ in range(2):
        await parcel(svc, near[0], "refused")
    for arrived, picked in [*HANDOVERS, OLD_HANDOVER]:
        await parcel(svc, roomy[0], "picked_up", arrived=arrived, picked=picked, fee=1000)
    # Messages to others: 2 waiting (due tomorrow, so a running sender leaves them), 1 failed
    # 3 days ago, 1 blocked 10 days ago, 1 sent.
    async with svc.db.transaction() as conn:
        for state, done in [("pending", None), ("pending", None),
                            ("failed", NOW - timedelta(days=3)),
                            ("blocked", NOW - timedelta(days=10)), ("sent", NOW)]:
            await conn.execute(
                """INSERT INTO outbox (chat_id, kind, payload, priority, not_before, state,
                       created_at, done_at) VALUES (1, 'text', '{}', 1, ?, ?, ?, ?)""",
                (to_db(NOW + timedelta(days=1)), state, to_db(NOW),
                 to_db(done) if done else None))
    return Network(full, near, roomy, suspended)


EXPECTED_STORES = {"approved": 3, "suspended": 1, "pending": 2, "rejected": 1}
EXPECTED_PARCELS = {"arrived": 15, "to_return": 2, "expected": 5, "returned": 1, "refused": 2,
                    "picked_up": 12}
EXPECTED_HANDOVERS = (2, 5, 10)          # today, this week, this month
EXPECTED_WAITS = (11, 26.5 / 11, 4.0)     # handovers counted, average, 90th percentile


async def owner(svc: Services, user_id: int, language: str = "en") -> None:
    await ensure_user(svc, user_id, language=language)
