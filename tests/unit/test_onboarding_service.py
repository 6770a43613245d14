"""Onboarding and approval rules, against a real SQLite file (no Telegram)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.services import approval, onboarding
from bot.services.approval import Outcome
from bot.services.context import Services
from bot.services.onboarding import (
    QUESTIONS,
    Command,
    ContactInput,
    Entry,
    LocationInput,
    OtherInput,
    Problem,
    Status,
    Step,
    SubmitOutcome,
    TextInput,
)
from bot.storage import stores
from bot.storage.db import Database
from bot.validation import HoursError, Invalid, Ok, PhoneError, TextError
from tests.factories import approved_store, ensure_user

USER, OTHER, ADMIN, ADMIN2 = 101, 202, 900, 901

GOOD = {
    Step.SHOP_NAME: TextInput("Sharma Kirana"),
    Step.OWNER_NAME: TextInput("Ramesh Sharma"),
    Step.MOBILE: ContactInput("919822012345", USER),
    Step.ADDRESS: TextInput("Shop 4, Shivaji Chowk, Kothrud, Pune"),
    Step.PIN_CODE: TextInput("411 038"),
    Step.LOCATION: LocationInput(18.5074, 73.8077),
    Step.HOURS: TextInput("9am-9pm"),
    Step.CAPACITY: TextInput("२०"),  # Devanagari digits
    Step.UPI_ID: TextInput("Ramesh@OkAxis"),
}


@pytest.fixture
async def svc(tmp_path) -> AsyncIterator[Services]:
    settings = Settings(bot_token="123456:ABCDEFGHIJKLMNOP", admin_ids=frozenset({ADMIN, ADMIN2}),
                        db_path=tmp_path / "k.sqlite3")
    db = await Database.open(settings.db_path)
    services = Services(settings=settings, db=db, clock=ManualClock())
    for user_id in (USER, OTHER, ADMIN, ADMIN2):
        await ensure_user(services, user_id)
    try:
        yield services
    finally:
        await db.close()


async def _fill(svc: Services, user_id: int = USER) -> onboarding.Draft:
    begin = await onboarding.begin(svc, user_id)
    assert begin.entry is Entry.STARTED
    inputs = dict(GOOD)
    if user_id != USER:
        inputs[Step.MOBILE] = ContactInput("919822012399", user_id)
    for step in QUESTIONS:
        result = await onboarding.handle(svc, user_id, inputs[step])
        assert result.status is Status.SAVED, (step, result)
    draft = await onboarding.current(svc, user_id)
    assert draft is not None and draft.step == Step.SUMMARY
    return draft


async def _submitted(svc: Services, user_id: int = USER) -> stores.Store:
    draft = await _fill(svc, user_id)
    result = await onboarding.submit(svc, user_id, draft.revision)
    assert result.outcome is SubmitOutcome.SUBMITTED and result.store is not None
    return result.store


# --------------------------------------------------------------------------- answers


async def test_answers_are_normalised_and_saved(svc: Services) -> None:
    draft = await _fill(svc)
    details = onboarding.details_of(draft)
    assert details == stores.StoreDetails(
        shop_name="Sharma Kirana", owner_name="Ramesh Sharma", mobile="+919822012345",
        mobile_verified=True, address="Shop 4, Shivaji Chowk, Kothrud, Pune", pin_code="411038",
        latitude=18.5074, longitude=73.8077, opens_at="09:00", closes_at="21:00", capacity=20,
        upi_id="ramesh@okaxis")


async def test_all_day_hours_are_stored_as_00_to_24(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    for step in QUESTIONS[: QUESTIONS.index(Step.HOURS)]:
        await onboarding.handle(svc, USER, GOOD[step])
    await onboarding.handle(svc, USER, TextInput("24x7"))
    draft = await onboarding.current(svc, USER)
    assert draft is not None and draft.answers["hours"] == {"opens": "00:00", "closes": "24:00"}


@pytest.mark.parametrize(
    ("step", "inp", "reason"),
    [
        (Step.SHOP_NAME, TextInput("x"), TextError.TOO_SHORT),
        (Step.SHOP_NAME, LocationInput(18.5, 73.8), Problem.EXPECTED_TEXT),
        (Step.SHOP_NAME, Command.BACK, Problem.NO_PREVIOUS),
        (Step.SHOP_NAME, Command.SKIP, Problem.CANNOT_SKIP),
        (Step.SHOP_NAME, Command.KEEP, Problem.NOTHING_TO_KEEP),
        (Step.MOBILE, ContactInput("919822012345", OTHER), Problem.NOT_OWN_CONTACT),
        (Step.MOBILE, ContactInput("919822012345", None), Problem.NOT_OWN_CONTACT),
        (Step.MOBILE, ContactInput("14155550100", USER), PhoneError.NOT_INDIAN),
        (Step.MOBILE, OtherInput(), Problem.EXPECTED_TEXT),
        (Step.LOCATION, TextInput("near the temple"), Problem.EXPECTED_LOCATION),
        (Step.LOCATION, LocationInput(0.0, 0.0), Problem.OUTSIDE_INDIA),
        (Step.HOURS, TextInput("22-6"), HoursError.CLOSE_BEFORE_OPEN),
    ],
)
async def test_wrong_input_changes_nothing(svc: Services, step: Step, inp, reason) -> None:
    await onboarding.begin(svc, USER)
    for earlier in QUESTIONS[: QUESTIONS.index(step)]:
        await onboarding.handle(svc, USER, GOOD[earlier])
    before = await onboarding.current(svc, USER)
    result = await onboarding.handle(svc, USER, inp, message_id=50)
    assert (result.status, result.reason) == (Status.INVALID, reason)
    assert await onboarding.current(svc, USER) == before


async def test_skip_only_location_and_upi(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    for step in QUESTIONS:
        result = await onboarding.handle(
            svc, USER, Command.SKIP if step in onboarding.SKIPPABLE else GOOD[step])
        assert result.status is Status.SAVED
    draft = await onboarding.current(svc, USER)
    assert draft is not None
    details = onboarding.details_of(draft)
    assert details is not None
    assert (details.latitude, details.longitude, details.upi_id) == (None, None, None)


async def test_typed_mobile_is_not_verified(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    await onboarding.handle(svc, USER, GOOD[Step.SHOP_NAME])
    await onboarding.handle(svc, USER, GOOD[Step.OWNER_NAME])
    await onboarding.handle(svc, USER, TextInput("+91-98220-12345"))
    draft = await onboarding.current(svc, USER)
    assert draft is not None
    assert (draft.answers["mobile"], draft.answers["mobile_verified"]) == ("+919822012345", False)


async def test_back_keep_and_forward_to_the_first_unanswered(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    for step in QUESTIONS[:4]:  # up to the address
        await onboarding.handle(svc, USER, GOOD[step])
    for expected in (Step.ADDRESS, Step.MOBILE, Step.OWNER_NAME):
        result = await onboarding.handle(svc, USER, Command.BACK)
        assert result.draft is not None and result.draft.step == expected
    result = await onboarding.handle(svc, USER, Command.KEEP)  # one forward, in order
    assert result.draft is not None and result.draft.step == Step.MOBILE
    result = await onboarding.handle(svc, USER, TextInput("9123456780"))
    assert result.draft is not None and result.draft.step == Step.PIN_CODE  # address answered
    assert result.draft.answers["mobile"] == "+919123456780"


async def test_edit_from_summary_returns_to_summary(svc: Services) -> None:
    draft = await _fill(svc)
    assert await onboarding.edit(svc, USER, "capacity", draft.revision - 1) is None  # older
    assert await onboarding.edit(svc, USER, "nonsense", draft.revision) is None
    editing = await onboarding.edit(svc, USER, "capacity", draft.revision)
    assert editing is not None and editing.step == Step.CAPACITY and editing.editing
    result = await onboarding.handle(svc, USER, TextInput("abc"))
    assert result.status is Status.INVALID
    result = await onboarding.handle(svc, USER, TextInput("35"))
    assert result.draft is not None
    assert (result.draft.step, result.draft.editing) == (Step.SUMMARY, False)
    assert result.draft.answers["capacity"] == 35
    # Back from an edit: the summary, unchanged.
    again = await onboarding.edit(svc, USER, "shop_name", result.draft.revision)
    assert again is not None
    back = await onboarding.handle(svc, USER, Command.BACK)
    assert back.draft is not None and back.draft.step == Step.SUMMARY
    assert back.draft.answers == result.draft.answers


async def test_message_delivered_again_is_not_applied_twice(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    first = await onboarding.handle(svc, USER, TextInput("Sharma Kirana"), message_id=10)
    assert first.status is Status.SAVED
    again = await onboarding.handle(svc, USER, TextInput("Sharma Kirana"), message_id=10)
    older = await onboarding.handle(svc, USER, TextInput("Ramesh"), message_id=9)
    assert again.status is older.status is Status.DUPLICATE
    draft = await onboarding.current(svc, USER)
    assert draft is not None and draft.step == Step.OWNER_NAME and draft.last_message_id == 10


async def test_stale_draft_waits_for_a_choice(svc: Services) -> None:
    await onboarding.begin(svc, USER)
    await onboarding.handle(svc, USER, GOOD[Step.SHOP_NAME])
    svc.clock.advance(days=3)  # type: ignore[attr-defined]
    result = await onboarding.handle(svc, USER, GOOD[Step.OWNER_NAME])
    assert result.status is Status.STALE
    assert (await onboarding.begin(svc, USER)).entry is Entry.STALE
    resumed = await onboarding.resume(svc, USER)
    assert resumed is not None and resumed.step == Step.OWNER_NAME
    assert (await onboarding.handle(svc, USER, GOOD[Step.OWNER_NAME])).status is Status.SAVED
    svc.clock.advance(days=2, hours=23)  # type: ignore[attr-defined]
    assert (await onboarding.begin(svc, USER)).entry is Entry.RESUMED
    fresh = await onboarding.start_over(svc, USER)
    assert fresh is not None and fresh.answers == {} and fresh.step == Step.SHOP_NAME


# --------------------------------------------------------------------------- submit


async def test_submit_once_even_when_pressed_twice_at_once(svc: Services) -> None:
    draft = await _fill(svc)
    results = await asyncio.gather(onboarding.submit(svc, USER, draft.revision),
                                   onboarding.submit(svc, USER, draft.revision))
    assert sorted(r.outcome for r in results) == [SubmitOutcome.NO_DRAFT,
                                                  SubmitOutcome.SUBMITTED]
    assert await svc.db.fetchval("SELECT COUNT(*) FROM stores") == 1
    assert await onboarding.current(svc, USER) is None


async def test_submit_needs_the_current_summary(svc: Services) -> None:
    draft = await _fill(svc)
    assert (await onboarding.submit(svc, USER, draft.revision + 1)).outcome is \
        SubmitOutcome.NOT_READY
    assert (await onboarding.submit(svc, OTHER, 1)).outcome is SubmitOutcome.NO_DRAFT


async def test_one_open_application_per_user(svc: Services) -> None:
    store = await _submitted(svc)
    begin = await onboarding.begin(svc, USER)
    assert (begin.entry, begin.store) == (Entry.PENDING, store)
    # A draft made before (e.g. by a race) cannot be submitted next to the pending one.
    answers = await _answers_of_store(svc, store.id)
    async with svc.db.transaction() as conn:
        await stores.put_draft(conn, onboarding.Draft(
            USER, Step.SUMMARY, answers, False, None, svc.clock.now(), svc.clock.now(),
            revision=7))
    result = await onboarding.submit(svc, USER, 7)
    assert result.outcome is SubmitOutcome.HAS_STORE
    assert await svc.db.fetchval("SELECT COUNT(*) FROM stores") == 1


async def _answers_of_store(svc: Services, store_id: int) -> dict:
    async with svc.db.reading() as conn:
        store = await stores.get(conn, store_id)
    assert store is not None
    return onboarding._answers_of(store.details)


async def test_database_allows_one_pending_application_per_user(svc: Services) -> None:
    store = await _submitted(svc)
    with pytest.raises(Exception, match="UNIQUE"):
        async with svc.db.transaction() as conn:
            await stores.insert_pending(conn, USER, store.details, svc.clock.now())


async def test_approved_and_suspended_users_are_not_offered_registration(svc: Services) -> None:
    await approved_store(svc, USER)
    assert (await onboarding.begin(svc, USER)).entry is Entry.APPROVED
    await approved_store(svc, OTHER, status="suspended")
    assert (await onboarding.begin(svc, OTHER)).entry is Entry.SUSPENDED
    assert await onboarding.current(svc, USER) is None


async def test_after_rejection_the_new_application_starts_from_the_old_one(svc: Services) -> None:
    store = await _submitted(svc)
    assert (await approval.reject(svc, ADMIN, store.id, "Wrong PIN")).outcome is \
        Outcome.REJECTED
    begin = await onboarding.begin(svc, USER)
    assert begin.entry is Entry.PREFILLED and begin.draft is not None
    assert begin.draft.step == Step.SUMMARY
    assert onboarding.details_of(begin.draft) == store.details


# ------------------------------------------------------------------------- decisions


async def test_approval_gives_the_code_from_the_id_and_records_who_and_when(
    svc: Services,
) -> None:
    store = await _submitted(svc)
    svc.clock.advance(hours=2)  # type: ignore[attr-defined]
    decision = await approval.approve(svc, ADMIN, store.id)
    assert decision.outcome is Outcome.APPROVED and decision.store is not None
    assert decision.store.code == "KS-0001"
    assert (decision.store.decided_by, decision.store.decided_at) == (ADMIN, svc.clock.now())
    assert (await onboarding.my_store(svc, USER)) == decision.store


async def test_two_admins_at_once_decide_once(svc: Services) -> None:
    store = await _submitted(svc)
    results = await asyncio.gather(
        approval.approve(svc, ADMIN, store.id),
        approval.reject(svc, ADMIN2, store.id, "Not in our area"),
        approval.approve(svc, ADMIN2, store.id),
    )
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count(Outcome.ALREADY_DECIDED) == 2
    winner = next(r for r in results if r.outcome is not Outcome.ALREADY_DECIDED)
    for loser in results:
        if loser is not winner:
            assert loser.store is not None and loser.store.status == winner.store.status


async def test_non_admin_changes_nothing(svc: Services) -> None:
    store = await _submitted(svc)
    assert (await approval.approve(svc, USER, store.id)).outcome is Outcome.NOT_ADMIN
    assert (await approval.ask_reject(svc, OTHER, store.id)).outcome is Outcome.NOT_ADMIN
    assert (await approval.reject(svc, USER, store.id, "because")).outcome is Outcome.NOT_ADMIN
    assert await approval.pending(svc, USER) is None
    row = await svc.db.fetchone("SELECT status, decided_by FROM stores WHERE id = ?",
                                (store.id,))
    assert tuple(row) == ("pending", None)


async def test_reject_needs_a_reason(svc: Services) -> None:
    store = await _submitted(svc)
    decision = await approval.reject(svc, ADMIN, store.id, " x ")
    assert (decision.outcome, decision.reason) == (Outcome.BAD_REASON, TextError.TOO_SHORT)
    decision = await approval.reject(svc, ADMIN, 999, "Not in our area")
    assert decision.outcome is Outcome.NOT_FOUND


def test_parse_reason() -> None:
    assert approval.parse_reason("  Address\n\n  is   incomplete ") == Ok("Address\nis incomplete")
    assert approval.parse_reason("ok") == Invalid(TextError.TOO_SHORT)
    assert approval.parse_reason("x" * 301) == Invalid(TextError.TOO_LONG)
    assert approval.parse_reason("x" * 300) == Ok("x" * 300)


async def test_store_codes_are_never_reused(svc: Services) -> None:
    first = await _submitted(svc)
    await approval.approve(svc, ADMIN, first.id)
    await svc.db.execute("DELETE FROM stores WHERE id = ?", (first.id,))
    second = await _submitted(svc, OTHER)
    decision = await approval.approve(svc, ADMIN, second.id)
    assert decision.store is not None and decision.store.code == "KS-0002"


async def test_pending_lists_oldest_first(svc: Services) -> None:
    a = await _submitted(svc)
    b = await _submitted(svc, OTHER)
    listing = await approval.pending(svc, ADMIN)
    assert listing is not None
    assert ([s.id for s in listing.shown], listing.total) == ([a.id, b.id], 2)
    await approval.approve(svc, ADMIN, a.id)
    listing = await approval.pending(svc, ADMIN, limit=5)
    assert listing is not None and [s.id for s in listing.shown] == [b.id]


async def test_notices_are_queued_with_the_submission_and_the_decision(svc: Services) -> None:
    async def queued(kind: str) -> list[tuple[int, int]]:
        rows = await svc.db.fetchall(
            "SELECT chat_id, payload ->> '$.store_id' AS store_id FROM outbox WHERE kind = ? "
            "ORDER BY id", (kind,))
        return [(r["chat_id"], r["store_id"]) for r in rows]

    store = await _submitted(svc)
    assert await queued(approval.CARD) == [(ADMIN, store.id), (ADMIN2, store.id)]
    assert await approval.admin_notices_due(svc) == []  # the outbox owes them now
    await approval.approve(svc, ADMIN, store.id)
    await approval.approve(svc, ADMIN2, store.id)  # too late: decided once, told once
    assert await queued(approval.OWNER_OUTCOME) == [(USER, store.id)]
    assert await approval.owner_notices_due(svc) == []
    # Stores made some other way (tests of other features, imports) owe nothing.
    await approved_store(svc, OTHER)
    assert await approval.queue_owed_notices(svc) == 0
