"""bot.scan and the scanning services without Telegram: limits, sorting codes, sealed codes, QR."""

from __future__ import annotations

import asyncio
import io
import string
import threading

import pytest
from PIL import Image

from bot.scan import worker
from bot.scan.decode import Code, ImageProblem, Limits, read_codes
from bot.scan.qr import qr_png
from bot.scan.worker import TIMED_OUT, Scanner
from bot.services import code_qr
from bot.services.label_scan import MAX_IDS, merge_ids, pickup_codes, sort_codes
from tests.scan_images import F, blank, huge_png, page

KEY = b"k" * 32


def test_reads_every_symbology_in_one_photo() -> None:
    photo = page(("TRK10000001", F.Code128), ("TRK10000002", F.Code39),
                 ("TRK10000003", F.QRCode), ("TRK10000004", F.DataMatrix))
    codes = read_codes(photo)
    assert isinstance(codes, list)
    assert sorted(c.text for c in codes) == [f"TRK1000000{i}" for i in range(1, 5)]


def test_limits_and_bad_files() -> None:
    assert read_codes(huge_png()) is ImageProblem.TOO_LARGE
    assert read_codes(blank(), Limits(max_bytes=1000)) is ImageProblem.TOO_LARGE
    assert read_codes(b"%PDF-1.4 not a picture") is ImageProblem.NOT_AN_IMAGE
    assert read_codes(blank()[:200]) is ImageProblem.NOT_AN_IMAGE  # cut short
    assert read_codes(blank()) == []


def test_big_pictures_are_scaled_down_and_still_read() -> None:
    code = Image.open(io.BytesIO(page(("TRK10000001", F.QRCode)))).resize((900, 800))
    sheet = Image.new("L", (6000, 4000), 235)  # 24 MP, over the 12 MP decoded
    sheet.paste(code.resize((1800, 1600)), (100, 100))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=60)
    assert [c.text for c in read_codes(out.getvalue())] == ["TRK10000001"]


def test_sort_codes_keeps_tracking_ids_and_counts_the_rest() -> None:
    codes = [Code("Code 128", "trk10000001"), Code("EAN-13", "8901234567890"),
             Code("QR Code", "https://x.example/a"), Code("QR Code", "TRK10000001"),
             Code("QR Code", "482917"), Code("Data Matrix", "TRK-2026-000042")]
    sorted_ = sort_codes(codes)
    assert sorted_.ids == ["TRK10000001", "TRK-2026-000042"]
    assert sorted_.other_codes == 3  # the EAN (13 digits, yet not an id), the URL, the 6 digits
    assert pickup_codes(codes) == ["482917"]
    assert pickup_codes([Code("EAN-8", "48291700")]) == []


def test_merge_ids_keeps_each_once_and_stops_at_the_limit() -> None:
    assert merge_ids(["A1234567"], ["B1234567", "A1234567"]) == (["A1234567", "B1234567"], 0)
    many = [f"TRK{i:08d}" for i in range(MAX_IDS + 5)]
    merged, dropped = merge_ids([], many)
    assert len(merged) == MAX_IDS and dropped == 5


def test_sealed_code_round_trip_and_shape() -> None:
    for code in ("000000", "482917", "999999"):
        for parcel_id in (1, 987654321):
            token = code_qr.seal(KEY, parcel_id, code)
            assert len(token) == 8 and set(token) <= set(string.ascii_letters)
            assert code_qr.unseal(KEY, parcel_id, token) == code
    token = code_qr.seal(KEY, 7, "482917")
    assert code_qr.unseal(KEY, 8, token) != "482917"   # bound to the parcel
    assert code_qr.seal(KEY, 7, "482917") != token      # a fresh nonce each time
    for bad in ("", "abc", "abcd1234", "abcdefghi", "abcd-fgh"):
        assert code_qr.unseal(KEY, 7, bad) is None


def test_qr_png_reads_back() -> None:
    png = qr_png("482917")
    assert png.startswith(b"\x89PNG")
    assert [c.text for c in read_codes(png)] == ["482917"]


async def test_scanner_gives_up_after_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow(data: bytes, limits: Limits) -> list[Code]:
        release.wait(5)
        return []

    monkeypatch.setattr(worker, "read_codes", slow)
    scanner = Scanner(Limits(), workers=1, timeout=0.05)
    assert await scanner.read(b"x") is TIMED_OUT
    release.set()
    await scanner.close()


async def test_scanner_runs_a_users_jobs_in_order_and_drains() -> None:
    scanner = Scanner(Limits(), workers=2, timeout=5)
    order: list[str] = []
    gate = asyncio.Event()

    async def first() -> None:
        await gate.wait()
        order.append("first")

    async def second() -> None:
        order.append("second")

    async def other_user() -> None:
        order.append("other")
        gate.set()

    scanner.spawn(1, first)
    scanner.spawn(1, second)
    scanner.spawn(2, other_user)
    await scanner.drain()
    assert order == ["other", "first", "second"]
    assert scanner.busy == 0
    await scanner.close()
