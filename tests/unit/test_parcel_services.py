"""Parcel services against a real SQLite file: manifests, arrival, notices, customers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox import Outcome as SendOutcome
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services import arrival, customers, notices
from bot.services.arrival import NotAllowed, Outcome, PhoneAndName, RegisterProblem
from bot.services.context import Services
from bot.services.customers import Linked, LinkProblem, ParcelProblem
from bot.services.manifest import RejectedFile, RowProblem
from bot.services.manifest_import import ImportProblem, ImportReport, import_manifest
from bot.services.parcel_models import last_day_for
from bot.storage.db import Database
from bot.validation import PhoneError
from tests.factories import approved_store, ensure_user, linked_customer

HEADER = "tracking_id,store_code,customer_phone,customer_name"


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "k.sqlite3",
                        admin_ids=frozenset({900}))
    db = await Database.open(settings.db_path)
    try:
        yield Services(settings=settings, db=db, clock=ManualClock())
    finally:
        await db.close()


async def load(svc: Services, *rows: str, actor: int | None = None,
               source: str = "cli") -> ImportReport:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    report = await import_manifest(svc, data, "m.csv", actor_id=actor, source=source)
    assert isinstance(report, ImportReport), report
    return report


async def status_of(svc: Services, tracking_id: str) -> str:
    return await svc.db.fetchval("SELECT status FROM parcels WHERE tracking_id = ?",
                                 (tracking_id,))


# ------------------------------------------------------------------------ manifests


async def test_manifest_rows_against_the_database(svc: Services) -> None:
    await approved_store(svc, 201)
    await approved_store(svc, 202, status="pending")  # KS-0002, not approved
    first = await load(svc, "TRK10000001,KS-0001,9876543210,Priya")
    assert (first.loaded, first.skipped, first.errors) == (1, 0, [])
    report = await load(svc,
                        "TRK10000001,KS-0001,9876543210,Priya",       # identical: skipped
                        "TRK10000002,KS-0002,9876543210,",            # store not approved
                        "TRK10000003,KS-0042,9876543210,",            # no such store
                        "TRK10000001,KS-0001,9822012345,Someone")     # duplicate in file
    assert (report.loaded, report.skipped) == (0, 1)
    assert [(e.line, e.problem) for e in report.errors] == [
        (3, RowProblem.UNKNOWN_STORE), (4, RowProblem.UNKNOWN_STORE),
        (5, RowProblem.DUPLICATE_IN_FILE)]
    conflict = await load(svc, "TRK10000001,KS-0001,9822012345,Another mobile")
    assert [(e.line, e.problem, e.value) for e in conflict.errors] == [
        (2, RowProblem.CONFLICT, "TRK10000001")]
    assert conflict.skipped == 0 and conflict.loaded == 0
    assert await svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 1


async def test_manifest_from_the_bot_is_for_admins_only(svc: Services) -> None:
    data = f"{HEADER}\nTRK10000001,KS-0001,9876543210,\n".encode()
    assert await import_manifest(svc, data, "m.csv", actor_id=201) is ImportProblem.NOT_ADMIN
    assert await import_manifest(svc, data, "m.csv", actor_id=None) is ImportProblem.NOT_ADMIN
    assert isinstance(await import_manifest(svc, b"", "m.csv", actor_id=900), RejectedFile)


async def test_a_failure_while_loading_loads_nothing(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await approved_store(svc, 201)
    from bot.storage import parcels as parcels_repo

    async def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(parcels_repo, "append_manifest_events", broken)
    rows = [f"TRK{i:08d},KS-0001,98{i:08d}," for i in range(3000)]
    with pytest.raises(RuntimeError):
        await load(svc, *rows)
    assert await svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 0
    assert await svc.db.fetchval("SELECT COUNT(*) FROM manifests") == 0


async def test_ten_thousand_rows_in_one_go(svc: Services) -> None:
    await approved_store(svc, 201)
    stages: list[tuple[str, int, int]] = []
    data = "\n".join([HEADER] + [f"TRK{i:08d},KS-0001,98{i:08d},Name {i}"
                                 for i in range(10_000)]).encode()
    report = await import_manifest(svc, data, "big.csv", actor_id=None, source="cli",
                                   progress=lambda *a: stages.append(a))
    assert isinstance(report, ImportReport) and report.loaded == 10_000
    assert stages[0] == ("parsed", 10_000, 10_000)
    assert stages[-1] == ("loading", 10_000, 10_000) and len(stages) == 6
    tokens = await svc.db.fetchval("SELECT COUNT(DISTINCT link_token) FROM parcels")
    assert tokens == 10_000
    assert await svc.db.fetchval("SELECT COUNT(*) FROM parcel_events") == 10_000


# -------------------------------------------------------------------------- arrival


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("98765 43210", PhoneAndName("+919876543210", None)),
        ("98765 43210\nPriya  Sharma", PhoneAndName("+919876543210", "Priya Sharma")),
        ("Priya Sharma\n+91-98765-43210", PhoneAndName("+919876543210", "Priya Sharma")),
        ("9876543210 Priya", PhoneAndName("+919876543210", "Priya")),
        ("प्रिया, ९८७६५४३२१०", PhoneAndName("+919876543210", "प्रिया")),
        ("12345", PhoneError.TOO_SHORT),
        ("Priya", PhoneError.NOT_DIGITS),
        ("9876543210\n" + "x" * 101, RegisterProblem.NAME_TOO_LONG),
    ],
)
def test_phone_and_name(text: str, expected: object) -> None:
    assert arrival.parse_phone_and_name(text) == expected


def test_last_day_is_the_local_calendar_date_plus_hold_days() -> None:
    late_evening_ist = datetime(2026, 11, 2, 18, 45, tzinfo=UTC)  # 00:15 on 3 Nov in India
    assert last_day_for(late_evening_ist, 7, Settings(
        bot_token=DEFAULT_TOKEN).tz) == date(2026, 11, 10)


async def test_receive_outcomes_and_shelf(svc: Services) -> None:
    _, code = await approved_store(svc, 201, capacity=3)
    _, other = await approved_store(svc, 202)
    await load(svc, "TRK10000001,KS-0001,9876543210,", "TRK10000002,KS-0001,9876543210,",
               "TRK10000003,KS-0001,9876543210,", "TRK10000004,KS-0001,9876543210,",
               f"TRK20000001,{other},9876543210,")
    await svc.db.execute("UPDATE parcels SET status = 'to_return' WHERE tracking_id = "
                         "'TRK10000003'")  # still on the shelf
    await svc.db.execute("UPDATE parcels SET status = 'picked_up' WHERE tracking_id = "
                         "'TRK10000004'")
    report = await arrival.receive(
        svc, 201, "TRK10000001\nTRK10000004\nTRK20000001\nTRK99999999\nTRK10000002\nx")
    assert not isinstance(report, NotAllowed)
    assert [(r.tracking_id, r.outcome) for r in report.results] == [
        ("TRK10000001", Outcome.ARRIVED), ("TRK10000004", Outcome.CLOSED),
        ("TRK20000001", Outcome.OTHER_STORE), ("TRK99999999", Outcome.UNKNOWN),
        ("TRK10000002", Outcome.ARRIVED)]
    assert report.held == 3 and report.phones == ["+919876543210"]
    assert [b.line for b in report.bad_lines] == [6]
    shelf = await arrival.shelf(svc, 201)
    assert not isinstance(shelf, NotAllowed) and shelf.full
    assert await arrival.receive(svc, 999, "TRK10000001") is NotAllowed.NOT_SHOPKEEPER


async def test_two_devices_receiving_the_same_parcel_arrive_it_once(svc: Services) -> None:
    await approved_store(svc, 201)
    await load(svc, "TRK10000001,KS-0001,9876543210,")
    first, second = await asyncio.gather(arrival.receive(svc, 201, "TRK10000001"),
                                         arrival.receive(svc, 201, "TRK10000001"))
    outcomes = sorted(r.results[0].outcome for r in (first, second))  # type: ignore[union-attr]
    assert outcomes == [Outcome.ALREADY_ARRIVED, Outcome.ARRIVED]


async def test_too_many_ids_in_one_message(svc: Services) -> None:
    await approved_store(svc, 201, capacity=500)
    text = "\n".join(f"TRK{i:08d}" for i in range(arrival.MAX_IDS_PER_MESSAGE + 5))
    report = await arrival.receive(svc, 201, text)
    assert not isinstance(report, NotAllowed)
    assert len(report.results) == arrival.MAX_IDS_PER_MESSAGE and report.too_many == 5


# -------------------------------------------------------------------------- notices


async def notice_rows(svc: Services) -> list:
    return await svc.db.fetchall(
        "SELECT chat_id, kind, payload, state FROM outbox WHERE kind = 'parcel.arrival_notice'")


async def test_the_arrival_queues_one_notice_with_it_and_the_code_is_issued_when_sent(
    svc: Services,
) -> None:
    await approved_store(svc, 201)
    await linked_customer(svc, 301, "+919876543210")
    await load(svc, "TRK10000001,KS-0001,9876543210,")
    report = await arrival.receive(svc, 201, "TRK10000001")
    assert isinstance(report, arrival.ReceiveReport) and report.queued == 1
    (row,) = await notice_rows(svc)
    assert row["chat_id"] == 301 and row["state"] == "pending"
    parcel_id = json.loads(row["payload"])["parcel_id"]
    assert (await svc.db.fetchone("SELECT code_hash FROM parcels"))["code_hash"] is None
    # Linking again, or opening /myparcels, does not queue a second one while it is pending.
    assert await notices.queue_notices(svc, "+919876543210") == 0
    svc.clock.advance(timedelta(minutes=11))  # even after the claim timed out
    await notices.queue_notices(svc, "+919876543210")
    assert len(await notice_rows(svc)) == 1

    notice = await notices.issue_notice(svc, parcel_id, 301)
    assert notice is not None and notice.code not in repr(notice)
    assert (await svc.db.fetchone("SELECT code_hash FROM parcels"))["code_hash"] is not None


async def test_a_failed_notice_is_queued_again_and_a_sent_one_never(svc: Services) -> None:
    await approved_store(svc, 201)
    await linked_customer(svc, 301, "+919876543210")
    await load(svc, "TRK10000001,KS-0001,9876543210,")
    await arrival.receive(svc, 201, "TRK10000001")
    (row,) = await notice_rows(svc)
    payload = json.loads(row["payload"])
    async with svc.db.transaction() as conn:  # what the outbox does on a final failure
        await conn.execute("UPDATE outbox SET state = 'failed'")
        await notices.notice_failed(
            conn, SendOutcome(301, payload, svc.clock.now(), error="403 blocked"))
    assert await notices.queue_notices(svc, "+919876543210") == 1
    async with svc.db.transaction() as conn:  # ... and when it is sent
        await conn.execute("UPDATE outbox SET state = 'sent'")
        await notices.notice_sent(conn, SendOutcome(301, payload, svc.clock.now(), message_id=9))
    assert await notices.queue_notices(svc, "+919876543210") == 0
    assert await notices.issue_notice(svc, payload["parcel_id"], 301) is None  # already told


async def test_a_notice_is_not_shown_to_someone_who_no_longer_holds_the_number(
    svc: Services,
) -> None:
    await approved_store(svc, 201)
    await linked_customer(svc, 301, "+919876543210")
    await load(svc, "TRK10000001,KS-0001,9876543210,")
    await arrival.receive(svc, 201, "TRK10000001")
    (row,) = await notice_rows(svc)
    await ensure_user(svc, 302)
    await svc.db.execute("UPDATE customers SET user_id = 302")  # the number moved
    assert await notices.issue_notice(svc, json.loads(row["payload"])["parcel_id"], 301) is None


async def test_no_notice_for_a_number_nobody_linked(svc: Services) -> None:
    await approved_store(svc, 201)
    await load(svc, "TRK10000001,KS-0001,9876543210,")
    report = await arrival.receive(svc, 201, "TRK10000001")
    assert isinstance(report, arrival.ReceiveReport) and report.queued == 0
    assert await notice_rows(svc) == []


# ------------------------------------------------------------------------ customers


async def test_linking_rules(svc: Services) -> None:
    await ensure_user(svc, 301, language=None)
    await ensure_user(svc, 302, language="en")
    assert await customers.link_contact(svc, 301, 302, "+919876543210", "hi") is (
        LinkProblem.NOT_OWN_CONTACT)
    assert await customers.link_contact(svc, 301, 301, "+14155550100", "hi") is (
        LinkProblem.NOT_INDIAN_MOBILE)
    assert await customers.link_contact(svc, 301, 301, "919876543210", "hi") == Linked(
        "+919876543210", changed=True)
    assert await svc.db.fetchval("SELECT language FROM users WHERE user_id = 301") == "hi"
    assert await customers.link_contact(svc, 301, 301, "+919876543210", "en") == Linked(
        "+919876543210", changed=False)
    assert await svc.db.fetchval("SELECT language FROM users WHERE user_id = 301") == "hi"
    # The same number shared by another account moves there.
    assert (await customers.link_contact(svc, 302, 302, "+919876543210", "en")).changed
    assert await customers.linked_phone(svc, 301) is None


async def test_new_code_and_extend_check_ownership_and_state(svc: Services) -> None:
    await approved_store(svc, 201)
    await linked_customer(svc, 301, "+919876543210")
    await linked_customer(svc, 302, "+919822012345")
    await load(svc, "TRK10000001,KS-0001,9876543210,", "TRK10000002,KS-0001,9876543210,")
    await arrival.receive(svc, 201, "TRK10000001")
    pid = await svc.db.fetchval("SELECT id FROM parcels WHERE tracking_id = 'TRK10000001'")
    expected_pid = await svc.db.fetchval(
        "SELECT id FROM parcels WHERE tracking_id = 'TRK10000002'")
    assert await customers.new_code(svc, 302, pid) is ParcelProblem.NOT_YOURS
    assert await customers.extend(svc, 302, pid) is ParcelProblem.NOT_YOURS
    assert await customers.new_code(svc, 301, 10_000) is ParcelProblem.NOT_YOURS
    assert await customers.new_code(svc, 301, expected_pid) is ParcelProblem.NOT_WAITING
    assert await customers.extend(svc, 301, expected_pid) is ParcelProblem.NOT_WAITING
    new = await customers.new_code(svc, 301, pid)
    assert not isinstance(new, ParcelProblem) and new.code not in repr(new)
    extended = await customers.extend(svc, 301, pid)
    assert not isinstance(extended, ParcelProblem)
    assert extended.parcel.last_day - extended.previous_last_day == timedelta(days=3)
    assert await customers.extend(svc, 301, pid) is ParcelProblem.ALREADY_EXTENDED
    assert [p.parcel.tracking_id for p in await customers.my_parcels(svc, 301)] == [
        "TRK10000001", "TRK10000002"]
    assert await customers.my_parcels(svc, 303) is None


async def test_notices_issued_in_a_group_are_the_notices_issued_one_by_one(svc: Services) -> None:
    """The outbox sender renders notices in groups (issue_notices): each gets its own working
    code, and a parcel that is no longer due, or whose number moved, gets no notice."""
    from bot.services.codes import code_key, hash_code

    store_id, _ = await approved_store(svc, 201)
    await linked_customer(svc, 301, "+919876543210")
    await linked_customer(svc, 303, "+919876543213")
    await load(svc, "TRK10000001,KS-0001,9876543210,", "TRK10000002,KS-0001,9876543210,",
               "TRK10000003,KS-0001,9876543213,")
    await arrival.receive(svc, 201, "TRK10000001\nTRK10000002\nTRK10000003")
    ids = {r["tracking_id"]: r["id"] for r in await svc.db.fetchall(
        "SELECT id, tracking_id FROM parcels")}
    await ensure_user(svc, 304)
    await svc.db.execute("UPDATE customers SET user_id = 304 WHERE user_id = 303")  # moved
    wanted = [(ids["TRK10000001"], 301), (ids["TRK10000002"], 301), (ids["TRK10000003"], 303),
              (999_999, 301)]
    first, second, moved, missing = await notices.issue_notices(svc, wanted)
    assert moved is None and missing is None
    assert first is not None and second is not None and first.code != second.code
    assert (first.tracking_id, second.tracking_id) == ("TRK10000001", "TRK10000002")
    key = code_key(svc.settings)
    for notice in (first, second):
        stored = await svc.db.fetchval("SELECT code_hash FROM parcels WHERE id = ?",
                                       (notice.parcel_id,))
        assert stored == hash_code(key, store_id, notice.code)  # the code shown works
    events = await svc.db.fetchall(
        "SELECT parcel_id FROM parcel_events WHERE event = 'code_issued' ORDER BY parcel_id")
    assert [e["parcel_id"] for e in events] == sorted([first.parcel_id, second.parcel_id])
    released = await svc.db.fetchval("SELECT notice_attempt_at FROM parcels WHERE id = ?",
                                      (ids["TRK10000003"],))
    assert released is None  # queued again when the number's new owner comes
