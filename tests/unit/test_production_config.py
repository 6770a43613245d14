"""Production settings: webhook address and secret, log format, and `run --webhook` without a URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456:ABCDEFGHIJKLMNOP"
KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for key in list(os.environ):
        if key.startswith("KIRANA_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_webhook_defaults_and_path() -> None:
    s = load_settings(bot_token=TOKEN, webhook_url="https://bot.example.com/telegram/webhook")
    assert s.webhook_path == "/telegram/webhook"
    assert (s.webhook_listen, s.webhook_port) == ("127.0.0.1", 8443)
    assert (s.health_listen, s.health_port) == ("127.0.0.1", 8088)
    assert s.log_format == "plain"


def test_derived_secret_is_stable_valid_and_not_the_token() -> None:
    one = load_settings(bot_token=TOKEN).webhook_secret_token
    assert one == load_settings(bot_token=TOKEN).webhook_secret_token
    assert len(one) == 64 and one.isalnum() and "ABCDEFGH" not in one
    assert load_settings(bot_token="123456:ZYXWVUTSRQPONM").webhook_secret_token != one
    assert load_settings(bot_token=TOKEN, webhook_secret="my_Secret-1").webhook_secret_token == (
        "my_Secret-1")


@pytest.mark.parametrize(("name", "value", "says"), [
    ("webhook_url", "http://bot.example.com/hook", "public https://"),
    ("webhook_url", "bot.example.com/hook", "public https://"),
    ("webhook_secret", "has space", "A-Z, a-z, 0-9"),
    ("webhook_secret", "x" * 257, "A-Z, a-z, 0-9"),
    ("log_format", "xml", "plain or json"),
    ("health_port", "70000", "65535"),
])
def test_bad_values_name_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(bot_token=TOKEN, **{name: value})
    assert f"KIRANA_{name.upper()}" in str(err.value) and says in str(err.value)


def test_local_http_webhook_is_allowed_for_testing() -> None:
    s = load_settings(bot_token=TOKEN, webhook_url="http://127.0.0.1:8443/hook")
    assert s.webhook_path == "/hook"


def test_run_webhook_without_url_exits_2(tmp_path) -> None:
    done = subprocess.run([str(KIRANA_BOT), "run", "--webhook"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "KIRANA_BOT_TOKEN": TOKEN},
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "KIRANA_WEBHOOK_URL is not set" in done.stderr

