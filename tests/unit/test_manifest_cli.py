"""``kirana-bot import-manifest``: the command line path of loading a manifest."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.clock import ManualClock
from bot.config import Settings
from bot.manifest_cli import EXIT_OK, EXIT_REJECTED, EXIT_ROW_ERRORS, EXIT_USAGE, run_import
from bot.playground.botapi import DEFAULT_TOKEN
from bot.services.context import Services
from bot.storage.db import Database
from tests.factories import approved_store

CORPUS = Path(__file__).resolve().parents[1] / "manifest_corpus"
HEADER = "tracking_id,store_code,customer_phone,customer_name"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "kirana.sqlite3")

    async def make_store() -> None:
        db = await Database.open(s.db_path)
        try:
            await approved_store(Services(settings=s, db=db, clock=ManualClock()), 201)
        finally:
            await db.close()

    asyncio.run(make_store())
    return s


def count(settings: Settings, sql: str) -> int:
    async def go() -> int:
        db = await Database.open(settings.db_path)
        try:
            return int(await db.fetchval(sql))
        finally:
            await db.close()

    return asyncio.run(go())


def run(settings: Settings, path: Path, **kwargs) -> tuple[int, str, str]:  # noqa: ANN003
    out, err = io.StringIO(), io.StringIO()
    status = run_import(settings, path, out=out, err=err, **kwargs)
    return status, out.getvalue(), err.getvalue()


def test_import_prints_progress_and_a_summary_and_writes_links(
    settings: Settings, tmp_path: Path
) -> None:
    manifest = tmp_path / "nov.csv"
    manifest.write_text(HEADER + "\nTRK10000001,KS-0001,9876543210,Priya\n"
                        "TRK10000002,KS-0001,9822012345,अनिल\n", encoding="utf-8")
    links = tmp_path / "links.csv"
    status, out, err = run(settings, manifest, links=links, bot_username="kirana_bot")
    assert status == EXIT_OK
    assert "nov.csv: 2 rows read" in err and "nov.csv: loading 2/2 new parcels" in err
    assert "📄 Manifest nov.csv: 2 rows\n✅ Loaded: 2\n" in out
    assert "deep links for 2 parcels written to" in out
    rows = list(csv.reader(io.StringIO(links.read_text(encoding="utf-8"))))
    assert rows[0] == ["tracking_id", "deep_link"] and len(rows) == 3
    assert all(r[1].startswith("https://t.me/kirana_bot?start=p_") for r in rows[1:])

    # Loaded twice: nothing added, said so; the links are written again, the same ones.
    status, out, _ = run(settings, manifest, links=tmp_path / "again.csv",
                         bot_username="kirana_bot")
    assert status == EXIT_OK
    assert "Nothing new: every parcel in this file was already loaded." in out
    assert "This same file was loaded before" in out
    assert (tmp_path / "again.csv").read_text() == links.read_text()
    assert count(settings, "SELECT COUNT(*) FROM parcels") == 2
    assert count(settings, "SELECT COUNT(*) FROM manifests WHERE source = 'cli'") == 2


def test_rows_with_errors_are_listed_and_the_rest_loads(settings: Settings) -> None:
    status, out, _ = run(settings, CORPUS / "rows_bad_fields.csv")
    assert status == EXIT_ROW_ERRORS
    assert "✅ Loaded: 3" in out and "⚠️ Errors: 7" in out
    assert "line 4: “12345” is not an Indian mobile number" in out
    assert "line 5: store_code is empty" in out
    assert count(settings, "SELECT COUNT(*) FROM parcels") == 3  # "TRK 10000007" reads as one id


def test_a_file_that_cannot_be_read_loads_nothing(settings: Settings) -> None:
    status, out, _ = run(settings, CORPUS / "bad_utf16.csv")
    assert status == EXIT_REJECTED
    assert out.startswith("❌ The file is not in UTF-8") and "Nothing was loaded." in out
    assert count(settings, "SELECT COUNT(*) FROM manifests") == 0


def test_missing_file_and_the_parser(settings: Settings, tmp_path: Path) -> None:
    status, _, err = run(settings, tmp_path / "nope.csv")
    assert status == EXIT_USAGE and "no such file" in err
    args = build_parser().parse_args(["import-manifest", "m.csv", "--links", "l.csv"])
    assert (args.file, args.links, args.bot_username) == ("m.csv", "l.csv", None)


def test_without_a_bot_username_and_no_api_it_says_what_to_do(
    settings: Settings, tmp_path: Path
) -> None:
    unreachable = settings.model_copy(update={"api_base_url": "http://127.0.0.1:9/bot"})
    manifest = tmp_path / "m.csv"
    manifest.write_text(HEADER + "\nTRK10000001,KS-0001,9876543210,\n")
    status, _, err = run(unreachable, manifest, links=tmp_path / "l.csv")
    assert status == EXIT_USAGE and "--bot-username" in err
    assert count(settings, "SELECT COUNT(*) FROM parcels") == 0  # asked before loading
