"""SIGKILL the bot process in the middle of store onboarding; the new process continues."""

from __future__ import annotations

import aiosqlite
import pytest

from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


async def test_killed_mid_registration_continues_with_every_answer(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    asha = api.user(101, first_name="Asha", language_code="mr")
    seen = 0

    async def say(action, expect_start: str) -> None:
        """The answer starts with ``expect_start``. After the kill, the reply that was in
        flight (the last question) may come once more before it (docs/inbox.md)."""
        nonlocal seen
        action()
        await api.wait_for(lambda: any(m.text.startswith(expect_start)
                                       for m in api.messages(asha.id)[seen:]),
                           timeout=20, description=expect_start)
        fresh = api.messages(asha.id)[seen:]
        seen += len(fresh)
        assert len(fresh) <= 2 and fresh[-1].text.startswith(expect_start), \
            [m.text for m in fresh]

    try:
        await say(lambda: asha.send_text("/start"), "नमस्कार, Asha!")
        await say(lambda: asha.press("मराठी"), "तुम्ही कोणत्या कामासाठी आला आहात?")
        await say(lambda: asha.press("🏪 पार्टनर स्टोअर चालवा"), "चला, तुमचे दुकान")
        await say(lambda: asha.send_text("Sharma Kirana"), "प्रश्न 2/9")
        await say(lambda: asha.send_text("Ramesh Sharma"), "प्रश्न 3/9")
        await say(lambda: asha.share_contact("919822012345"), "प्रश्न 4/9")
    finally:
        bot.proc.kill()  # SIGKILL: no shutdown, no flush, nothing graceful
        await bot.proc.wait()

    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await say(lambda: asha.send_text("Shop 4, Shivaji Chowk, Kothrud, Pune"), "प्रश्न 5/9")
        await say(lambda: asha.send_text("411038"), "प्रश्न 6/9")
    finally:
        code = await stop_bot(bot)
    assert code == 0, bot.log()
    assert "Traceback" not in bot.log()

    async with aiosqlite.connect(tmp_path / "kirana.sqlite3") as db:
        cur = await db.execute("SELECT step, answers FROM store_drafts WHERE user_id = 101")
        step, answers = await cur.fetchone()
    assert step == "location"
    for value in ("Sharma Kirana", "Ramesh Sharma", "+919822012345",
                  "Shop 4, Shivaji Chowk, Kothrud, Pune", "411038"):
        assert value in answers
