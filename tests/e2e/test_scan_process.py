"""`kirana-bot run` over HTTP: a photo of a label is downloaded, decoded and received; the
customer's QR is uploaded with sendPhoto and reads back as the pickup code."""

from __future__ import annotations

import pytest

from bot.scan.decode import read_codes
from tests.e2e.test_parcels_process import add_store, import_manifest
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture
from tests.scan_images import F, page

pytestmark = pytest.mark.e2e


async def test_photo_of_a_label_then_the_customers_qr(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        add_store(tmp_path / "kirana.sqlite3")
        manifest = tmp_path / "nov.csv"
        manifest.write_text("tracking_id,store_code,customer_phone,customer_name\n"
                            "TRK10000001,KS-0001,98765 43210,Priya\n")
        status, out, err = await import_manifest(api, base_url, tmp_path, str(manifest),
                                                 "--bot-username", "kirana_test_bot")
        assert status == 0, out + err

        priya = api.user(301, first_name="Priya", language_code="en")
        priya.send_text("/myparcels")
        await api.wait_for_messages(301, 1, timeout=20)
        priya.share_contact("+919876543210")
        await api.wait_for_messages(301, 2, timeout=20)

        ramesh = api.user(201, first_name="Ramesh", language_code="en")
        ramesh.send_text("/receive")
        await api.wait_for_messages(201, 1, timeout=20)
        ramesh.send_photo(content=page(("TRK10000001", F.Code128)), width=900, height=300)
        (listed,) = (await api.wait_for_messages(201, 2, timeout=30))[1:]
        assert (listed.text or "").startswith("📷 1 tracking id read")
        ramesh.press("✅ Receive 1 parcel")
        arrived = await api.wait_for(
            lambda: [m for m in api.messages(201) if (m.text or "").startswith("✅ Arrived")],
            timeout=20, description="the arrival summary")
        assert "TRK10000001" in arrived[0].text

        notice = await api.wait_for(
            lambda: [m for m in api.messages(301) if "🔳 Show as QR" in m.button_texts()],
            timeout=20, description="the arrival notice")
        priya.press("🔳 Show as QR", message_id=notice[0].message_id)
        photo = await api.wait_for(
            lambda: [m for m in api.messages(301) if m.kind == "photo"], timeout=20,
            description="the QR picture")
        picture = api.file_content(photo[0].raw["photo"][-1]["file_id"])
        (code,) = [c.text for c in read_codes(picture)]
        assert code in (photo[0].caption or "")

        ramesh.send_text("/pickup")
        await api.wait_for(lambda: (api.messages(201)[-1].text or "").startswith(
            "📦 Hand over a parcel"), timeout=20, description="the code question")
        ramesh.send_photo(content=picture)
        screen = await api.wait_for(
            lambda: [m for m in api.messages(201) if (m.text or "").startswith("📦 Parcel found")],
            timeout=30, description="the parcel screen")
        assert screen
    finally:
        status = await stop_bot(bot)
    assert status == 0, bot.log()
    assert "Traceback" not in bot.log()
