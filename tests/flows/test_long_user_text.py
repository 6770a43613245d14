"""User-provided text placed in a reply is cut to fit Telegram's limits."""

from __future__ import annotations

from bot.handlers.context import ECHO_LIMIT, h_cut
from tests.factories import approved_store
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness
from tests.flows.parcel_helpers import HEADER


def test_h_cut_cuts_before_escaping() -> None:
    assert h_cut("a & b") == "a &amp; b"
    cut = h_cut("&" * 500, 10)
    assert cut == "&amp;" * 9 + "…"
    assert len(h_cut("x" * 5000)) == ECHO_LIMIT


async def test_manifest_with_a_very_long_file_name_is_loaded_and_reported(
    harness: Harness,
) -> None:
    await approved_store(harness.svc, 201)
    ravi = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    name = "courier-" + "very-long-name-" * 300 + ".csv"
    data = (HEADER + "\r\nTRK10000001,KS-0001,9876543210,Priya\r\n").encode()
    seen = await ravi.send_document(name, data)
    summary = seen[0]
    assert summary.edit_count == 1
    assert "✅ Loaded: 1" in summary.text
    assert "courier-very-long-name-" in summary.text and "…" in summary.text
    assert all("Sorry, something went wrong" not in (m.text or "") for m in seen)
