"""SIGKILL the bot just after a wrong pickup code was counted, before the update was marked
handled: at the next start the update is handled again (the inbox's replay) and the wrong code
still counts once — the shopkeeper is told the same "wrong codes left" and is not locked out a
try early."""

from __future__ import annotations

import asyncio

import aiosqlite
import pytest

from tests.e2e.test_parcels_process import add_store
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

SHOP = 201
LEFT = "wrong codes left before code entry is locked for 15 minutes: {n}."


async def _attempts(tmp_path) -> int:
    async with aiosqlite.connect(tmp_path / "kirana.sqlite3") as db:
        cur = await db.execute("SELECT COUNT(*) FROM pickup_attempts")
        (n,) = await cur.fetchone()
    return int(n)


async def test_a_wrong_code_typed_at_the_kill_counts_once(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    ramesh = api.user(SHOP, first_name="Ramesh", language_code="en")
    release = asyncio.Event()
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        add_store(tmp_path / "kirana.sqlite3")
        ramesh.send_text("/pickup")
        await api.wait_for_messages(SHOP, 1, timeout=20)
        for n, code in enumerate(("000000", "000001"), start=2):
            ramesh.send_text(code)
            await api.wait_for_messages(SHOP, n, timeout=20)
        # The reply to the third wrong code hangs: the code is counted, the update not done.
        api.hang_next("sendMessage", until=release, count=1000, chat_id=SHOP)
        sent_before = api.arrivals["sendMessage"]
        ramesh.send_text("000002")
        await api.wait_for(lambda: api.arrivals["sendMessage"] > sent_before, timeout=20,
                           description="the reply to the third wrong code is on its way")
    finally:
        bot.proc.kill()
        await bot.proc.wait()
    assert await _attempts(tmp_path) == 3
    assert len(api.messages(SHOP)) == 3  # the answer to the third never arrived
    api.clear_faults()  # the killed process's request stays hung: it never lands (see below)

    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        # The update is handled again and answered as the first time: two tries left.
        replayed = (await api.wait_for_messages(SHOP, 4, timeout=30))[3]
        ramesh.send_text("000003")
        reply = (await api.wait_for_messages(SHOP, 5, timeout=20))[4]
    finally:
        code = await stop_bot(bot)
        release.set()
    assert code == 0, bot.log()
    assert "Traceback" not in bot.log()
    assert replayed.text.endswith(LEFT.format(n=2)), replayed.text
    # Counted once: the fourth wrong code leaves one try (counted twice, it would lock now).
    assert reply.text.endswith(LEFT.format(n=1)), reply.text
    assert len(api.messages(SHOP)) == 5
    assert await _attempts(tmp_path) == 4
    async with aiosqlite.connect(tmp_path / "kirana.sqlite3") as db:
        cur = await db.execute("SELECT COUNT(*) FROM pickup_locks")
        (locks,) = await cur.fetchone()
        cur = await db.execute("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL")
        (unfinished,) = await cur.fetchone()
    assert locks == 0 and unfinished == 0
