"""Property: whatever happens at the counters, no parcel is paid twice and no voided code works.

Random sequences of: a parcel arrives (with a code), a new code for a waiting parcel, a pickup
with the right / a voided / a random code (confirmed 1–3 times at once, one parcel or all of
the customer's), wrong codes, and the clock moving on. A small model says what each code
lookup must answer (including the lockout); the database must agree with it after every step.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import Settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import lockout, pickup
from bot.services.context import Services
from bot.services.pickup import Scope
from bot.storage.db import Database
from tests.factories import approved_store
from tests.parcel_factory import arrived_parcel, new_code

OWNERS = (501, 502)
PHONES = ("+919876543210", "+919812345678")

# One step: (kind, index, which code, where, taps, scope, a random code, a store/phone bit).
# Kinds are weighted towards pickups, and a sequence starts with at least one arrival.
step = st.tuples(
    st.sampled_from(["pickup", "receive", "pickup", "new_code", "pickup", "wrong", "tick"]),
    st.integers(0, 20),
    st.sampled_from(["right", "right", "voided", "random"]),
    st.sampled_from(["own", "own", "own", "other"]),
    st.integers(1, 3),
    st.sampled_from([Scope.ONE, Scope.ALL]),
    st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
    st.integers(0, 1),
)
arrival = step.map(lambda s: ("receive", *s[1:]))
ops = st.tuples(st.lists(arrival, min_size=1, max_size=3), st.lists(step, max_size=30)).map(
    lambda parts: parts[0] + parts[1])

@dataclass
class ParcelModel:
    id: int
    store: int  # index into OWNERS
    phone: str
    code: str
    voided: list[str] = field(default_factory=list)
    picked: bool = False


@dataclass
class StoreModel:
    wrong: list[datetime] = field(default_factory=list)
    lock_start: datetime | None = None
    lock_until: datetime | None = None


class World:
    def __init__(self, svc: Services, store_ids: list[int]) -> None:
        self.svc = svc
        self.store_ids = store_ids
        self.parcels: list[ParcelModel] = []
        self.stores = [StoreModel(), StoreModel()]

    @property
    def now(self) -> datetime:
        return self.svc.clock.now()

    def expected_lookup(self, store: int, code: str) -> object:
        """What looking up ``code`` at ``store`` must answer, per the rules (updates the model)."""
        s = self.stores[store]
        if s.lock_until is not None and self.now < s.lock_until:
            return ("locked", False)
        match = [p for p in self.parcels if p.store == store and not p.picked and p.code == code]
        if match:
            return ("found", match[0].id)
        s.wrong.append(self.now)
        counted = [t for t in s.wrong if t > self.now - lockout.WINDOW
                   and (s.lock_start is None or t > s.lock_start)]
        if len(counted) >= lockout.MAX_WRONG_CODES:
            s.lock_start, s.lock_until = self.now, self.now + lockout.LOCK_FOR
            return ("locked", True)
        return ("none", lockout.MAX_WRONG_CODES - len(counted))

    async def look_up(self, store: int, code: str) -> pickup.Found | None:
        expected = self.expected_lookup(store, code)
        result = await pickup.look_up_code(self.svc, OWNERS[store], code)
        if isinstance(result, pickup.Found):
            got: tuple = ("found", result.parcel.id)
        elif isinstance(result, pickup.Locked):
            got = ("locked", result.new)
        else:
            assert isinstance(result, pickup.NoParcel), result
            got = ("none", result.tries_left)
        assert got == expected, (code, got, expected)
        return result if isinstance(result, pickup.Found) else None

    async def step(self, op: tuple) -> None:
        kind, index, which, where, taps, scope, random_code, bit = op
        if kind == "receive":
            pid, _, code = await arrived_parcel(self.svc, self.store_ids[bit], phone=PHONES[bit ^ (index % 2)])
            self.parcels.append(ParcelModel(pid, bit, PHONES[bit ^ (index % 2)], code))
        elif kind == "new_code" and self.parcels:
            p = self.parcels[index % len(self.parcels)]
            if not p.picked:
                fresh = await new_code(self.svc, self.store_ids[p.store], p.id)
                p.voided.append(p.code)
                p.code = fresh
        elif kind == "pickup" and self.parcels:
            p = self.parcels[index % len(self.parcels)]
            at_store = p.store if where == "own" else 1 - p.store
            code = {"right": p.code, "voided": p.voided[-1] if p.voided else random_code,
                    "random": random_code}[which]
            screen = await self.look_up(at_store, code)
            if which == "voided" and code not in {q.code for q in self.parcels if not q.picked}:
                assert screen is None, "a voided code was accepted"
            if screen is not None:
                await self.confirm(screen, taps, scope)
        elif kind == "wrong":
            await self.look_up(bit, random_code)
        elif kind == "tick":
            self.svc.clock.advance(minutes=index)  # type: ignore[attr-defined]

    async def confirm(self, screen: pickup.Found, taps: int, scope: Scope) -> None:
        results = await asyncio.gather(
            *(pickup.hand_over(self.svc, OWNERS[self._store_index(screen)], screen.check_id,
                               scope) for _ in range(taps)))
        done = [r for r in results if isinstance(r, pickup.HandedOver)]
        assert len(done) == 1, results
        assert all(isinstance(r, pickup.HandedOver | pickup.AlreadyHandedOver) for r in results)
        main = next(p for p in self.parcels if p.id == screen.parcel.id)
        expected = [main.id]
        if scope is Scope.ALL:
            expected += [o.id for o, _ in screen.others]
        assert [p.id for p in done[0].parcels] == expected
        for p in self.parcels:
            if p.id in expected:
                assert not p.picked and p.phone == main.phone and p.store == main.store
                p.picked = True

    def _store_index(self, screen: pickup.Found) -> int:
        return self.store_ids.index(screen.store.id)

    async def check_invariants(self) -> None:
        db = self.svc.db
        twice = await db.fetchall(
            "SELECT parcel_id FROM earnings GROUP BY parcel_id HAVING COUNT(*) > 1")
        assert twice == [], "a parcel was paid twice"
        paid = {r[0] for r in await db.fetchall("SELECT parcel_id FROM earnings")}
        picked = {r[0] for r in await db.fetchall(
            "SELECT id FROM parcels WHERE status = 'picked_up'")}
        events = await db.fetchall(
            "SELECT parcel_id, COUNT(*) FROM parcel_events WHERE event = 'picked_up' "
            "GROUP BY parcel_id")
        assert paid == picked == {p.id for p in self.parcels if p.picked}
        assert all(n == 1 for _, n in events) and {e[0] for e in events} == picked


async def run(sequence: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(bot_token=DEFAULT_TOKEN, db_path=Path(tmp) / "k.sqlite3")
        db = await Database.open(config.db_path)
        svc = Services(settings=config, db=db, clock=ManualClock())
        try:
            store_ids = [(await approved_store(svc, owner))[0] for owner in OWNERS]
            world = World(svc, store_ids)
            for op in sequence:
                await world.step(op)
                await world.check_invariants()
        finally:
            await db.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_no_double_payout_and_no_voided_code_ever(sequence: list[tuple]) -> None:
    asyncio.run(run(sequence))

