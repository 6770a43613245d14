"""The handover rules at the service level: codes, wrong cases, lockout, exactly-once payout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.domain import MessageRef
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import lockout, pickup
from bot.services.context import Services
from bot.services.pickup import Scope
from bot.storage.db import Database
from bot.validation import CodeError
from tests.factories import approved_store, linked_customer
from tests.parcel_factory import arrived_parcel, new_code, set_status

SHOP = 501      # owner of store A
OTHER = 502     # owner of store B
CUSTOMER = 701
PHONE = "+919876543210"


@pytest.fixture
async def svc(tmp_path) -> AsyncIterator[Services]:
    settings = Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3", fee_paise=1000)
    db = await Database.open(settings.db_path)
    services = Services(settings=settings, db=db, clock=ManualClock())
    try:
        yield services
    finally:
        await db.close()


@pytest.fixture
async def stores(svc: Services) -> tuple[int, int]:
    a, _ = await approved_store(svc, SHOP, shop_name="Sharma Kirana")
    b, _ = await approved_store(svc, OTHER, shop_name="Patil General")
    await linked_customer(svc, CUSTOMER, PHONE)
    return a, b


async def count(svc: Services, sql: str, *params: object) -> int:
    return int(await svc.db.fetchval(sql, params))


async def found(svc: Services, code: str, user: int = SHOP) -> pickup.Found:
    result = await pickup.look_up_code(svc, user, code)
    assert isinstance(result, pickup.Found), result
    return result


# ----------------------------------------------------------------------------- lookup


@pytest.mark.parametrize("typed", ["{c}", "{c3} {c3b}", "{c3}-{c3b}", " {c} ", "{dev}"])
async def test_code_is_read_in_every_common_form(svc, stores, typed: str) -> None:
    store_a, _ = stores
    pid, tracking, code = await arrived_parcel(svc, store_a, name="Priya Sharma")
    devanagari = code.translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    text = typed.format(c=code, c3=code[:3], c3b=code[3:], dev=devanagari)
    result = await found(svc, text)
    assert result.parcel.id == pid
    assert result.parcel.masked_tracking == "••••" + tracking[-4:]
    assert result.parcel.mobile_last4 == "3210"
    assert result.parcel.customer_name == "Priya Sharma"
    assert result.store.name == "Sharma Kirana"


async def test_days_waited_counts_calendar_days_in_kolkata(svc, stores) -> None:
    store_a, _ = stores
    clock: ManualClock = svc.clock  # type: ignore[assignment]
    # 2 Nov 23:50 IST, looked up on 5 Nov 00:10 IST: three calendar days.
    arrived = clock.now().replace(hour=18, minute=20)
    _, _, code = await arrived_parcel(svc, store_a, arrived_at=arrived)
    clock.set(arrived + timedelta(days=2, minutes=20))
    assert (await found(svc, code)).days == 3


@pytest.mark.parametrize("text", ["", "12345", "1234567", "abc123", "12 34 5"])
async def test_malformed_code_is_a_reason_not_a_guess(svc, stores, text: str) -> None:
    result = await pickup.look_up_code(svc, SHOP, text)
    assert isinstance(result, pickup.BadCode)
    assert result.reason in (CodeError.EMPTY, CodeError.NOT_SIX_DIGITS)
    assert await count(svc, "SELECT COUNT(*) FROM pickup_attempts") == 0


async def test_every_wrong_case_gives_the_same_answer(svc, stores) -> None:
    store_a, store_b = stores
    _, _, at_other_store = await arrived_parcel(svc, store_b)
    picked, _, picked_code = await arrived_parcel(svc, store_a)
    returned, _, returned_code = await arrived_parcel(svc, store_a)
    voided, _, voided_code = await arrived_parcel(svc, store_a)
    await set_status(svc, picked, "picked_up")
    await set_status(svc, returned, "returned")
    fresh = await new_code(svc, store_a, voided)
    never = next(f"{n:06d}" for n in range(10**6)
                 if f"{n:06d}" not in {fresh, at_other_store, picked_code, returned_code})
    answers = [await pickup.look_up_code(svc, SHOP, c)
               for c in (at_other_store, picked_code, returned_code, voided_code)]
    assert answers == [pickup.NoParcel(tries_left=n) for n in (4, 3, 2, 1)]
    assert isinstance(await pickup.look_up_code(svc, SHOP, never), pickup.Locked)
    # The new code of the voided parcel is fine (once the lock is over).
    svc.clock.advance(minutes=15)  # type: ignore[attr-defined]
    assert (await found(svc, fresh)).parcel.id == voided


async def test_only_an_approved_store_owner_may_enter_codes(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    assert isinstance(await pickup.begin(svc, CUSTOMER), pickup.NotAStore)
    assert isinstance(await pickup.look_up_code(svc, CUSTOMER, code), pickup.NotAStore)
    await svc.db.execute("UPDATE stores SET status = 'suspended' WHERE id = ?", (store_a,))
    assert isinstance(await pickup.look_up_code(svc, SHOP, code), pickup.NotAStore)
    assert await count(svc, "SELECT COUNT(*) FROM pickup_checks") == 0


# ---------------------------------------------------------------------------- lockout


async def wrong(svc: Services, n: int, user: int = SHOP) -> list[object]:
    return [await pickup.look_up_code(svc, user, "000000") for _ in range(n)]


async def test_a_message_counts_as_one_wrong_code_however_often_it_is_handled(
    svc, stores
) -> None:
    """The inbox may hand the same message over twice (a kill before its done-mark)."""
    typed = [MessageRef(SHOP, 40 + i) for i in range(5)]
    twice = [[await pickup.look_up_code(svc, SHOP, "000000", t) for _ in range(2)]
             for t in typed[:4]]
    assert twice == [[pickup.NoParcel(n)] * 2 for n in (4, 3, 2, 1)]
    assert await count(svc, "SELECT COUNT(*) FROM pickup_attempts") == 4
    first, again = [await pickup.look_up_code(svc, SHOP, "000000", typed[4]) for _ in range(2)]
    assert isinstance(first, pickup.Locked) and first.new
    assert again == first  # answered as the first time: it was this message that locked
    # Another message while locked is refused as before, and is not the one that locked.
    other = await pickup.look_up_code(svc, SHOP, "000000", MessageRef(SHOP, 99))
    assert isinstance(other, pickup.Locked) and not other.new
    assert await count(svc, "SELECT COUNT(*) FROM pickup_attempts") == 5
    assert await count(svc, "SELECT COUNT(*) FROM pickup_locks") == 1
    assert await count(svc, "SELECT COUNT(*) FROM outbox WHERE kind = ?", pickup.LOCK_ALERT) \
        == len(svc.settings.admin_ids)


async def test_five_wrong_codes_lock_the_store_for_fifteen_minutes(svc, stores) -> None:
    store_a, store_b = stores
    _, _, code = await arrived_parcel(svc, store_a)
    _, _, code_b = await arrived_parcel(svc, store_b)
    results = await wrong(svc, 5)
    assert results[:4] == [pickup.NoParcel(n) for n in (4, 3, 2, 1)]
    locked = results[4]
    assert isinstance(locked, pickup.Locked) and locked.new
    assert locked.until == svc.clock.now() + timedelta(minutes=15)
    # Locked: even the right code is refused, and nothing more is counted.
    again = await pickup.look_up_code(svc, SHOP, code)
    assert isinstance(again, pickup.Locked) and not again.new and again.until == locked.until
    assert isinstance(await pickup.begin(svc, SHOP), pickup.Locked)
    assert await count(svc, "SELECT COUNT(*) FROM pickup_attempts") == 5
    # Another store is not affected.
    assert (await found(svc, code_b, OTHER)).store.id == store_b
    svc.clock.advance(minutes=14, seconds=59)  # type: ignore[attr-defined]
    assert isinstance(await pickup.look_up_code(svc, SHOP, code), pickup.Locked)
    svc.clock.advance(seconds=1)  # type: ignore[attr-defined]
    assert isinstance(await pickup.begin(svc, SHOP), pickup.Ready)
    assert (await found(svc, code)).store.id == store_a
    # The count started again: four more wrong codes do not lock.
    assert await wrong(svc, 4) == [pickup.NoParcel(n) for n in (4, 3, 2, 1)]


async def test_wrong_codes_older_than_the_window_do_not_count(svc, stores) -> None:
    await wrong(svc, 4)
    svc.clock.advance(minutes=15)  # type: ignore[attr-defined]
    assert await wrong(svc, 4) == [pickup.NoParcel(n) for n in (4, 3, 2, 1)]
    svc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert isinstance((await wrong(svc, 1))[0], pickup.Locked)


async def test_a_right_code_does_not_reset_the_count(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    await wrong(svc, 4)
    await found(svc, code)
    assert isinstance((await wrong(svc, 1))[0], pickup.Locked)


async def test_admins_are_told_once_per_lock(svc, stores) -> None:
    svc.settings = svc.settings.model_copy(update={"admin_ids": frozenset({900, 901})})

    async def alerts() -> list[int]:
        rows = await svc.db.fetchall(
            "SELECT chat_id FROM outbox WHERE kind = 'pickup.lock_alert' ORDER BY id")
        return [r["chat_id"] for r in rows]

    locked = (await wrong(svc, 5))[-1]
    assert isinstance(locked, pickup.Locked) and locked.new
    assert await alerts() == [900, 901]  # queued with the lock, one per admin
    again = (await wrong(svc, 2))[-1]    # more codes while locked: no new alert
    assert isinstance(again, pickup.Locked) and not again.new
    assert await alerts() == [900, 901]
    assert not await lockout.claim_admin_alert(svc, locked.lock_id)  # already told
    svc.clock.advance(minutes=15)  # type: ignore[attr-defined]
    second = (await wrong(svc, 5))[-1]
    assert isinstance(second, pickup.Locked) and second.lock_id != locked.lock_id
    assert await alerts() == [900, 901, 900, 901]


async def test_the_lock_survives_a_restart(svc, stores, tmp_path) -> None:
    await wrong(svc, 5)
    await svc.db.close()
    svc.db = await Database.open(svc.settings.db_path)
    assert isinstance(await pickup.begin(svc, SHOP), pickup.Locked)


async def test_wrong_code_counter_survives_a_restart(svc, stores) -> None:
    await wrong(svc, 4)
    await svc.db.close()
    svc.db = await Database.open(svc.settings.db_path)
    assert isinstance((await wrong(svc, 1))[0], pickup.Locked)


# -------------------------------------------------------------------------- handover


async def test_handover_writes_state_ledger_and_event_in_one_go(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    svc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    done = await pickup.hand_over(svc, SHOP, screen.check_id)
    assert isinstance(done, pickup.HandedOver)
    assert [p.id for p in done.parcels] == [pid]
    assert done.customer_user_id == CUSTOMER
    assert done.total_paise == 1000
    row = await svc.db.fetchone("SELECT * FROM parcels WHERE id = ?", (pid,))
    assert (row["status"], row["picked_up_by"], row["code_hash"]) == ("picked_up", SHOP, None)
    assert row["picked_up_at"] is not None
    ledger = await svc.db.fetchall("SELECT parcel_id, store_id, amount_paise FROM earnings")
    assert [tuple(r) for r in ledger] == [(pid, store_a, 1000)]
    events = await svc.db.fetchall(
        "SELECT event, actor_id FROM parcel_events WHERE parcel_id = ? ORDER BY id", (pid,))
    assert [tuple(e) for e in events] == [("arrived", None), ("picked_up", SHOP)]
    # The code no longer opens anything.
    assert isinstance(await pickup.look_up_code(svc, SHOP, code), pickup.NoParcel)


async def test_confirming_twice_pays_once(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.HandedOver)
    for scope in Scope:
        again = await pickup.hand_over(svc, SHOP, screen.check_id, scope)
        assert isinstance(again, pickup.AlreadyHandedOver | pickup.Expired)
        assert not isinstance(again, pickup.HandedOver)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 1


async def test_concurrent_confirmations_of_one_screen_hand_over_once(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    results = await asyncio.gather(
        *(pickup.hand_over(svc, SHOP, screen.check_id) for _ in range(10)))
    assert sum(isinstance(r, pickup.HandedOver) for r in results) == 1
    assert all(isinstance(r, pickup.HandedOver | pickup.AlreadyHandedOver) for r in results)
    assert await count(svc, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1
    assert await count(svc, "SELECT COUNT(*) FROM parcel_events WHERE event = 'picked_up'") == 1


async def test_two_phones_with_two_screens_of_one_parcel_hand_over_once(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    first, second = await found(svc, code), await found(svc, code)
    assert first.check_id != second.check_id
    results = await asyncio.gather(
        pickup.hand_over(svc, SHOP, first.check_id),
        pickup.hand_over(svc, SHOP, second.check_id, Scope.ALL),
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyHandedOver", "HandedOver"]
    assert await count(svc, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", pid) == 1


async def test_a_code_voided_after_the_screen_was_shown_hands_nothing_over(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    await new_code(svc, store_a, pid)
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.Stale)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 0
    status = await svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (pid,))
    assert status == "arrived"
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.Expired)


async def test_a_returned_parcel_cannot_be_handed_over_from_an_old_screen(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    await set_status(svc, pid, "returned")
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.Stale)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 0


async def test_a_screen_expires_after_thirty_minutes(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    svc.clock.advance(minutes=31)  # type: ignore[attr-defined]
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.Expired)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 0


async def test_someone_elses_screen_changes_nothing(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    for user in (OTHER, CUSTOMER, 999):
        for scope in Scope:
            assert isinstance(await pickup.hand_over(svc, user, screen.check_id, scope),
                              pickup.Expired)
        assert isinstance(await pickup.cancel(svc, user, screen.check_id), pickup.Expired)
        assert isinstance(await pickup.report_not_found(svc, user, screen.check_id),
                          pickup.Expired)
    assert isinstance(await pickup.hand_over(svc, SHOP, 424242), pickup.Expired)
    assert await svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (pid,)) == "arrived"
    assert await count(svc, "SELECT COUNT(*) FROM parcel_events WHERE parcel_id = ?", pid) == 1
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.HandedOver)


async def test_a_store_suspended_meanwhile_cannot_hand_over(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    await svc.db.execute("UPDATE stores SET status = 'suspended' WHERE id = ?", (store_a,))
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.NotAStore)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 0


# --------------------------------------------------------------- the customer's others


async def test_other_waiting_parcels_of_the_customer_are_listed(svc, stores) -> None:
    store_a, store_b = stores
    main, _, code = await arrived_parcel(svc, store_a)
    older, _, _ = await arrived_parcel(
        svc, store_a, arrived_at=svc.clock.now() - timedelta(days=2))
    newer, _, _ = await arrived_parcel(svc, store_a)
    await arrived_parcel(svc, store_b)                        # same customer, other store
    await arrived_parcel(svc, store_a, phone="+919812345678")  # other customer
    gone, _, _ = await arrived_parcel(svc, store_a)
    await set_status(svc, gone, "picked_up")
    screen = await found(svc, code)
    assert screen.parcel.id == main
    assert [(p.id, days) for p, days in screen.others] == [(older, 2), (newer, 0)]


async def test_hand_over_all_pays_each_parcel_once(svc, stores) -> None:
    store_a, _ = stores
    main, _, code = await arrived_parcel(svc, store_a)
    others = [(await arrived_parcel(svc, store_a))[0] for _ in range(2)]
    screen = await found(svc, code)
    results = await asyncio.gather(
        pickup.hand_over(svc, SHOP, screen.check_id, Scope.ALL),
        pickup.hand_over(svc, SHOP, screen.check_id, Scope.ALL),
        pickup.hand_over(svc, SHOP, screen.check_id, Scope.ONE),
    )
    done = [r for r in results if isinstance(r, pickup.HandedOver)]
    assert len(done) == 1
    assert all(isinstance(r, pickup.HandedOver | pickup.AlreadyHandedOver) for r in results)
    # Whichever press won, the ledger has exactly the parcels it handed over, once each.
    paid = [r[0] for r in await svc.db.fetchall("SELECT parcel_id FROM earnings ORDER BY id")]
    assert paid == [p.id for p in done[0].parcels]
    assert paid in ([main], [main, *others])
    assert done[0].total_paise == 1000 * len(paid)


async def test_the_rest_after_the_first_each_once(svc, stores) -> None:
    store_a, _ = stores
    main, _, code = await arrived_parcel(svc, store_a)
    others = [(await arrived_parcel(svc, store_a))[0] for _ in range(2)]
    screen = await found(svc, code)
    first = await pickup.hand_over(svc, SHOP, screen.check_id, Scope.ONE)
    assert isinstance(first, pickup.HandedOver)
    assert [p.id for p in first.still_waiting] == others
    rest = await asyncio.gather(
        *(pickup.hand_over(svc, SHOP, screen.check_id, Scope.REST) for _ in range(3)))
    done = [r for r in rest if isinstance(r, pickup.HandedOver)]
    assert len(done) == 1 and [p.id for p in done[0].parcels] == others
    assert all(isinstance(r, pickup.HandedOver | pickup.AlreadyHandedOver) for r in rest)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 3
    assert await count(svc, "SELECT COUNT(DISTINCT parcel_id) FROM earnings") == 3


async def test_the_rest_skips_parcels_handed_over_meanwhile(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    other, _, other_code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    await pickup.hand_over(svc, SHOP, screen.check_id)
    other_screen = await found(svc, other_code)
    assert isinstance(await pickup.hand_over(svc, SHOP, other_screen.check_id),
                      pickup.HandedOver)
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id, Scope.REST),
                      pickup.AlreadyHandedOver)
    assert await count(svc, "SELECT COUNT(*) FROM earnings WHERE parcel_id = ?", other) == 1


async def test_the_rest_is_not_offered_before_the_first_handover(svc, stores) -> None:
    store_a, _ = stores
    _, _, code = await arrived_parcel(svc, store_a)
    await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id, Scope.REST),
                      pickup.Expired)
    assert await count(svc, "SELECT COUNT(*) FROM earnings") == 0


# ------------------------------------------------------------ cancel, can't find, dispute


async def test_cancel_changes_nothing_and_closes_the_screen(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    assert isinstance(await pickup.cancel(svc, SHOP, screen.check_id), pickup.Closed)
    assert isinstance(await pickup.cancel(svc, SHOP, screen.check_id), pickup.Expired)
    assert isinstance(await pickup.hand_over(svc, SHOP, screen.check_id), pickup.Expired)
    assert await svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (pid,)) == "arrived"
    assert await count(svc, "SELECT COUNT(*) FROM parcel_events WHERE parcel_id = ?", pid) == 1
    # The code still works for a new screen.
    assert (await found(svc, code)).parcel.id == pid


async def test_cant_find_it_is_recorded_and_the_parcel_stays(svc, stores) -> None:
    store_a, _ = stores
    pid, _, code = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    closed = await pickup.report_not_found(svc, SHOP, screen.check_id)
    assert isinstance(closed, pickup.Closed) and closed.parcel.id == pid
    assert isinstance(await pickup.report_not_found(svc, SHOP, screen.check_id), pickup.Expired)
    events = await svc.db.fetchall(
        "SELECT event, actor_id FROM parcel_events WHERE parcel_id = ? ORDER BY id", (pid,))
    assert [tuple(e) for e in events] == [("arrived", None), ("not_found", SHOP)]
    assert await svc.db.fetchval("SELECT status FROM parcels WHERE id = ?", (pid,)) == "arrived"


async def test_not_you_is_recorded_once_for_the_whole_handover(svc, stores) -> None:
    store_a, _ = stores
    main, _, code = await arrived_parcel(svc, store_a)
    other, _, _ = await arrived_parcel(svc, store_a)
    screen = await found(svc, code)
    await pickup.hand_over(svc, SHOP, screen.check_id, Scope.ALL)
    assert isinstance(await pickup.dispute(svc, OTHER, main), pickup.Expired)  # not theirs
    first = await pickup.dispute(svc, CUSTOMER, main)
    assert isinstance(first, pickup.Disputed) and first.first
    assert [p.id for p in first.parcels] == [main, other]
    again = await pickup.dispute(svc, CUSTOMER, main)
    assert isinstance(again, pickup.Disputed) and not again.first
    assert await count(
        svc, "SELECT COUNT(*) FROM parcel_events WHERE event = 'handover_disputed'") == 2


async def test_not_you_on_a_parcel_still_waiting_is_refused(svc, stores) -> None:
    store_a, _ = stores
    pid, _, _ = await arrived_parcel(svc, store_a)
    assert isinstance(await pickup.dispute(svc, CUSTOMER, pid), pickup.Expired)
