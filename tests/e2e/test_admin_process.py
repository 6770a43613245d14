"""The processes: `/stats` draws its chart in the real bot; `kirana-bot payouts` draws up a month
beside the running bot, whose outbox then tells the shopkeeper."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton
from PIL import Image

from bot.clock import to_db
from bot.playground.botapi import FakeBotAPI
from bot.validation import to_ascii_digits
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


def last_month() -> date:
    """The month before this one in India (the bot runs on the real clock here)."""
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def add_store_with_earnings(db_file: Path, month: date) -> None:
    """KS-0001 of user 201 (Hindi), two handovers last month (₹10.00 and ₹12.50): on the 5th,
    and at 23:30 IST on its last day."""
    next_month = (month + timedelta(days=32)).replace(day=1)
    last_evening = datetime.combine(next_month, datetime.min.time(), tzinfo=UTC) - timedelta(
        hours=6)  # 23:30 IST on the month's last day
    stamps = [datetime(month.year, month.month, 5, 6, tzinfo=UTC), last_evening]
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("INSERT INTO users (user_id, chat_id, first_name, language, first_seen, "
                     "last_seen) VALUES (201, 201, 'Ramesh', 'hi', 'x', 'x')")
        conn.execute(
            "INSERT INTO stores (code, owner_user_id, status, shop_name, owner_name, mobile, "
            "address, pin_code, opens_at, closes_at, capacity, upi_id, created_at) VALUES "
            "('KS-0001', 201, 'approved', 'Sharma Kirana', 'Ramesh', '+919822012345', "
            "'12 MG Road, Pune', '411038', '09:00', '21:00', 20, 'ramesh@okaxis', 'x')")
        for n, (moment, fee) in enumerate(zip(stamps, (1000, 1250), strict=True), start=1):
            at = to_db(moment)
            conn.execute(
                "INSERT INTO parcels (id, tracking_id, store_id, customer_phone, status, "
                "arrived_at, picked_up_at, created_at, updated_at) VALUES (?, ?, 1, "
                "'+919876543210', 'picked_up', ?, ?, ?, ?)", (n, f"TRK1000000{n}", at, at, at, at))
            conn.execute("INSERT INTO earnings (parcel_id, store_id, amount_paise, at) "
                         "VALUES (?, 1, ?, ?)", (n, fee, at))
    conn.close()


async def payouts_cli(api: FakeBotAPI, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"PATH": "/usr/bin:/bin", "KIRANA_BOT_TOKEN": api.token,
           "KIRANA_DB_PATH": str(tmp_path / "kirana.sqlite3")}
    proc = await asyncio.create_subprocess_exec(
        str(KIRANA_BOT), "payouts", *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_stats_chart_and_payouts_from_the_command_line(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        month = last_month()
        key = f"{month.year:04d}-{month.month:02d}"
        add_store_with_earnings(tmp_path / "kirana.sqlite3", month)
        admin = api.user(900, first_name="Anita", language_code="en")
        admin.send_text("/stats")
        text, photo = await api.wait_for_messages(900, 2, timeout=60)
        assert text.text.startswith("📊 The network")
        assert "🏪 Stores: active 1" in text.text
        png = api.file_content(photo.raw["photo"][-1]["file_id"])
        assert Image.open(io.BytesIO(png)).size == (1000, 560)

        # Last month is over: it is drawn up beside the running bot.
        status, out, err = await payouts_cli(api, tmp_path, key, "--out", "exports")
        assert status == 0, out + err
        rows = list(csv.reader(io.StringIO(
            (tmp_path / "exports" / f"payouts-{key}.csv").read_text(encoding="utf-8-sig"))))
        assert rows[1] == ["KS-0001", "Sharma Kirana", "Ramesh", "+919822012345",
                           "ramesh@okaxis", "2", "22.50"]
        assert "1 statement message(s) queued" in out
        # The running bot's outbox sends it (woken by its next commit: any update).
        ramesh = api.user(201, first_name="Ramesh", language_code="hi")
        ramesh.send_text("/help")
        messages = await api.wait_for_messages(201, 2, timeout=60)
        statements = [m.text for m in messages if m.text.startswith("💸")]
        month_hi = to_ascii_digits(format_skeleton("yMMMM", month, locale="hi_IN"))
        assert statements == [f"💸 {month_hi} का आपका हिसाब (KS-0001): 2 सौंपे गए पार्सल के "
                              "₹22.50 आपकी UPI आईडी ramesh@okaxis पर भेजे जाएँगे।"]
        status, out, _ = await payouts_cli(api, tmp_path, key, "--paid")
        assert status == 0 and "marked paid now" in out and "queued" not in out
    finally:
        await stop_bot(bot)
