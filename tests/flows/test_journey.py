"""One parcel's whole life across every feature, through the real Application, in three languages:
a shopkeeper registers and is approved, an admin loads a manifest, the parcel arrives, the customer
opens the deep link from their SMS and links, says the code at the counter, and the shopkeeper's
earnings grow."""

from __future__ import annotations

from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness
from tests.flows.onboarding_steps import SUBMIT, fill_application
from tests.flows.parcel_helpers import pickup_code

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


async def test_a_parcel_from_manifest_to_handover(harness: Harness) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    ramesh = await harness.person(201, "mr", first_name="Ramesh")

    # The shopkeeper registers; the admin approves.
    await fill_application(ramesh)
    await ramesh.press(SUBMIT["mr"])
    await admin.press("✅ Approve")
    (welcome,) = ramesh.new()
    assert "KS-0001" in welcome.text and "/pickup" in welcome.text

    # The admin loads the courier's manifest by sending the file.
    csv_text = ("tracking_id,store_code,customer_phone,customer_name\n"
                "DL100200300IN,KS-0001,+91 98765 43210,प्रिया शर्मा\n")
    seen = await admin.send_document("manifest.csv", csv_text.encode())
    assert any("1" in (m.text or "") for m in seen)
    token = await harness.svc.db.fetchval(
        "SELECT link_token FROM parcels WHERE tracking_id = 'DL100200300IN'")
    assert token

    # The parcel reaches the shop.
    await ramesh.send("/receive")
    seen = await ramesh.send("dl100200300in")
    assert any("DL100200300IN" in (m.text or "") for m in seen)

    # The customer, new to the bot, opens the link from her SMS and shares her own contact.
    priya = harness.stranger(301, tg_language="hi", first_name="Priya")
    await priya.send(f"/start {token}")
    seen = await priya.share_contact("919876543210")
    # The notice comes from the outbox, right after the replies to her share.
    notice = next(m for m in seen if "पहुँच गया" in (m.text or ""))
    assert "DL100200300IN" in notice.text
    code = pickup_code(notice)

    # At the counter she says the code; the shopkeeper types it in Devanagari digits.
    await ramesh.send("/pickup")
    (screen,) = await ramesh.send(code.translate(DEVANAGARI))
    assert "प्रिया शर्मा" in screen.text and "DL100200300IN" not in screen.text
    await ramesh.press("✅ पार्सल दिले")
    (receipt,) = priya.new()
    assert "सौंप दिया गया" in receipt.text

    # The same code does not work twice; the earnings show one parcel and ₹10.00.
    await ramesh.send("/pickup")
    (again,) = await ramesh.send(code)
    assert "प्रिया" not in again.text
    await ramesh.send("/cancel")
    (earnings,) = await ramesh.send("/earnings")
    assert "₹10.00" in earnings.text
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM earnings") == 1
