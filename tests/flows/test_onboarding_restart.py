"""Stop the Application and its database after any answer, start a new one on the same file:
the shopkeeper's next message continues at the same question with every answer kept."""

from __future__ import annotations

import pytest

from bot.services import onboarding
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness
from tests.flows.onboarding_steps import (
    GOOD,
    HEADER,
    STEPS,
    SUBMIT,
    answer,
    start_registration,
    update_for,
)

SHOP = 101


@pytest.mark.parametrize("after", STEPS)
async def test_restart_after_each_answer_continues_at_the_next_question(
    harness: Harness, after: str
) -> None:
    admin = await harness.person(ADMIN_ID, "en", first_name="Ravi")
    asha = await harness.person(SHOP, "hi")
    await start_registration(asha)
    index = STEPS.index(after)
    for step in STEPS[:index]:
        await answer(asha, step)
    last = update_for(asha, after)
    await harness.feed(last)
    before = await onboarding.current(harness.svc, SHOP)
    first_reply = {m.text for m in asha.new()}

    await harness.restart()  # the Application and its database connection are gone

    # Telegram may deliver the last update again (it was handled, not yet confirmed): the
    # inbox knows it and nothing happens. Handled again (a kill before its done-mark): the
    # answer is not applied twice, the question is asked again.
    await harness.feed(last)
    assert asha.new() == []
    await harness.replay(last)
    repeated = asha.new()
    # (The question again; typed hours were shown back before it the first time only.)
    assert repeated and all(
        any(r == m.text or r.endswith("\n\n" + m.text) for r in first_reply) for m in repeated)
    after_restart = await onboarding.current(harness.svc, SHOP)
    assert after_restart == before
    assert after_restart is not None and set(after_restart.answers) >= set(STEPS[: index + 1])

    if index + 1 < len(STEPS):
        # The next message answers the next question.
        asked = (await answer(asha, STEPS[index + 1]))[-1 if index + 2 < len(STEPS) else 0]
        expected = (HEADER["hi"].format(n=index + 3) if index + 2 < len(STEPS)
                    else "लगभग हो गया!")
        if STEPS[index + 1] == "hours":  # typed hours are first shown back as read
            assert asked.text.startswith("🕘 खुलने का समय: सुबह 9 से रात 9 बजे तक\n\n")
            asked.text = asked.text.split("\n\n", 1)[1]
        assert asked.text.startswith(expected), asked.text
        for step in STEPS[index + 2:]:
            await answer(asha, step)
    # (After the last answer the summary is on screen: its buttons work in the new process.)
    await asha.press(SUBMIT["hi"])
    assert admin.new()[0].text.startswith("📝 Partner store application #1")

    row = await harness.svc.db.fetchone("SELECT * FROM stores WHERE id = 1")
    assert (row["shop_name"], row["owner_name"], row["mobile"], row["address"],
            row["pin_code"], row["latitude"], row["longitude"], row["opens_at"],
            row["closes_at"], row["capacity"], row["upi_id"]) == (
        GOOD["shop_name"][1], GOOD["owner_name"][1], "+919822012345", GOOD["address"][1],
        "411038", 18.5074, 73.8077, "09:00", "21:00", 20, "ramesh@okaxis")


async def test_restart_after_every_answer_and_edit(harness: Harness) -> None:
    asha = await harness.person(SHOP, "mr")
    await start_registration(asha)
    await harness.restart()
    for step in STEPS:
        await answer(asha, step)
        await harness.restart()
    await asha.press("✏️ पत्ता")
    await harness.restart()
    _intro, summary = await asha.send("7 FC Road, Shivajinagar, Pune")
    await harness.restart()
    assert "🏠 पत्ता: 7 FC Road, Shivajinagar, Pune" in summary.text
    await asha.press(SUBMIT["mr"])
    row = await harness.svc.db.fetchone("SELECT status, address FROM stores WHERE id = 1")
    assert tuple(row) == ("pending", "7 FC Road, Shivajinagar, Pune")
    assert await onboarding.current(harness.svc, SHOP) is None


async def test_restart_while_continue_or_start_over_is_offered(harness: Harness) -> None:
    asha = await harness.person(SHOP, "en")
    await start_registration(asha)
    await answer(asha, "shop_name")
    harness.clock.advance(days=4)
    (offer,) = await asha.send("Ramesh")
    await harness.restart()
    (again,) = await asha.send("Ramesh")
    assert again.text == offer.text
    seen = await asha.press("▶️ Continue")
    assert seen[-1].text.endswith(
        "Step 2 of 9\nWhat is the shop owner's full name?\nFor example: Ramesh Sharma")
