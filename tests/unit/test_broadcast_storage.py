"""Broadcast rules and SQL: audiences, creating with INSERT ... SELECT, row states, stopping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.clock import ManualClock, to_db
from bot.config import Settings
from bot.domain import FlowState
from bot.jobs.broadcast_sender import fate_known
from bot.ratelimit import RateLimiterClosed
from bot.services import audiences, users
from bot.services import broadcast as service
from bot.services.audiences import Audience, AudienceKind
from bot.services.context import Services
from bot.storage import broadcasts as repo
from bot.storage.broadcasts import NewBroadcast, RowUpdate
from bot.storage.db import Database
from bot.validation import Invalid, Ok
from tests.factories import approved_store, block_user, ensure_user, linked_customer

ADMIN = 900


@pytest.fixture
async def svc(tmp_path) -> AsyncIterator[Services]:
    db = await Database.open(tmp_path / "k.sqlite3")
    settings = Settings(bot_token="123456789:AAFakeBotApiTokenForTests-0123456789",
                        admin_ids=frozenset({ADMIN}), db_path=tmp_path / "k.sqlite3")
    services = Services(settings=settings, db=db, clock=ManualClock())
    try:
        yield services
    finally:
        await db.close()


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pune", Ok("Pune")),
        ("  navi   mumbai ", Ok("navi mumbai")),
        ("Pune / पुणे, Poona", Ok("Pune / पुणे / Poona")),
        ("Pune/Pune", Ok("Pune")),
        ("P", Invalid(audiences.CityError.TOO_SHORT)),
        ("", Invalid(audiences.CityError.TOO_SHORT)),
        ("411", Invalid(audiences.CityError.NO_LETTER)),
        ("a/b/c/d/e/f".replace("/", "x/"), Invalid(audiences.CityError.TOO_MANY)),
        ("x" * 41, Invalid(audiences.CityError.TOO_LONG)),
    ],
)
def test_parse_city(text: str, expected: object) -> None:
    assert audiences.parse_city(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("411", Ok("411")),
        ("411 038", Ok("411038")),
        ("४११", Ok("411")),
        ("", Invalid(audiences.PinPrefixError.EMPTY)),
        ("41a", Invalid(audiences.PinPrefixError.NOT_DIGITS)),
        ("4110381", Invalid(audiences.PinPrefixError.TOO_LONG)),
        ("011", Invalid(audiences.PinPrefixError.BAD_FIRST_DIGIT)),
    ],
)
def test_parse_pin_prefix(text: str, expected: object) -> None:
    assert audiences.parse_pin_prefix(text) == expected


def test_audience_from_stored_values() -> None:
    assert Audience.parse("city", "Pune") == Audience(AudienceKind.CITY, "Pune")
    assert Audience.parse("lang", "mr") == Audience(AudienceKind.LANGUAGE, "mr")
    assert Audience.parse("lang", "fr") is None
    assert Audience.parse("pin", "0") is None
    assert Audience.parse("everyone") is None


def test_text_for_falls_back_to_the_base_text() -> None:
    texts = {"*": "base", "hi": "हिंदी"}
    assert service.text_for(texts, "hi") == "हिंदी"
    assert service.text_for(texts, "mr") == "base"
    assert service.text_for(texts, "en") == "base"


def test_check_text() -> None:
    assert service.check_text("hello") is None
    assert service.check_text("  \n") == service.TextProblem.EMPTY
    assert service.check_text("x" * 3500) is None
    assert service.check_text("x" * 3501) == service.TextProblem.TOO_LONG


def test_fate_of_network_errors() -> None:
    def wrapped(exc: Exception, cls: type = NetworkError) -> Exception:
        error = cls("boom")
        error.__cause__ = exc
        return error

    request = httpx.Request("POST", "http://x")
    assert fate_known(NetworkError("Internal Server Error (500)"))  # Telegram answered
    assert fate_known(wrapped(httpx.ConnectError("refused", request=request)))
    assert fate_known(wrapped(httpx.PoolTimeout("busy", request=request), TimedOut))
    assert fate_known(RateLimiterClosed())
    assert not fate_known(wrapped(httpx.ReadTimeout("slow", request=request), TimedOut))
    assert not fate_known(wrapped(httpx.RemoteProtocolError("gone", request=request)))


# --------------------------------------------------------------------------- audiences


async def test_city_matches_whole_words_case_insensitively(svc: Services) -> None:
    await approved_store(svc, 1, address="12 MG Road, Kothrud, Pune")
    await approved_store(svc, 2, address="Shop 4,FC Road,PUNE-411004")
    await approved_store(svc, 3, address="Punekar Chowk, Mumbai")
    await approved_store(svc, 4, address="स्टेशन रोड, पुणे")
    await approved_store(svc, 5, address="Navi  Mumbai, Sector 17")
    await approved_store(svc, 6, address="100% Kirana_Store, Pune")

    async def members(arg: str) -> set[int]:
        sql, params = repo.audience_user_ids("city", arg)
        return {r[0] for r in await svc.db.fetchall(sql, params)}

    assert await members("pune") == {1, 2, 6}
    assert await members("Pune / पुणे") == {1, 2, 4, 6}
    assert await members("navi mumbai") == {5}
    assert await members("Mumbai") == {3, 5}
    assert await members("%") == set()  # LIKE wildcards are literal
    assert await members("kirana_store") == {6}


async def test_counts_by_language_skip_blocked_and_pending(svc: Services) -> None:
    await approved_store(svc, 1, language="en", pin_code="411038")
    await approved_store(svc, 1, shop_name="Second shop", pin_code="411001")  # same owner
    await approved_store(svc, 2, language="hi", pin_code="411004")
    await approved_store(svc, 3, language="mr", pin_code="440001")
    await approved_store(svc, 4, language="mr", pin_code="411001", status="pending")
    await approved_store(svc, 5, language="hi", pin_code="411002")
    await block_user(svc, 5)
    counted = await audiences.count(svc, Audience(AudienceKind.PIN, "411"))
    assert counted.by_language == {"en": 1, "hi": 1, "mr": 0}
    assert (counted.total, counted.blocked) == (2, 1)
    counted = await audiences.count(svc, Audience(AudienceKind.LANGUAGE, "mr"))
    assert (counted.total, counted.blocked) == (1, 0)
    counted = await audiences.count(svc, Audience(AudienceKind.STORES))
    assert (counted.total, counted.blocked) == (3, 1)


# --------------------------------------------------------------------------- creating


async def draft_for(svc: Services, token: str = "abcd1234") -> None:
    await users.save_flow(svc, ADMIN, FlowState("broadcast", "preview", {"draft": token}))


async def test_create_writes_every_recipient_row_at_once(svc: Services) -> None:
    await ensure_user(svc, ADMIN)
    for uid in range(100, 130):
        await linked_customer(svc, uid, f"+91982200{uid:04d}", language="hi")
    await block_user(svc, 105)
    await draft_for(svc)
    made = await service.create(
        svc, admin_id=ADMIN, draft="abcd1234", texts={"*": "hello", "xx": "dropped"},
        audience=Audience(AudienceKind.CUSTOMERS), progress_chat_id=ADMIN,
        progress_message_id=7)
    assert made == service.Created(broadcast_id=1, total=30, skipped_blocked=1)
    assert await repo.counts(svc.db, 1) == {"pending": 29, "blocked": 1}
    row = await repo.get(svc.db, 1)
    assert repo.texts_of(row) == {"*": "hello"}
    assert (row["status"], row["total"], row["progress_message_id"]) == ("sending", 30, 7)
    # The draft is consumed with it: a second press creates nothing.
    assert await users.current_flow(svc, ADMIN) is None
    again = await service.create(
        svc, admin_id=ADMIN, draft="abcd1234", texts={"*": "hello"},
        audience=Audience(AudienceKind.CUSTOMERS), progress_chat_id=None,
        progress_message_id=None)
    assert again == service.Refusal.EXPIRED
    assert await svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1


async def test_create_refuses_non_admins_wrong_drafts_and_empty_audiences(svc: Services) -> None:
    await ensure_user(svc, ADMIN)
    await linked_customer(svc, 100, "+919822001000")
    await draft_for(svc, "good")
    kwargs = {"texts": {"*": "hi"}, "progress_chat_id": None, "progress_message_id": None}
    customers = Audience(AudienceKind.CUSTOMERS)
    assert await service.create(svc, admin_id=100, draft="good", audience=customers,
                                **kwargs) == service.Refusal.NOT_ALLOWED
    assert await service.create(svc, admin_id=ADMIN, draft="other", audience=customers,
                                **kwargs) == service.Refusal.EXPIRED
    assert await service.create(svc, admin_id=ADMIN, draft="good",
                                audience=Audience(AudienceKind.STORES),
                                **kwargs) == service.Refusal.NOBODY
    assert await svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
    assert await users.current_flow(svc, ADMIN) is not None  # nothing consumed


async def make_broadcast(svc: Services, n: int) -> int:
    for uid in range(100, 100 + n):
        await linked_customer(svc, uid, f"+91982200{uid:04d}")
    made = await repo.create(svc.db, NewBroadcast(ADMIN, "customers", "", {"*": "x"}),
                             svc.clock.now())
    assert made is not None
    return made[0]


async def test_pages_are_keyset_in_id_order_and_skip_non_pending(svc: Services) -> None:
    bid = await make_broadcast(svc, 12)
    first, last = await repo.row_id_range(svc.db, bid)
    assert last - first == 11
    at = to_db(svc.clock.now())
    await repo.apply_updates(svc.db, [RowUpdate(first + 1, "sent", at, message_id=5)])
    page = await repo.pending_page(svc.db, bid, first - 1, last, 5)
    assert [r["id"] for r in page] == [first, first + 2, first + 3, first + 4, first + 5]
    page = await repo.pending_page(svc.db, bid, page[-1]["id"], last, 5)
    assert [r["id"] for r in page] == list(range(first + 6, first + 11))
    page = await repo.pending_page(svc.db, bid, page[-1]["id"], last, 5)
    assert [r["id"] for r in page] == [last]
    assert await repo.pending_page(svc.db, bid, last, last, 5) == []


async def test_row_updates_last_change_wins_and_403_blocks_the_user(svc: Services) -> None:
    bid = await make_broadcast(svc, 3)
    first, _ = await repo.row_id_range(svc.db, bid)
    at = to_db(svc.clock.now())
    await repo.apply_updates(svc.db, [
        RowUpdate(first, "sending", at),
        RowUpdate(first + 1, "sending", at),
        RowUpdate(first, "sent", at, message_id=42),
        RowUpdate(first + 1, "blocked", at, error="403 Forbidden", block_user=101),
    ])
    rows = await svc.db.fetchall(
        "SELECT state, message_id, error FROM broadcast_recipients ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("sent", 42, None), ("blocked", None, "403 Forbidden"), ("pending", None, None)]
    assert await svc.db.fetchval("SELECT blocked FROM users WHERE user_id = 101") == 1
    many = [RowUpdate(first + 2, "sending", at)] * 1000  # over one statement's size
    await repo.apply_updates(svc.db, many)
    assert (await repo.counts(svc.db, bid))["sending"] == 1


async def test_interrupted_rows_become_unknown_and_stop_cancels_the_rest(svc: Services) -> None:
    bid = await make_broadcast(svc, 4)
    first, _ = await repo.row_id_range(svc.db, bid)
    at = to_db(svc.clock.now())
    await repo.apply_updates(svc.db, [RowUpdate(first, "sent", at),
                                      RowUpdate(first + 1, "sending", at)])
    assert await repo.mark_interrupted(svc.db, svc.clock.now()) == 1
    assert await repo.request_stop(svc.db, bid, ADMIN)
    assert not await repo.request_stop(svc.db, bid, ADMIN)  # already stopping
    final = await repo.finish(svc.db, bid, stopped=True, now=svc.clock.now())
    assert final == {"sent": 1, "unknown": 1, "cancelled": 2}
    row = await repo.get(svc.db, bid)
    assert (row["status"], row["sent"], row["unknown"], row["cancelled"]) == ("stopped", 1, 1, 2)


async def test_request_stop_rules(svc: Services) -> None:
    bid = await make_broadcast(svc, 2)
    assert await service.request_stop(svc, 100, bid) == service.StopResult.NOT_ALLOWED
    assert await service.request_stop(svc, ADMIN, 99) == service.StopResult.NOT_FOUND
    assert await service.request_stop(svc, ADMIN, bid) == service.StopResult.STOPPING
    assert await service.request_stop(svc, ADMIN, bid) == service.StopResult.STOPPING
    await repo.finish(svc.db, bid, stopped=True, now=svc.clock.now())
    assert await service.request_stop(svc, ADMIN, bid) == service.StopResult.FINISHED
    summaries = await service.recent(svc, ADMIN)
    assert isinstance(summaries, list) and summaries[0].counts.cancelled == 2
    assert await service.recent(svc, 100) == service.Refusal.NOT_ALLOWED
