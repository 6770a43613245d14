"""Admins decide store applications (SPEC §3): approve, or reject with a reason.

Rules:

* Only admins (``settings.is_admin``) decide or see the list; anyone else gets ``NOT_ADMIN``
  and nothing changes, whatever button data they send.
* A decision is recorded once, with who and when: the update is conditional on the
  application still being pending, inside one transaction, so when two admins decide at the
  same moment one wins and the other gets ``ALREADY_DECIDED`` with the winner's decision.
* Approval gives the store its code ``KS-0001`` … from its AUTOINCREMENT id (never reused).
* A rejection needs a reason of 3–300 characters; the shopkeeper sees it as written.
* The admins' cards are queued in the outbox in the transaction that submits the application,
  the shopkeeper's message in the transaction of the decision: a crash loses neither.
  (``admin_notice_due`` / ``owner_notice_due`` remain for notices owed from before the outbox,
  and for an application sent while no admin was configured; queued at start-up.)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from bot import outbox
from bot.services.context import Services
from bot.storage import stores
from bot.storage.stores import Store
from bot.validation import Invalid, Ok, Result, TextError, normalise

REASON_MIN, REASON_MAX = 3, 300
PENDING_SHOWN = 10


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ASK_REASON = "ask_reason"            # reject pressed: ask this admin for the reason
    ALREADY_DECIDED = "already_decided"  # someone (maybe this admin) decided before
    NOT_ADMIN = "not_admin"
    NOT_FOUND = "not_found"
    BAD_REASON = "bad_reason"            # ``reason`` says what is wrong with the text


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    store: Store | None = None
    decider_name: str | None = None  # who decided, for ALREADY_DECIDED / the admins' cards
    reason: TextError | None = None


@dataclass(frozen=True)
class PendingList:
    shown: list[Store]
    total: int


def parse_reason(text: str) -> Result[str, TextError]:
    """A rejection reason: 3–300 characters, whitespace collapsed, line breaks kept."""
    lines = (" ".join(line.split()) for line in normalise(text).splitlines())
    cleaned = "\n".join(line for line in lines if line)
    cleaned = "".join(ch for ch in cleaned if ch == "\n" or unicodedata.category(ch) != "Cc")
    if len(cleaned) < REASON_MIN:
        return Invalid(TextError.TOO_SHORT)
    if len(cleaned) > REASON_MAX:
        return Invalid(TextError.TOO_LONG)
    return Ok(cleaned)


# Outbox kinds, rendered by bot/handlers/applications.py.
CARD = "application.card"          # to each admin: the application with approve / reject
OWNER_OUTCOME = "application.outcome"  # to the shopkeeper: approved or rejected


async def queue_admin_cards(conn: aiosqlite.Connection, svc: Services, store_id: int) -> None:
    """Inside the transaction that submits the application: a card to every admin. With no
    admin configured the notice stays owed (``admin_notice_due``) until a start with admins."""
    admins = sorted(svc.settings.admin_ids)
    if not admins:
        return
    await outbox.enqueue_many(conn, admins, CARD, {"store_id": store_id},
                              now=svc.clock.now(), priority=outbox.Priority.URGENT)
    await stores.notices_queued(conn, store_id, admins=True)


async def queue_owner_notice(conn: aiosqlite.Connection, svc: Services, store: Store) -> None:
    """Inside the transaction of the decision: the shopkeeper's message."""
    await outbox.enqueue(conn, store.owner_user_id, OWNER_OUTCOME, {"store_id": store.id},
                         now=svc.clock.now(), priority=outbox.Priority.URGENT)
    await stores.notices_queued(conn, store.id, owner=True)


async def queue_owed_notices(svc: Services) -> int:
    """At start-up: notices owed from before the outbox, or while no admin was configured."""
    queued = 0
    for store in await stores.admin_notices_due(svc.db):
        if svc.settings.admin_ids:
            async with svc.db.transaction() as conn:
                await queue_admin_cards(conn, svc, store.id)
            queued += 1
    for store in await stores.owner_notices_due(svc.db):
        async with svc.db.transaction() as conn:
            await queue_owner_notice(conn, svc, store)
        queued += 1
    return queued


async def card_sent(conn: aiosqlite.Connection, sent: outbox.Outcome) -> None:
    """Outbox hook: remember the admin's card, to show the decision on it later."""
    if sent.message_id is not None:
        await stores.add_card_in(conn, sent.payload["store_id"], sent.chat_id, sent.message_id)


