"""SIGKILL while arrival notices are queued: the kirana-bot process, the fake Bot API over HTTP.

A shopkeeper receives 40 parcels in one message; 40 linked customers are owed a notice. The
process is killed while the outbox is sending them, and started again: every customer gets
their notice, the only repeats are messages that were on their way at the kill, and the code
in each customer's last notice is the one that works.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.config import Settings
from bot.services.context import Services
from bot.storage.db import Database
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture
from tests.factories import approved_store, linked_customer
from tests.fakebotapi import FakeBotAPI
from tests.flows.parcel_helpers import code_works, load_manifest, pickup_code

pytestmark = pytest.mark.e2e

SHOP = 201
CUSTOMERS = list(range(6001, 6041))


def tracking(uid: int) -> str:
    return f"TRK{uid:08d}"


async def prepare(api: FakeBotAPI, db_path: Path) -> Services:
    db = await Database.open(db_path)
    svc = Services(settings=Settings(bot_token=api.token, db_path=db_path), db=db,
                   clock=SystemClock())
    _, code = await approved_store(svc, SHOP, capacity=100)
    api.user(SHOP, first_name="Ramesh", language_code="en")
    rows = []
    for uid in CUSTOMERS:
        phone = f"98{uid:08d}"
        await linked_customer(svc, uid, "+91" + phone, language=("en", "hi", "mr")[uid % 3])
        api.user(uid, first_name="Priya")
        rows.append((tracking(uid), code, phone, "Priya"))
    await load_manifest(svc, *rows)
    await db.close()
    return svc


def notices(api: FakeBotAPI, uid: int) -> list:
    return [m for m in api.messages(uid) if tracking(uid) in (m.text or "")]


async def test_sigkill_with_notices_queued_then_restart_delivers_all(
    server, tmp_path  # noqa: F811 - fixture
) -> None:
    api, base_url, file_url = server
    db_path = tmp_path / "kirana.sqlite3"
    svc = await prepare(api, db_path)
    env = {"KIRANA_RATE_GLOBAL_PER_SECOND": "10"}  # slow enough to kill in the middle

    def told() -> int:
        return sum(1 for uid in CUSTOMERS if notices(api, uid))

    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        ramesh = api.get_user(SHOP)
        ramesh.send_text("/receive")
        await api.wait_for_messages(SHOP, 1, timeout=20)
        ramesh.send_text("\n".join(tracking(uid) for uid in CUSTOMERS))
        (report,) = (await api.wait_for_messages(SHOP, 2, timeout=20))[1:]
        assert report.text.startswith("✅ Arrived (40)")
        await api.wait_for(lambda: told() >= 8, timeout=30, description="8 notices sent")
    finally:
        bot.proc.kill()  # SIGKILL: no shutdown code runs
        await bot.proc.wait()
    delivered_at_kill = sum(len(notices(api, uid)) for uid in CUSTOMERS)
    conn = sqlite3.connect(db_path)
    recorded_at_kill = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    conn.close()
    assert delivered_at_kill < len(CUSTOMERS), "the kill came too late to test resuming"
    in_flight = delivered_at_kill - recorded_at_kill  # reached Telegram, not yet recorded

    log_before = bot.log()
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: told() == len(CUSTOMERS), timeout=60,
                           description="every customer told")
    finally:
        code = await stop_bot(bot)
    assert code == 0, bot.log()
    assert "Traceback" not in log_before + bot.log()

    repeats = sum(len(notices(api, uid)) - 1 for uid in CUSTOMERS)
    assert repeats <= max(in_flight, 0) <= 2, (repeats, in_flight)
    db = await Database.open(db_path)
    svc.db = db
    try:
        for uid in CUSTOMERS:
            last = notices(api, uid)[-1]
            assert await code_works(svc, tracking(uid), pickup_code(last)), uid
        states = dict(await db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
        assert states == {"sent": len(CUSTOMERS)}, states
        told_rows = await db.fetchval(
            "SELECT COUNT(*) FROM parcels WHERE notified_at IS NOT NULL")
        assert told_rows == len(CUSTOMERS)
    finally:
        await db.close()
