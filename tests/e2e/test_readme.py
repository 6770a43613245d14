"""README's "Running without Telegram" commands, run exactly as written (but for the port).

The first shell block of that section starts the fake Bot API and `make run`; the second
plays a user with curl. If someone edits the README so that the commands no longer work,
this test fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### Running without Telegram"
README_PORT = "8081"


def _blocks(section: str) -> list[list[str]]:
    """The ```sh blocks of one README section, as commands (continuations joined)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n#", start + len(section))
    body = text[start:end if end != -1 else None]
    blocks = []
    for block in re.findall(r"```sh\n(.*?)```", body, flags=re.S):
        joined = block.replace("\\\n", " ")
        commands = []
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
        blocks.append(commands)
    return blocks


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def _spawn(command: str, log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["sh", "-c", command], cwd=ROOT, env=env, stdout=log.open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _bot_messages(port: str, chat_id: int) -> list[dict]:
    url = f"http://127.0.0.1:{port}/_control/messages?chat_id={chat_id}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        payload = json.load(resp)
    messages = payload.get("result", payload) if isinstance(payload, dict) else payload
    return [m for m in messages if (m.get("from") or {}).get("is_bot", True)]


def test_readme_manual_drive_answers_start(tmp_path: Path) -> None:
    blocks = _blocks(SECTION)
    assert len(blocks) >= 2, "README: the section needs the start block and the curl block"
    start, user = blocks[0], blocks[1]
    port = _free_port()
    start = [c.replace(README_PORT, port) for c in start]
    user = [c.replace(README_PORT, port) for c in user]

    background = [c for c in start if c.endswith("&")]
    bot = [c for c in start if "make run" in c]
    setup = [c for c in start if c not in background and c not in bot]
    assert len(background) == 1 and len(bot) == 1, start

    env = {k: v for k, v in os.environ.items() if not k.startswith("KIRANA_")}
    env["KIRANA_DB_PATH"] = str(tmp_path / "kirana.sqlite3")  # not the developer's data/
    for command in setup:
        subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)

    api_log, bot_log = tmp_path / "api.log", tmp_path / "bot.log"
    api = _spawn(background[0].rstrip("&").strip(), api_log, env)
    procs = [api]
    try:
        _wait_for(lambda: "listening" in api_log.read_text(errors="replace"), 30,
                  "the fake Bot API to listen")
        procs.append(_spawn(bot[0], bot_log, env))

        for command in user:
            if "/_control/messages" in command:
                continue  # the reading command; polled below
            out = subprocess.run(shlex.split(command), cwd=ROOT, env=env, check=True,
                                 capture_output=True, timeout=30).stdout
            assert b'"ok": true' in out or b'"ok":true' in out, out
        _wait_for(lambda: procs[1].poll() is not None or any(_bot_messages(port, 1001)), 90,
                  "the bot's answer to /start")
        assert procs[1].poll() is None, bot_log.read_text(errors="replace")
        # The greeting offers the three languages as buttons, whatever the user's language.
        buttons = json.dumps([m.get("reply_markup") for m in _bot_messages(port, 1001)],
                             ensure_ascii=False)
        for name in ("English", "हिंदी", "मराठी"):
            assert name in buttons, buttons
    finally:
        for proc in reversed(procs):
            _stop(proc)