async def _decided(conn, store: Store) -> Decision:
    name = await stores.first_name_of(conn, store.decided_by) if store.decided_by else None
    return Decision(Outcome.ALREADY_DECIDED, store, decider_name=name)


async def approve(svc: Services, admin_id: int, store_id: int) -> Decision:
    """Approve a pending application; the store gets its code."""
    if not svc.settings.is_admin(admin_id):
        return Decision(Outcome.NOT_ADMIN)
    async with svc.db.transaction() as conn:
        won = await stores.decide(conn, store_id, approve=True, admin_id=admin_id,
                                  now=svc.clock.now())
        store = await stores.get(conn, store_id)
        if store is None:
            return Decision(Outcome.NOT_FOUND)
        if not won:
            return await _decided(conn, store)
        name = await stores.first_name_of(conn, admin_id)
        await queue_owner_notice(conn, svc, store)
    return Decision(Outcome.APPROVED, store, decider_name=name)


async def ask_reject(svc: Services, admin_id: int, store_id: int) -> Decision:
    """Reject was pressed: fine to ask for the reason if the application is still pending."""
    if not svc.settings.is_admin(admin_id):
        return Decision(Outcome.NOT_ADMIN)
    async with svc.db.reading() as conn:
        store = await stores.get(conn, store_id)
        if store is None:
            return Decision(Outcome.NOT_FOUND)
        if store.status != "pending":
            return await _decided(conn, store)
    return Decision(Outcome.ASK_REASON, store)


async def reject(svc: Services, admin_id: int, store_id: int, text: str) -> Decision:
    """Reject a pending application with the reason the admin wrote."""
    if not svc.settings.is_admin(admin_id):
        return Decision(Outcome.NOT_ADMIN)
    parsed = parse_reason(text)
    async with svc.db.transaction() as conn:
        store = await stores.get(conn, store_id)
        if store is None:
            return Decision(Outcome.NOT_FOUND)
        if store.status != "pending":
            return await _decided(conn, store)
        if isinstance(parsed, Invalid):
            return Decision(Outcome.BAD_REASON, store, reason=parsed.reason)
        # The conditional update is what makes the decision happen once.
        won = await stores.decide(conn, store_id, approve=False, admin_id=admin_id,
                                  now=svc.clock.now(), reason=parsed.value)
        store = await stores.get(conn, store_id)
        assert store is not None
        if not won:
            return await _decided(conn, store)
        name = await stores.first_name_of(conn, admin_id)
        await queue_owner_notice(conn, svc, store)
    return Decision(Outcome.REJECTED, store, decider_name=name)


async def pending(svc: Services, admin_id: int, limit: int | None = None) -> PendingList | None:
    """The oldest applications waiting for a decision (``PENDING_SHOWN``); None for a non-admin."""
    if not svc.settings.is_admin(admin_id):
        return None
    async with svc.db.reading() as conn:
        shown, total = await stores.pending(conn, limit or PENDING_SHOWN)
    return PendingList(shown, total)


async def decider_name(svc: Services, store: Store) -> str | None:
    if store.decided_by is None:
        return None
    async with svc.db.reading() as conn:
        return await stores.first_name_of(conn, store.decided_by)


async def admin_notices_due(svc: Services) -> list[Store]:
    return await stores.admin_notices_due(svc.db)


async def owner_notices_due(svc: Services) -> list[Store]:
    return await stores.owner_notices_due(svc.db)


async def admin_notice_sent(svc: Services, store_id: int) -> None:
    await stores.admin_notice_sent(svc.db, store_id)


async def owner_notice_sent(svc: Services, store_id: int) -> None:
    await stores.owner_notice_sent(svc.db, store_id)


async def card_shown(svc: Services, store_id: int, chat_id: int, message_id: int) -> None:
    """Remember an admin's card of the application, to show the decision on it later."""
    await stores.add_card(svc.db, store_id, chat_id, message_id)


async def cards_to_update(svc: Services, store_id: int) -> list[tuple[int, int]]:
    """Every admin card of a decided application (each returned once)."""
    return await stores.take_cards(svc.db, store_id)


async def store(svc: Services, store_id: int) -> Store | None:
    """An application or store as it is now (renderers read it when the message goes out)."""
    async with svc.db.reading() as conn:
        return await stores.get(conn, store_id)
