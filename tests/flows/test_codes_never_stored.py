"""A copy of the database (or the logs) never reveals a pickup code.

The codes are fixed for this test (``new_code`` patched) so that the scan is exact: a six-digit
code could otherwise appear by chance inside a hash or a phone number.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logging_setup
from bot.services import codes
from tests.factories import approved_store, linked_customer
from tests.flows.harness import Harness
from tests.flows.parcel_helpers import code_works, load_manifest, pickup_code

CODES = ["731946", "482615", "590372", "168254", "903817", "275049", "649183", "318720"]


def cells_containing(db_file: Path, needle: str) -> list[str]:
    """Every table and column read as plain text, straight from the file with sqlite3."""
    found = []
    conn = sqlite3.connect(db_file)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for (value,) in conn.execute(f'SELECT CAST("{column}" AS TEXT) FROM "{table}"'):
                    if value is not None and needle in value:
                        found.append(f"{table}.{column}")
    finally:
        conn.close()
    return found


def raw_bytes_containing(db_file: Path, needle: str) -> list[str]:
    """The database files byte by byte (free pages and the WAL included)."""
    return [p.name for p in db_file.parent.glob(db_file.name + "*")
            if needle.encode() in p.read_bytes()]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The bot's own logging set-up, at DEBUG, captured."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {"telegram": logging.getLogger("telegram").level})
    logging_setup.configure("DEBUG", "")
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def test_no_pickup_code_in_the_database_file_or_the_logs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture
) -> None:
    issued = iter(CODES)
    monkeypatch.setattr(codes, "new_code", lambda: next(issued))
    svc = harness.svc
    ramesh = harness.stranger(201, tg_language="en")
    _, store_code = await approved_store(svc, 201)
    priya = harness.stranger(301, tg_language="hi", first_name="Priya")
    await linked_customer(svc, 301, "+919876543210", language="hi")
    anil = harness.stranger(302, tg_language="mr", first_name="Anil")
    sunil = harness.stranger(303, tg_language="en", first_name="Sunil")
    await linked_customer(svc, 303, "+919822012399")
    await load_manifest(svc, ("TRK10000001", store_code, "9876543210", "Priya"),
                        ("TRK10000002", store_code, "9822012345", "Anil"),
                        ("TRK10000003", store_code, "9822012399", "Sunil"))
    sunil.fake.block()  # his notice fails and is recorded in the outbox (ids only)

    await ramesh.send("/receive")
    await ramesh.send("TRK10000001\nTRK10000002\nTRK10000003")
    seen_codes = [pickup_code(m) for m in priya.new() if m.kind == "text"]
    await anil.send("/myparcels")
    seen = await anil.share_contact("919822012345")
    seen_codes += [pickup_code(m) for m in seen if "TRK10000002" in (m.text or "")
                   and m.entities and any(e["type"] == "code" for e in m.entities)]
    (mine,) = await priya.send("/myparcels")
    (fresh,) = await priya.press(mine.button_texts()[0])
    seen_codes.append(pickup_code(fresh))
    sunil.fake.unblock()
    await sunil.send("/myparcels")  # the failed notice, tried again

    assert seen_codes == CODES[:1] + CODES[2:4]  # CODES[1]: Sunil's lost notice
    assert await code_works(svc, "TRK10000001", CODES[3])
    assert not await code_works(svc, "TRK10000001", CODES[0])
    assert await svc.db.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'blocked'") == 1
    await harness.stop()  # close the database: everything is on disk

    db_file = harness.settings.db_path
    for code in CODES[:5]:
        assert cells_containing(db_file, code) == [], code
        assert raw_bytes_containing(db_file, code) == [], code
        assert not [r for r in debug_logs.records if code in r.getMessage()], code
    # The outbox holds ids, never a text: the lost notice is not written down readably.
    assert cells_containing(db_file, "TRK10000003") == ["parcels.tracking_id"]
    assert cells_containing(db_file, "Pickup code") == []


def test_the_scan_finds_a_code_that_is_stored(tmp_path: Path) -> None:
    db_file = tmp_path / "leak.sqlite3"
    conn = sqlite3.connect(db_file)
    conn.execute("CREATE TABLE flow_state (user_id INTEGER, data TEXT)")
    conn.execute("INSERT INTO flow_state VALUES (1, '{\"code\": 731946}')")
    conn.commit()
    conn.close()
    assert cells_containing(db_file, "731946") == ["flow_state.data"]
    assert raw_bytes_containing(db_file, "731946") == ["leak.sqlite3"]
