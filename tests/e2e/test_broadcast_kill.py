"""SIGKILL in the middle of a broadcast: the kirana-bot process, the fake Bot API over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.playground.botapi import FakeBotAPI
from bot.services.context import Services
from bot.storage.db import Database
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture
from tests.factories import linked_customer

pytestmark = pytest.mark.e2e

ADMIN = 900
RECIPIENTS = list(range(5001, 5061))


async def prepare(api: FakeBotAPI, db_path: Path) -> None:
    db = await Database.open(db_path)
    svc = Services(settings=Settings(bot_token=api.token, db_path=db_path), db=db)
    for uid in RECIPIENTS:
        lang = ("en", "hi", "mr")[uid % 3]
        await linked_customer(svc, uid, f"+91981{uid:07d}", language=lang)
        api.user(uid, first_name="Priya", language_code=lang)
    await db.close()


async def compose_and_send(api: FakeBotAPI) -> None:
    admin = api.user(ADMIN, first_name="Ravi", language_code="en")
    steps = [
        (lambda: admin.send_text("/start"), 1),
        (lambda: admin.press("English"), 2),
        (lambda: admin.send_text("/broadcast"), 3),
        (lambda: admin.send_text("Holiday on Monday: shops open at noon."), 4),
        (lambda: admin.press("👥 Choose who gets it ➜"), 5),
        (lambda: admin.press("🙋 All linked customers"), 9),  # 3 previews and the summary
    ]
    for act, messages in steps:
        act()
        await api.wait_for_messages(ADMIN, messages, timeout=20)
    assert "Recipients: 60" in admin.last_text()
    admin.press("✅ Send to 60 people")


def report_sent(api: FakeBotAPI) -> bool:
    """The final report arrived as a message of its own (after the progress message's edit)."""
    return any(m.edit_count == 0 and (m.text or "").startswith("✅ Broadcast #1 is finished")
               for m in api.messages(ADMIN))


async def test_sigkill_mid_broadcast_then_restart_delivers_each_notice_once(
    server, tmp_path  # noqa: F811 - fixture
) -> None:
    api, base_url, file_url = server
    db_path = tmp_path / "kirana.sqlite3"
    await prepare(api, db_path)
    env = {"KIRANA_RATE_GLOBAL_PER_SECOND": "30", "KIRANA_BROADCAST_PROGRESS_SECONDS": "1"}

    def delivered() -> int:
        return sum(api.delivered[u] for u in RECIPIENTS)

    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        await compose_and_send(api)
        await api.wait_for(lambda: delivered() >= 15, timeout=30, description="15 sent")
    finally:
        bot.proc.kill()  # SIGKILL: no shutdown code runs
        await bot.proc.wait()
    at_kill = delivered()
    assert 15 <= at_kill < len(RECIPIENTS), "the kill came too late to test resuming"

    log_before = bot.log()
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: report_sent(api), timeout=60, description="the report")
    finally:
        code = await stop_bot(bot)
    assert code == 0, bot.log()
    log = log_before + bot.log()
    assert "Traceback" not in log, log

    conn = sqlite3.connect(db_path)
    states = dict(conn.execute(
        "SELECT user_id, state FROM broadcast_recipients WHERE broadcast_id = 1").fetchall())
    conn.close()
    # At most the messages that were on their way to Telegram at the kill are "unknown" ...
    unknown = {u for u, s in states.items() if s == "unknown"}
    assert set(states.values()) <= {"sent", "unknown"} and len(unknown) <= 8
    # ... and they were not sent again: at most once. Everybody else: exactly once.
    for uid in RECIPIENTS:
        if uid in unknown:
            assert api.delivered[uid] <= 1, uid
        else:
            assert api.delivered[uid] == 1, (uid, api.delivered[uid])
    report = api.get_user(ADMIN).texts()[-1]
    sent = len(RECIPIENTS) - len(unknown)
    assert f"Sent: {sent} · Failed: 0 · Blocked the bot: 0" in report
    if unknown:
        assert f"Unknown: {len(unknown)}" in report
    # The progress message kept being edited by the new process, then became the report.
    progress = next(m for m in api.messages(ADMIN) if m.edit_count and "Broadcast #1" in m.text)
    assert progress.text == report


async def test_graceful_stop_mid_broadcast_leaves_nothing_unknown(
    server, tmp_path  # noqa: F811 - fixture
) -> None:
    api, base_url, file_url = server
    db_path = tmp_path / "kirana.sqlite3"
    await prepare(api, db_path)
    env = {"KIRANA_RATE_GLOBAL_PER_SECOND": "30"}
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        await compose_and_send(api)
        await api.wait_for(lambda: sum(api.delivered[u] for u in RECIPIENTS) >= 10, timeout=30)
    finally:
        assert await stop_bot(bot) == 0  # SIGINT: in-flight messages finish, the rest waits
    conn = sqlite3.connect(db_path)
    states = dict(conn.execute(
        "SELECT state, COUNT(*) FROM broadcast_recipients GROUP BY state").fetchall())
    conn.close()
    assert set(states) <= {"sent", "pending"}
    assert states["sent"] == sum(api.delivered[u] for u in RECIPIENTS)
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: report_sent(api), timeout=60, description="the report")
    finally:
        await stop_bot(bot)
    report = api.delivery_report(RECIPIENTS)
    assert (report.missing, report.duplicates) == ([], {})
