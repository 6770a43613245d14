"""/undelivered: admins see what the outbox could not deliver, in their language."""

from __future__ import annotations

import pytest

from tests.factories import approved_store, linked_customer
from tests.flows.harness import Harness
from tests.flows.parcel_helpers import load_manifest

ADMIN = 900
TITLE = {"en": "📮 Messages to others (notices, receipts, alerts)",
         "hi": "📮 दूसरों को मैसेज (सूचनाएँ, रसीदें, अलर्ट)",
         "mr": "📮 इतरांना मेसेज (सूचना, पावत्या, अलर्ट)"}
LOST = {"en": "Not delivered in the last 7 days: 1", "hi": "पिछले 7 दिनों में नहीं पहुँचे: 1",
        "mr": "गेल्या 7 दिवसांत पोहोचले नाहीत: 1"}
BLOCKED = {"en": "· blocked the bot: 1", "hi": "· बॉट को ब्लॉक किया है: 1",
           "mr": "· बॉट ब्लॉक केला आहे: 1"}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
async def test_admins_see_the_notices_that_could_not_be_delivered(tmp_path, lang: str) -> None:
    h = Harness(tmp_path, admin_ids={ADMIN})
    await h.start()
    try:
        ravi = await h.person(ADMIN, lang, first_name="Ravi")
        (before,) = await ravi.send("/undelivered")
        assert before.text.startswith(TITLE[lang]) and LOST[lang] not in before.text

        ramesh = h.stranger(201, tg_language="en", first_name="Ramesh")
        _, code = await approved_store(h.svc, 201)
        priya = h.stranger(301, tg_language="en", first_name="Priya")
        await linked_customer(h.svc, 301, "+919876543210")
        await load_manifest(h.svc, ("TRK10000001", code, "9876543210", "Priya"))
        priya.fake.block()
        await ramesh.send("/receive")
        await ramesh.send("TRK10000001")  # her notice: 403, recorded

        (after,) = await ravi.send("/undelivered")
        assert LOST[lang] in after.text and BLOCKED[lang] in after.text

        (refused,) = await ramesh.send("/undelivered")  # not an admin: an unknown command
        assert "/help" in refused.text and "📮" not in refused.text
    finally:
        await h.stop()
