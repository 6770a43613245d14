"""Store onboarding (SPEC §3): the application a shopkeeper fills in, one question at a time.

Rules:

* Questions, in order: shop name, owner's name, mobile, address, PIN code, location, opening
  hours, capacity, UPI id; then the summary. Location and UPI id may be skipped.
* Every answer is checked with ``bot.validation``; a wrong one changes nothing and comes back
  as a reason. A good one is saved in the same transaction that read the draft, before the
  next question is shown, so a restart continues at the same question with every answer kept.
* The mobile number is typed, or shared with Telegram's contact button; a shared contact is
  accepted only when it is the sender's own (``contact.user_id == from.id``).
* After an answer (or skip): the first unanswered question after this one (going back to fix
  one answer does not ask the later ones again), else the summary. After an edit opened on the
  summary: the summary.
* Back: the previous question, showing its answer (from an edit: the summary). Keep: leave the
  answer and go to the next question in order, so Back and Keep walk through the answers.
* A draft untouched for :data:`STALE_AFTER` is not continued silently: the user chooses
  *continue* or *start over*.
* Telegram may deliver a message again after a crash (the update was handled but not yet
  confirmed); a message id not newer than the last one applied changes nothing.
* Submit: from the summary, every question answered, and only when the user has no pending,
  approved or suspended store. Creating the application and dropping the draft is one
  transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.services import approval
from bot.services.context import Services
from bot.storage import stores
from bot.storage.stores import Draft, Store, StoreDetails
from bot.validation import (
    MIDNIGHT_CLOSE,
    Invalid,
    Ok,
    OpeningHours,
    parse_address,
    parse_capacity,
    parse_hours,
    parse_mobile,
    parse_person_name,
    parse_pin_code,
    parse_shop_name,
    parse_upi_id,
)

__all__ = ["Draft", "Store", "StoreDetails"]  # re-exported for handlers

STALE_AFTER = timedelta(days=3)

# Where a shop can be: India's bounding box, generously.
LATITUDE_RANGE = (6.0, 37.6)
LONGITUDE_RANGE = (68.0, 97.6)


class Step(StrEnum):
    SHOP_NAME = "shop_name"
    OWNER_NAME = "owner_name"
    MOBILE = "mobile"
    ADDRESS = "address"
    PIN_CODE = "pin_code"
    LOCATION = "location"
    HOURS = "hours"
    CAPACITY = "capacity"
    UPI_ID = "upi_id"
    SUMMARY = "summary"


QUESTIONS: tuple[Step, ...] = tuple(s for s in Step if s is not Step.SUMMARY)
SKIPPABLE = frozenset({Step.LOCATION, Step.UPI_ID})


class Problem(StrEnum):
    """Wrong answers that ``bot.validation`` does not cover."""

    NOT_OWN_CONTACT = "not_own_contact"      # a shared contact that is someone else's
    EXPECTED_TEXT = "expected_text"          # a sticker, photo, location … where text is asked
    EXPECTED_LOCATION = "expected_location"  # text or anything else at the location question
    OUTSIDE_INDIA = "outside_india"          # a location outside India
    CANNOT_SKIP = "cannot_skip"
    NOTHING_TO_KEEP = "nothing_to_keep"
    NO_PREVIOUS = "no_previous"              # back on the first question
    USE_BUTTONS = "use_buttons"              # typing at the summary


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ContactInput:
    phone: str
    contact_user_id: int | None  # None: a contact card without a Telegram account


@dataclass(frozen=True)
class LocationInput:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class OtherInput:
    """A sticker, photo, document … nothing any question accepts."""


class Command(StrEnum):
    BACK = "back"
    SKIP = "skip"
    KEEP = "keep"


Input = TextInput | ContactInput | LocationInput | OtherInput | Command


# ---------------------------------------------------------------------------- results


class Status(StrEnum):
    SAVED = "saved"          # done; ask ``draft.step`` next
    INVALID = "invalid"      # nothing changed; tell ``reason`` and ask ``draft.step`` again
    NO_DRAFT = "no_draft"    # the user has no application in progress
    STALE = "stale"          # untouched for days: offer continue / start over; nothing changed
    DUPLICATE = "duplicate"  # this message was applied before; nothing changed


@dataclass(frozen=True)
class StepResult:
    status: Status
    draft: Draft | None = None
    reason: StrEnum | None = None
    answered: Step | None = None  # the question this message answered (SAVED only)


class Entry(StrEnum):
    STARTED = "started"      # a new application: ask the first question
    PREFILLED = "prefilled"  # after a rejection: the earlier answers, shown as the summary
    RESUMED = "resumed"      # an application in progress: ask its current question
    STALE = "stale"          # in progress but untouched for days: continue or start over?
    PENDING = "pending"      # the user's application waits for a decision
    APPROVED = "approved"    # the user already runs a partner store
    SUSPENDED = "suspended"  # the user's store was suspended


@dataclass(frozen=True)
class Begin:
    entry: Entry
    draft: Draft | None = None
    store: Store | None = None


class SubmitOutcome(StrEnum):
    SUBMITTED = "submitted"
    NO_DRAFT = "no_draft"        # nothing to submit (already submitted, cancelled)
    NOT_READY = "not_ready"      # not at the summary, an older summary, or a question unanswered
    HAS_STORE = "has_store"      # pending / approved / suspended store exists


@dataclass(frozen=True)
class Submitted:
    outcome: SubmitOutcome
    store: Store | None = None


# --------------------------------------------------------------------------- the rules


def is_stale(draft: Draft, svc: Services) -> bool:
    return svc.clock.now() - draft.updated_at >= STALE_AFTER


def step_number(step: Step) -> int:
    """1-based position of a question (``len(QUESTIONS)`` questions in all)."""
    return QUESTIONS.index(step) + 1


def _forward(draft: Draft, answers: dict[str, Any]) -> Step:
    if draft.editing or draft.step == Step.SUMMARY:
        return Step.SUMMARY
    index = QUESTIONS.index(Step(draft.step))
    for step in QUESTIONS[index + 1:]:
        if step not in answers:
            return step
    return Step.SUMMARY


def _hours_value(hours: OpeningHours) -> dict[str, str]:
    closes = "24:00" if hours.close == MIDNIGHT_CLOSE else f"{hours.close:%H:%M}"
    value = {"opens": f"{hours.open:%H:%M}", "closes": closes}
    if hours.read_as_pm:  # the handler says how it was read
        value["read_as_pm"] = True
    return value


def _parse_text(step: Step, text: str) -> Any:
    """The value to store for ``step``, or an ``Invalid``."""
    parsers = {
        Step.SHOP_NAME: parse_shop_name,
        Step.OWNER_NAME: parse_person_name,
        Step.ADDRESS: parse_address,
        Step.PIN_CODE: parse_pin_code,
        Step.CAPACITY: parse_capacity,
        Step.UPI_ID: parse_upi_id,
    }
    if step is Step.HOURS:
        result = parse_hours(text)
        return result if isinstance(result, Invalid) else Ok(_hours_value(result.value))
    if step is Step.MOBILE:
        return parse_mobile(text)
    return parsers[step](text)


def _answer(step: Step, inp: Input, sender_id: int) -> dict[str, Any] | StrEnum:
    """The answers to merge for ``inp`` at ``step``, or the reason it is refused."""
    if step is Step.SUMMARY:
        return Problem.USE_BUTTONS
    if step is Step.LOCATION:
        if not isinstance(inp, LocationInput):
            return Problem.EXPECTED_LOCATION
        lat, lon = inp.latitude, inp.longitude
        if not (LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
                and LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]):
            return Problem.OUTSIDE_INDIA
        return {step: {"latitude": lat, "longitude": lon}}
    if step is Step.MOBILE and isinstance(inp, ContactInput):
        if inp.contact_user_id != sender_id:
            return Problem.NOT_OWN_CONTACT
        # Telegram gives a contact's number in international form, "+" optional.
        phone = inp.phone.strip()
        result = parse_mobile(phone if phone.startswith("+") else "+" + phone)
        if isinstance(result, Invalid):
            return result.reason
        return {step: result.value, "mobile_verified": True}
    if not isinstance(inp, TextInput):
        return Problem.EXPECTED_TEXT
    result = _parse_text(step, inp.text)
    if isinstance(result, Invalid):
        return result.reason
    merged: dict[str, Any] = {step: result.value}
    if step is Step.MOBILE:
        merged["mobile_verified"] = False
    return merged


def _apply(draft: Draft, inp: Input, sender_id: int) -> tuple[Step, bool, dict[str, Any]] | StrEnum:
    """(next step, editing, answers) after ``inp``, or the reason nothing changes."""
    step = Step(draft.step)
    answers = dict(draft.answers)
    if inp is Command.BACK:
        if draft.editing:
            return Step.SUMMARY, False, answers
        if step is Step.SUMMARY:
            return QUESTIONS[-1], False, answers
        index = QUESTIONS.index(step)
        if index == 0:
            return Problem.NO_PREVIOUS
        return QUESTIONS[index - 1], False, answers
    if inp is Command.KEEP:
        if step is Step.SUMMARY or step not in answers:
            return Problem.NOTHING_TO_KEEP
        if draft.editing:
            return Step.SUMMARY, False, answers
        index = QUESTIONS.index(step) + 1
        return (QUESTIONS[index] if index < len(QUESTIONS) else Step.SUMMARY), False, answers
    if inp is Command.SKIP:
        if step not in SKIPPABLE:
            return Problem.CANNOT_SKIP
        answers[step] = None
        return _forward(draft, answers), False, answers
    merged = _answer(step, inp, sender_id)
    if isinstance(merged, StrEnum):
        return merged
    answers.update(merged)
    return _forward(draft, answers), False, answers


async def _save(conn, draft: Draft) -> Draft:
    """Write the draft as its next revision (the summary's buttons carry the revision)."""
    draft = replace(draft, revision=draft.revision + 1)
    await stores.put_draft(conn, draft)
    return draft


async def current(svc: Services, user_id: int) -> Draft | None:
    async with svc.db.reading() as conn:
        return await stores.get_draft(conn, user_id)


async def handle(
    svc: Services, user_id: int, inp: Input, *, message_id: int | None = None
) -> StepResult:
    """Apply one message (an answer, or back / skip / keep) to the user's application."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        draft = await stores.get_draft(conn, user_id)
        if draft is None:
            return StepResult(Status.NO_DRAFT)
        if (message_id is not None and draft.last_message_id is not None
                and message_id <= draft.last_message_id):
            return StepResult(Status.DUPLICATE, draft)
        if is_stale(draft, svc):
            return StepResult(Status.STALE, draft)
        applied = _apply(draft, inp, user_id)
        if isinstance(applied, StrEnum):
            return StepResult(Status.INVALID, draft, applied)
        step, editing, answers = applied
        answered = Step(draft.step)
        draft = replace(
            draft,
            step=step,
            editing=editing,
            answers=answers,
            last_message_id=message_id if message_id is not None else draft.last_message_id,
            updated_at=now,
        )
        draft = await _save(conn, draft)
    return StepResult(Status.SAVED, draft, answered=answered)


def _answers_of(details: StoreDetails) -> dict[str, Any]:
    location = None
    if details.has_location:
        location = {"latitude": details.latitude, "longitude": details.longitude}
    return {
        Step.SHOP_NAME: details.shop_name,
        Step.OWNER_NAME: details.owner_name,
        Step.MOBILE: details.mobile,
        "mobile_verified": details.mobile_verified,
        Step.ADDRESS: details.address,
        Step.PIN_CODE: details.pin_code,
        Step.LOCATION: location,
        Step.HOURS: {"opens": details.opens_at, "closes": details.closes_at},
        Step.CAPACITY: details.capacity,
        Step.UPI_ID: details.upi_id,
    }


async def begin(svc: Services, user_id: int) -> Begin:
    """The user asked to register their shop (menu button or /register).

    A user with a pending, approved or suspended store is told so and gets no draft. An
    application in progress is continued (or, when stale, the user chooses). After a rejection
    the new application starts from the rejected one's answers, at the summary.
    """
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        store = await stores.open_store_of(conn, user_id)
        if store is not None:
            entry = {"pending": Entry.PENDING, "approved": Entry.APPROVED,
                     "suspended": Entry.SUSPENDED}[store.status]
            return Begin(entry, store=store)
        draft = await stores.get_draft(conn, user_id)
        if draft is not None:
            return Begin(Entry.STALE if is_stale(draft, svc) else Entry.RESUMED, draft)
        rejected = await stores.latest_rejected_of(conn, user_id)
        if rejected is not None:
            draft = Draft(user_id, Step.SUMMARY, _answers_of(rejected.details), False, None,
                          now, now)
            entry = Entry.PREFILLED
        else:
            draft = Draft(user_id, Step.SHOP_NAME, {}, False, None, now, now)
            entry = Entry.STARTED
        draft = await _save(conn, draft)
    return Begin(entry, draft, rejected)


async def resume(svc: Services, user_id: int) -> Draft | None:
    """Continue a (stale) application where it stopped; None when there is none."""
    async with svc.db.transaction() as conn:
        draft = await stores.get_draft(conn, user_id)
        if draft is None:
            return None
        draft = await _save(conn, replace(draft, updated_at=svc.clock.now()))
    return draft


async def start_over(svc: Services, user_id: int) -> Draft | None:
    """Forget the answers of the user's application and ask from the first question."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        draft = await stores.get_draft(conn, user_id)
        if draft is None:
            return None
        draft = await _save(conn, replace(draft, step=Step.SHOP_NAME, answers={}, editing=False,
                                          started_at=now, updated_at=now))
    return draft


async def edit(svc: Services, user_id: int, field: str, revision: int | None) -> Draft | None:
    """Open one question from the summary of ``revision``; None when that summary is outdated."""
    if field not in QUESTIONS:
        return None
    async with svc.db.transaction() as conn:
        draft = await stores.get_draft(conn, user_id)
        if draft is None or draft.step != Step.SUMMARY or draft.revision != revision:
            return None
        draft = await _save(conn, replace(draft, step=Step(field), editing=True,
                                          updated_at=svc.clock.now()))
    return draft


def details_of(draft: Draft) -> StoreDetails | None:
    """The application as a store's details; None while a question is unanswered."""
    a = draft.answers
    if any(step not in a for step in QUESTIONS):
        return None
    location = a[Step.LOCATION] or {}
    return StoreDetails(
        shop_name=a[Step.SHOP_NAME],
        owner_name=a[Step.OWNER_NAME],
        mobile=a[Step.MOBILE],
        mobile_verified=bool(a.get("mobile_verified")),
        address=a[Step.ADDRESS],
        pin_code=a[Step.PIN_CODE],
        latitude=location.get("latitude"),
        longitude=location.get("longitude"),
        opens_at=a[Step.HOURS]["opens"],
        closes_at=a[Step.HOURS]["closes"],
        capacity=a[Step.CAPACITY],
        upi_id=a[Step.UPI_ID],
    )


async def submit(svc: Services, user_id: int, revision: int | None) -> Submitted:
    """Turn the application, as shown in the summary of ``revision``, into a pending store.

    Once, however often it is pressed: the draft goes in the same transaction.
    """
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        draft = await stores.get_draft(conn, user_id)
        if draft is None:
            return Submitted(SubmitOutcome.NO_DRAFT)
        details = details_of(draft)
        if draft.step != Step.SUMMARY or draft.revision != revision or details is None:
            return Submitted(SubmitOutcome.NOT_READY)
        existing = await stores.open_store_of(conn, user_id)
        if existing is not None:
            return Submitted(SubmitOutcome.HAS_STORE, existing)
        store = await stores.insert_pending(conn, user_id, details, now)
        await stores.delete_draft(conn, user_id)
        await approval.queue_admin_cards(conn, svc, store.id)  # the admins' cards, with it
    return Submitted(SubmitOutcome.SUBMITTED, store)


async def discard(svc: Services, user_id: int) -> bool:
    """Forget the user's application in progress (/cancel); True when there was one."""
    async with svc.db.transaction() as conn:
        return await stores.delete_draft(conn, user_id)


async def my_store(svc: Services, user_id: int) -> Store | None:
    """The user's approved store, if they run one."""
    async with svc.db.reading() as conn:
        return await stores.approved_store_of(conn, user_id)


def all_day(opens_at: str, closes_at: str) -> bool:
    return opens_at == "00:00" and closes_at == "24:00"

