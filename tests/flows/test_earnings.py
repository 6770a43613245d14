"""/earnings as the shopkeeper sees it: this month and last, in their language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import approved_store
from tests.flows.harness import Harness, Person
from tests.parcel_factory import arrived_parcel

SHOP = 501
EXPECTED = {
    "en": ("💰 Earnings — Sharma Kirana (KS-0001)\n\n"
           "November 2026 (this month)\nParcels handed over: 2\nAmount: ₹35.00\n\n"
           "October 2026 (last month)\nParcels handed over: 1\nAmount: ₹10.00\n\n"
           "Fee now: ₹25.00 per parcel handed over."),
    "hi": ("💰 कमाई — Sharma Kirana (KS-0001)\n\n"
           "नवंबर 2026 (यह महीना)\nसौंपे गए पार्सल: 2\nराशि: ₹35.00\n\n"
           "अक्टूबर 2026 (पिछला महीना)\nसौंपे गए पार्सल: 1\nराशि: ₹10.00\n\n"
           "अभी का शुल्क: हर सौंपे गए पार्सल पर ₹25.00।"),
    "mr": ("💰 कमाई — Sharma Kirana (KS-0001)\n\n"
           "नोव्हेंबर 2026 (हा महिना)\nग्राहकांना दिलेले पार्सल: 2\nरक्कम: ₹35.00\n\n"
           "ऑक्टोबर 2026 (मागील महिना)\nग्राहकांना दिलेले पार्सल: 1\nरक्कम: ₹10.00\n\n"
           "सध्याचे शुल्क: ग्राहकाला दिलेल्या प्रत्येक पार्सलमागे ₹25.00."),
}
MENU_BUTTON = {"en": "💰 Earnings", "hi": "💰 कमाई", "mr": "💰 कमाई"}
CONFIRM = {"en": "✅ Handed over", "hi": "✅ सौंप दिया", "mr": "✅ पार्सल दिले"}


async def hand_over(h: Harness, shop: Person, store_id: int, lang: str) -> None:
    _, _, code = await arrived_parcel(h.svc, store_id)
    await shop.send("/pickup")
    await shop.send(code)
    await shop.press(CONFIRM[lang])


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_earnings_this_month_and_last_survive_a_fee_change(
    harness: Harness, lang: str
) -> None:
    store_id, _ = await approved_store(harness.svc, SHOP, language=lang)
    shop = harness.stranger(SHOP, tg_language=lang)
    november = harness.clock.now()
    harness.clock.set(datetime(2026, 10, 31, 18, 0, tzinfo=UTC))  # 31 Oct, 11:30 pm IST
    await hand_over(harness, shop, store_id, lang)                # ₹10.00 in October
    harness.clock.set(datetime(2026, 10, 31, 18, 45, tzinfo=UTC))  # 1 Nov, 12:15 am IST
    await hand_over(harness, shop, store_id, lang)                # ₹10.00 in November
    harness.settings = harness.settings.model_copy(update={"fee_paise": 2500})
    await harness.restart()
    harness.clock.set(november)
    await hand_over(harness, shop, store_id, lang)                # ₹25.00 at the new fee
    (reply,) = await shop.send("/earnings")
    assert reply.text == EXPECTED[lang]
    (menu,) = await shop.send("/start")
    (reply,) = await shop.press(MENU_BUTTON[lang])
    assert reply.text == EXPECTED[lang]


async def test_earnings_are_for_approved_stores_only(harness: Harness) -> None:
    await approved_store(harness.svc, SHOP, language="mr", status="suspended")
    shop = harness.stranger(SHOP, tg_language="mr")
    (reply,) = await shop.send("/earnings")
    assert reply.text.startswith("कमाई फक्त मंजूर पार्टनर स्टोअरना दाखवली जाते.")
