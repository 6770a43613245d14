"""The kirana-bot process itself, long-polling the fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.playground.botapi import FakeBotAPI, FakeBotAPIServer

pytestmark = pytest.mark.e2e

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")
NAMES = {"en": "English", "hi": "हिंदी", "mr": "मराठी"}
MENU_TITLE = {
    "en": "What brings you here?",
    "hi": "आप किस काम से आए हैं?",
    "mr": "तुम्ही कोणत्या कामासाठी आला आहात?",
}


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


async def start_bot(api: FakeBotAPI, base_url: str, file_url: str, tmp_path: Path,
                    *args: str, **env: str) -> BotProcess:
    log_path = tmp_path / "bot.log"
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KIRANA_BOT_TOKEN": api.token,
        "KIRANA_API_BASE_URL": base_url,
        "KIRANA_API_FILE_URL": file_url,
        "KIRANA_DB_PATH": str(tmp_path / "kirana.sqlite3"),
        "KIRANA_ADMIN_IDS": "900",
        "KIRANA_HEALTH_PORT": "0",  # any free port (tests run side by side); see the log
        **env,
    }
    log = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        str(KIRANA_BOT), "run", *args, env=environ, cwd=tmp_path, stdout=log, stderr=log
    )
    return BotProcess(proc, log_path)


async def stop_bot(bot: BotProcess) -> int:
    if bot.proc.returncode is None:
        bot.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.proc.wait(), 20)
        except TimeoutError:
            bot.proc.kill()
            await bot.proc.wait()
    return bot.proc.returncode or 0


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeBotAPI, str, str]]:
    api = FakeBotAPI()
    srv = FakeBotAPIServer(api)
    base_url, file_url = await srv.start()
    try:
        yield api, base_url, file_url
    finally:
        await srv.stop()


async def test_start_and_language_choice_in_each_language(server, tmp_path) -> None:
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                           description="the bot polls")
        for offset, lang in enumerate(["en", "hi", "mr"]):
            user = api.user(201 + offset, first_name="Meera", language_code=lang)
            user.send_text("/start")
            (greeting,) = await api.wait_for_messages(user.id, 1, timeout=20)
            assert greeting.button_texts()[0] == NAMES[lang]
            user.press(NAMES[lang])
            messages = await api.wait_for_messages(user.id, 2, timeout=20)
            assert messages[-1].text == MENU_TITLE[lang]
            assert any(a.user_id == user.id for a in api.callback_answers)
    finally:
        code = await stop_bot(bot)
    log = bot.log()
    assert code == 0, log
    assert api.token not in log
    assert api.token.split(":")[1] not in log
    assert "Traceback" not in log


async def test_bad_configuration_exits_2_with_one_line(server, tmp_path) -> None:
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path, KIRANA_REMINDER_DAYS="soon")
    code = await asyncio.wait_for(bot.proc.wait(), 60)
    assert code == 2
    assert "KIRANA_REMINDER_DAYS" in bot.log()
    assert api.count("getMe") == 0
