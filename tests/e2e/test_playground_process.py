"""`make run` (kirana-bot auto): without a token it opens the playground — the real bot against the
built-in Bot API, the chat page on loopback, its own database; with a token it runs as before."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.playground.botapi import FakeBotAPI, FakeBotAPIServer
from tests.playground_process import Playground

pytestmark = pytest.mark.e2e

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=40) as answer:  # noqa: S310 - loopback
        return answer.status, answer.headers["Content-Type"], answer.read()


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=40) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def bot_text(url: str, user_id: int, part: str) -> str:
    """The bot's message in the chat that contains ``part``, once there is one (long poll)."""
    version, texts = "", []
    for _ in range(20):
        _, _, body = get(f"{url}_playground/chats?ids={user_id}&since={version}")
        view = json.loads(body)["result"]
        version = view["version"]
        texts = [m["text"] or "" for m in view["chats"][str(user_id)]["messages"]
                 if m["from"] == "bot"]
        for text in texts:
            if part in text:
                return text
    raise AssertionError(f"no {part!r} for {user_id}: {texts}")


def test_make_run_without_a_token_opens_the_playground(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("KIRANA_BOT_TOKEN=\n")  # empty counts as unset
    pg = Playground(tmp_path)
    try:
        assert pg.url.startswith("http://127.0.0.1:") and pg.url.endswith("/")
        banner = "".join(pg.lines)
        assert "no KIRANA_BOT_TOKEN" in banner and "data/playground.sqlite3" in banner
        status, kind, page = get(pg.url)
        assert status == 200 and kind.startswith("text/html") and b"app.js" in page

        # The real bot answers a person on the page: the language question, in Hindi first.
        post(pg.url + "_playground/act", {"user_id": 901, "action": "text", "text": "/start"})
        greeting = bot_text(pg.url, 901, "Asha!")
        assert greeting.startswith("नमस्ते, Asha!")
    finally:
        code = pg.stop()
    assert code == 0, pg.output()
    assert "Traceback" not in pg.output()
    assert (tmp_path / "data" / "playground.sqlite3").exists()
    assert not (tmp_path / "data" / "kirana.sqlite3").exists()  # the real one is not touched


def test_demo_stores_are_ready_to_use(tmp_path: Path) -> None:
    pg = Playground(tmp_path, "--demo", command="playground")
    try:
        assert "3 approved stores (KS-0001, KS-0002, KS-0003)" in "".join(pg.lines)
        # Sunil (Marathi, Pune) receives a parcel of the demo manifest; Priya, a linked customer,
        # is told in Hindi at once.
        act = pg.url + "_playground/act"
        post(act, {"user_id": 902, "action": "text", "text": "/receive"})
        bot_text(pg.url, 902, "/cancel")
        post(act, {"user_id": 902, "action": "text", "text": "DEMO000001IN"})
        assert "DEMO000001IN" in bot_text(pg.url, 902, "पोहोचले")
        assert bot_text(pg.url, 911, "📦 आपका पार्सल DEMO000001IN पहुँच गया है!")
    finally:
        code = pg.stop()
    assert code == 0, pg.output()


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIRANA_")}
        env["KIRANA_PLAYGROUND_PORT"] = str(port)
        done = subprocess.run([str(KIRANA_BOT), "playground"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert f"127.0.0.1:{port}" in done.stdout and "KIRANA_PLAYGROUND_PORT" in done.stdout


async def test_with_a_token_make_run_polls_the_configured_bot_api(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with FakeBotAPIServer(api) as server:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KIRANA_BOT_TOKEN": api.token,
               "KIRANA_API_BASE_URL": server.base_url, "KIRANA_DB_PATH": "bot.sqlite3"}
        proc = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "auto", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60,
                               description="the bot polls the configured API")
        finally:
            proc.terminate()
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out.decode()
    assert b"playground" not in out
    assert (tmp_path / "bot.sqlite3").exists()
    assert not (tmp_path / "data").exists()
