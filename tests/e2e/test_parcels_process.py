"""The processes: `kirana-bot import-manifest` loads a manifest while `kirana-bot run` serves it."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.playground.botapi import FakeBotAPI
from tests.e2e.test_process import server, start_bot, stop_bot  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


def add_store(db_file: Path) -> None:
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("INSERT INTO users (user_id, chat_id, first_name, language, first_seen, "
                     "last_seen) VALUES (201, 201, 'Ramesh', 'en', 'x', 'x')")
        conn.execute(
            "INSERT INTO stores (code, owner_user_id, status, shop_name, owner_name, mobile, "
            "address, pin_code, opens_at, closes_at, capacity, created_at) VALUES ('KS-0001', 201, "
            "'approved', 'Sharma Kirana', 'Ramesh', '+919822012345', '12 MG Road, Pune', "
            "'411038', '09:00', '21:00', 20, 'x')")
    conn.close()


async def import_manifest(api: FakeBotAPI, base_url: str, tmp_path: Path, *args: str
                          ) -> tuple[int, str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "KIRANA_BOT_TOKEN": api.token,
        "KIRANA_API_BASE_URL": base_url,
        "KIRANA_DB_PATH": str(tmp_path / "kirana.sqlite3"),
    }
    proc = await asyncio.create_subprocess_exec(
        str(KIRANA_BOT), "import-manifest", *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_import_then_arrival_then_the_deep_link(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        add_store(tmp_path / "kirana.sqlite3")
        manifest = tmp_path / "nov.csv"
        manifest.write_bytes(b"\xef\xbb\xbftracking_id,store_code,customer_phone,customer_name"
                             b"\r\nTRK10000001,KS-0001,98765 43210,Priya\r\n")
        status, out, err = await import_manifest(
            api, base_url, tmp_path, str(manifest), "--links", str(tmp_path / "links.csv"))
        assert status == 0, out + err
        assert "✅ Loaded: 1" in out and "nov.csv: 1 rows read" in err
        ((tracking, link),) = list(csv.reader(io.StringIO(
            (tmp_path / "links.csv").read_text())))[1:]
        assert tracking == "TRK10000001"
        assert link.startswith("https://t.me/kirana_test_bot?start=p_")  # from getMe

        ramesh = api.user(201, first_name="Ramesh", language_code="en")
        ramesh.send_text("/receive")
        await api.wait_for_messages(201, 1, timeout=20)
        ramesh.send_text("TRK10000001")
        (summary,) = (await api.wait_for_messages(201, 2, timeout=20))[1:]
        assert summary.text.startswith("✅ Arrived (1): TRK10000001")

        priya = api.user(301, first_name="Priya", language_code="hi")
        priya.send_text("/start " + link.rsplit("=", 1)[1])
        await api.wait_for_messages(301, 1, timeout=20)
        priya.share_contact("+919876543210")
        # The notice comes from the outbox, queued with the link.
        await api.wait_for(lambda: any(
            (m.text or "").startswith("📦 आपका पार्सल TRK10000001 पहुँच गया है!")
            for m in api.messages(301)), timeout=20, description="the arrival notice")
    finally:
        code = await stop_bot(bot)
    assert code == 0, bot.log()
    assert "Traceback" not in bot.log()
