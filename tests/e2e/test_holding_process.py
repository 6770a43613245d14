"""The real `kirana-bot run` crosses a last day: the clock is moved with the test-only setting
KIRANA_CLOCK_OFFSET_SECONDS and the messages arrive over HTTP at the fake Bot API."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture
from tests.fakebotapi import FakeBotAPI

pytestmark = pytest.mark.e2e

IST = ZoneInfo("Asia/Kolkata")
SHOP, CUSTOMER = 201, 301
NOW = "2026-01-01T00:00:00.000000Z"


def seed(db_file: Path, today: date) -> None:
    """A store (shopkeeper in Hindi), a linked customer (Marathi) and two parcels waiting:
    one whose last day is today, one whose last day is in three days."""
    conn = sqlite3.connect(db_file)
    with conn:
        for user_id, name, lang in ((SHOP, "Ramesh", "hi"), (CUSTOMER, "Priya", "mr")):
            conn.execute("INSERT INTO users (user_id, chat_id, first_name, language, first_seen, "
                         "last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                         (user_id, user_id, name, lang, NOW, NOW))
        conn.execute(
            "INSERT INTO stores (id, code, owner_user_id, status, shop_name, owner_name, mobile, "
            "address, pin_code, opens_at, closes_at, capacity, created_at) VALUES (1, 'KS-0001', "
            "?, 'approved', 'Sharma Kirana', 'Ramesh', '+919822012345', '12 MG Road, Pune', "
            "'411038', '09:00', '21:00', 20, ?)", (SHOP, NOW))
        conn.execute("INSERT INTO customers (user_id, phone, linked_at) VALUES (?, ?, ?)",
                     (CUSTOMER, "+919876543210", NOW))
        for tracking, last_day in (("TRKLAST0001", today), ("TRKNEXT0002", today + timedelta(3))):
            conn.execute(
                "INSERT INTO parcels (tracking_id, store_id, customer_phone, customer_name, "
                "status, arrived_at, last_day, notified_at, created_at, updated_at) VALUES "
                "(?, 1, '+919876543210', 'Priya', 'arrived', ?, ?, ?, ?, ?)",
                (tracking, NOW, last_day.isoformat(), NOW, NOW, NOW))
    conn.close()


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.text or "" for m in api.messages(chat_id)]


async def test_the_process_crosses_a_last_day(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    shop = api.user(SHOP, first_name="Ramesh", language_code="hi")
    api.user(CUSTOMER, first_name="Priya", language_code="mr")
    env = {"KIRANA_SUMMARY_HOUR": "23", "KIRANA_RATE_PER_CHAT_SECONDS": "0"}

    # Day 1: the bot runs; the parcel's last day is today, nothing is due yet.
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        today = datetime.now(UTC).astimezone(IST).date()
        seed(tmp_path / "kirana.sqlite3", today)
    finally:
        assert await stop_bot(bot) == 0, bot.log()
    assert not any(t.startswith(("⏰", "⌛")) for t in texts(api, CUSTOMER))

    # The next morning (clock moved past midnight IST): the start-up sweep expires the first
    # parcel and reminds of the second; the messages go out over HTTP.
    tomorrow = datetime.combine(today + timedelta(days=1), time(0, 2), tzinfo=IST)
    offset = (tomorrow - datetime.now(UTC)).total_seconds()
    bot = await start_bot(api, base_url, file_url, tmp_path,
                          KIRANA_CLOCK_OFFSET_SECONDS=f"{offset:.0f}", **env)
    try:
        await api.wait_for(
            lambda: any(t.startswith("⌛ तुमचे पार्सल TRKLAST0001 वेळेत घेतले गेले नाही.")
                        for t in texts(api, CUSTOMER))
            and any(t.startswith("⏰ आठवण: तुमचे पार्सल TRKNEXT0002 दुकानात ठेवले आहे, येऊन घेऊन जा.")
                    for t in texts(api, CUSTOMER)),
            timeout=60, description="the customer's expiry notice and reminder")
        await api.wait_for(
            lambda: any(t.startswith("↩️ 1 पार्सल समय पर नहीं लिया गया। इसे कूरियर को वापस दें:")
                        and "TRKLAST0001" in t for t in texts(api, SHOP)),
            timeout=60, description="the shopkeeper's list of returns")

        # The courier takes it back: /returns, then "returned".
        shop.send_text("/returns")
        await api.wait_for(lambda: any(t.startswith("↩️ 1 पार्सल कूरियर को वापस देना है")
                                       for t in texts(api, SHOP)),
                           timeout=30, description="the returns screen")
        shop.press("✅ सब वापस दिए (1)")
        await api.wait_for(
            lambda: any(t.startswith("↩️ तुमचे पार्सल TRKLAST0001 Sharma Kirana येथून")
                        for t in texts(api, CUSTOMER)),
            timeout=30, description="the customer told it went back")
    finally:
        code = await stop_bot(bot)
    assert code == 0, bot.log()
    assert "Traceback" not in bot.log()
    conn = sqlite3.connect(tmp_path / "kirana.sqlite3")
    statuses = dict(conn.execute("SELECT tracking_id, status FROM parcels").fetchall())
    conn.close()
    assert statuses == {"TRKLAST0001": "returned", "TRKNEXT0002": "arrived"}
