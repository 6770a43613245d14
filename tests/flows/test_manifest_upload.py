"""Admins send a manifest CSV to the bot; admins look a parcel up with /parcel."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.services.manifest import MAX_BYTES
from tests.factories import approved_store
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness, Person
from tests.flows.parcel_helpers import HEADER, events, parcel

CORPUS = Path(__file__).resolve().parents[1] / "manifest_corpus"
LANGS = ["en", "hi", "mr"]
LOADED = {"en": "✅ Loaded: {n}", "hi": "✅ लोड हुए: {n}", "mr": "✅ लोड झाले: {n}"}
ERRORS = {"en": "⚠️ Errors: {n}", "hi": "⚠️ गलतियाँ: {n}", "mr": "⚠️ चुका: {n}"}
NOTHING_NEW = {"en": "Nothing new: every parcel in this file was already loaded.",
               "hi": "कुछ नया नहीं: इस फ़ाइल का हर पार्सल पहले से लोड था।",
               "mr": "नवीन काही नाही: या फाइलमधील प्रत्येक पार्सल आधीच लोड केलेले होते."}
OTHERS_LOADED = {"en": "The other rows were loaded.", "hi": "बाकी पंक्तियाँ लोड हो गईं।",
                 "mr": "बाकीच्या ओळी लोड झाल्या."}
FIX_ROWS = {"en": "Fix these rows and send the file again",
            "hi": "इन पंक्तियों को ठीक करके फ़ाइल फिर से भेजें",
            "mr": "या ओळी दुरुस्त करा आणि फाइल पुन्हा पाठवा"}
LINE = {"en": "line {n}: ", "hi": "लाइन {n}: ", "mr": "ओळ {n}: "}
NOTHING_LOADED = {"en": "Nothing was loaded.", "hi": "कुछ भी लोड नहीं हुआ।",
                  "mr": "काहीही लोड झाले नाही."}


async def admin(h: Harness, lang: str) -> Person:
    return await h.person(ADMIN_ID, lang, first_name="Ravi")


def manifest(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


@pytest.mark.parametrize("lang", LANGS)
async def test_admin_uploads_a_manifest_and_sees_the_summary(harness: Harness, lang: str) -> None:
    await approved_store(harness.svc, 201)
    ravi = await admin(harness, lang)
    data = manifest("TRK10000001,KS-0001,98765 43210,\"Sharma, Priya\"",
                    "TRK10000002,KS-0001,12345,Bad phone",
                    "TRK10000003,KS-9999,9876543210,Unknown store",
                    "TRK10000004,ks-1,+91 98220 12345,अनिल पाटील",
                    "trk10000001,KS-0001,9876543210,Repeated")
    summary, links = await ravi.send_document("courier-2-nov.csv", data)
    assert summary.edit_count == 1  # the "loading…" message, edited with the outcome
    text = summary.text
    assert LOADED[lang].format(n=2) in text and ERRORS[lang].format(n=3) in text
    for line in (3, 4, 6):
        assert LINE[lang].format(n=line) in text
    assert "KS-9999" in text and "“12345”" in text

    assert links.kind == "document" and links.document["file_name"] == "courier-2-nov-links.csv"
    rows = list(csv.reader(io.StringIO(harness.api.file_content(
        links.document["file_id"]).decode())))
    assert rows[0] == ["tracking_id", "deep_link"]
    assert [r[0] for r in rows[1:]] == ["TRK10000001", "TRK10000004"]
    token = (await parcel(harness.svc, "TRK10000001"))["link_token"]
    assert rows[1][1] == f"https://t.me/kirana_test_bot?start={token}"

    p4 = await parcel(harness.svc, "TRK10000004")
    assert (p4["status"], p4["customer_name"], p4["customer_phone"]) == (
        "expected", "अनिल पाटील", "+919822012345")
    assert await events(harness.svc, "TRK10000004") == [("expected", {"manifest": 1})]
    actor = await harness.svc.db.fetchval("SELECT actor_id FROM parcel_events LIMIT 1")
    assert actor == ADMIN_ID

    # The same file again adds nothing, and says so.
    (again,) = await ravi.send_document("courier-2-nov.csv", data)
    assert NOTHING_NEW[lang] in again.text and LOADED[lang].format(n=0) in again.text
    # Nothing loaded this time: no "the other rows were loaded", only what to fix.
    assert OTHERS_LOADED[lang] not in again.text and FIX_ROWS[lang] in again.text
    assert OTHERS_LOADED[lang] in text  # the first time some were loaded
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 2
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcel_events") == 2


@pytest.mark.parametrize(
    ("file_name", "lang", "expected"),
    [
        ("bad_xlsx.csv", "en", "This is a spreadsheet workbook (Excel), not a CSV file."),
        ("bad_latin1.csv", "hi", "फ़ाइल UTF-8 में नहीं है (गड़बड़ी लाइन 2 पर है)।"),
        ("bad_semicolons.csv", "mr", "कॉलम सेमीकोलनने (;) वेगळे केले आहेत."),
        ("bad_missing_columns.csv", "en",
         "The first line is missing the column(s) store_code, customer_phone."),
        ("bad_header_only.csv", "en", "The file has a header line but no parcels."),
    ],
)
async def test_files_that_cannot_be_read_get_a_clear_answer_and_load_nothing(
    harness: Harness, file_name: str, lang: str, expected: str
) -> None:
    await approved_store(harness.svc, 201)
    ravi = await admin(harness, lang)
    (answer,) = await ravi.send_document(file_name, (CORPUS / file_name).read_bytes())
    assert answer.text.startswith("❌ " + expected)
    assert answer.text.endswith(NOTHING_LOADED[lang])
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 0
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM manifests") == 0


async def test_an_excel_workbook_or_a_huge_file_is_refused_without_downloading(
    harness: Harness,
) -> None:
    ravi = await admin(harness, "en")
    (answer,) = await ravi.send_document(
        "parcels.xlsx", b"PK\x03\x04...", mime_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    assert "spreadsheet workbook" in answer.text
    (answer,) = await ravi.send_document("big.csv", b"x" * (MAX_BYTES + 1))
    assert answer.text.startswith("❌ The file is larger than 5 MB.")
    (answer,) = await ravi.send_document("photo.jpg", b"\xff\xd8\xff", mime_type="image/jpeg")
    assert answer.text.startswith("❌ This does not look like a CSV file.")
    assert harness.api.count("getFile") == 0


async def test_only_admins_can_load_a_manifest(harness: Harness) -> None:
    await approved_store(harness.svc, 201)
    asha = await harness.person(101, "en")
    (reply,) = await asha.send_document("m.csv", manifest("TRK10000001,KS-0001,9876543210,"))
    assert reply.text.startswith("Sorry, I did not understand that.")
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 0
    assert harness.api.count("getFile") == 0


async def test_admin_menu_explains_how_to_load_a_manifest(harness: Harness) -> None:
    ravi = await admin(harness, "mr")
    (menu,) = await ravi.send("/start")
    assert {"📄 मॅनिफेस्ट लोड करा", "🔎 पार्सल शोधा"} <= set(menu.button_texts())
    (how,) = await ravi.press("📄 मॅनिफेस्ट लोड करा")
    assert "tracking_id,store_code,customer_phone,customer_name" in how.text


async def test_a_ten_thousand_row_manifest_through_the_bot(harness: Harness) -> None:
    await approved_store(harness.svc, 201)
    ravi = await admin(harness, "en")
    rows = [f"TRK{i:08d},KS-0001,98{i:08d},Customer {i}" for i in range(10_000)]
    summary, _links = await ravi.send_document("big.csv", manifest(*rows))
    assert "✅ Loaded: 10,000" in summary.text and "⚠️ Errors: 0" in summary.text
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 10_000
    assert await harness.svc.db.fetchval(
        "SELECT COUNT(*) FROM parcel_events WHERE event = 'expected'") == 10_000


async def test_a_manifest_handled_again_after_a_kill_is_reported_as_loaded(
    harness: Harness,
) -> None:
    """Killed after the load committed, before the update was marked done: the replay adds
    nothing and the admin still gets the report and the deep links (not "already loaded")."""
    await approved_store(harness.svc, 201)
    ravi = await admin(harness, "en")
    data = manifest("TRK10000001,KS-0001,98765 43210,Priya",
                    "TRK10000002,KS-0001,12345,Bad phone",
                    "TRK10000004,KS-0001,+91 98220 12345,Anil")
    update = ravi.fake.send_document("nov.csv", data)
    first_summary, first_links = await ravi._act(update)
    await harness.replay(update)
    summary, links = ravi.new()
    assert summary.text.replace("nov.csv", "") == first_summary.text.replace("nov.csv", "")
    assert LOADED["en"].format(n=2) in summary.text and NOTHING_NEW["en"] not in summary.text
    assert harness.api.file_content(links.document["file_id"]) == \
        harness.api.file_content(first_links.document["file_id"])
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM parcels") == 2
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM manifests") == 1
    assert await harness.svc.db.fetchval(
        "SELECT COUNT(*) FROM parcel_events WHERE event = 'expected'") == 2
    # The same file in a new message is what "already loaded" is for.
    (again,) = await ravi.send_document("nov.csv", data)
    assert NOTHING_NEW["en"] in again.text


@pytest.mark.parametrize("lang", LANGS)
async def test_admin_looks_a_parcel_up(harness: Harness, lang: str) -> None:
    await approved_store(harness.svc, 201)
    ravi = await admin(harness, lang)
    await ravi.send_document("m.csv", manifest("TRK10000001,KS-0001,9876543210,Priya"))
    (details,) = await ravi.send("/parcel trk10000001")
    token = (await parcel(harness.svc, "TRK10000001"))["link_token"]
    assert details.text.startswith("📦 TRK10000001 — ")
    assert "Sharma Kirana (KS-0001)" in details.text and "+91 98765 43210" in details.text
    assert f"https://t.me/kirana_test_bot?start={token}" in details.text
    assert {"en": "expected (manifest)", "hi": "आने वाला (मैनिफ़ेस्ट)",
            "mr": "येणारे (मॅनिफेस्ट)"}[lang] in details.text


async def test_parcel_lookup_asks_again_and_is_for_admins_only(harness: Harness) -> None:
    ravi = await admin(harness, "en")
    (ask,) = await ravi.send("/parcel")
    assert ask.text.startswith("🔎 Type the tracking id")
    (reply,) = await ravi.send("ABC")
    assert reply.text.startswith("That is not a tracking id (too short).")
    (reply,) = await ravi.send("TRK99999999")
    assert reply.text.startswith("No parcel has this tracking id.")
    await ravi.send("/cancel")
    asha = await harness.person(101, "en")
    (reply,) = await asha.send("/parcel TRK99999999")
    assert reply.text.startswith("I do not know that command.")
