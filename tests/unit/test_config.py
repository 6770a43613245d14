"""Settings: defaults, parsing, and one clear line per bad variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456:ABCDEFGHIJKLMNOP"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("KIRANA_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRANA_BOT_TOKEN", TOKEN)
    s = load_settings()
    assert str(s.db_path) == "data/kirana.sqlite3"
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.api_file_url == "https://api.telegram.org/file/bot"
    assert s.timezone == "Asia/Kolkata"
    assert (s.hold_days, s.reminder_days, s.fee_paise) == (7, 2, 1000)
    assert s.admin_ids == frozenset()


def test_emulator_urls_and_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRANA_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KIRANA_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("KIRANA_ADMIN_IDS", "111, 222,333")
    s = load_settings()
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.admin_ids == {111, 222, 333}
    assert s.is_admin(222) and not s.is_admin(444)


def test_dotenv_file(tmp_path) -> None:
    (tmp_path / ".env").write_text(f"KIRANA_BOT_TOKEN={TOKEN}\nKIRANA_HOLD_DAYS=10\n")
    assert load_settings().hold_days == 10


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("KIRANA_HOLD_DAYS", "seven", "KIRANA_HOLD_DAYS"),
        ("KIRANA_ADMIN_IDS", "12,abc", "KIRANA_ADMIN_IDS"),
        ("KIRANA_TIMEZONE", "Mars/Olympus", "KIRANA_TIMEZONE"),
        ("KIRANA_BOT_TOKEN", "not-a-token", "KIRANA_BOT_TOKEN"),
        ("KIRANA_API_BASE_URL", "ftp://x", "KIRANA_API_BASE_URL"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, var: str, value: str, says: str) -> None:
    monkeypatch.setenv("KIRANA_BOT_TOKEN", TOKEN)
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert says in str(err.value)
    assert value not in str(err.value) or var != "KIRANA_BOT_TOKEN"


def test_missing_token_points_to_botfather() -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        load_settings()


def test_cli_exits_2_with_one_clear_line(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "KIRANA_BOT_TOKEN": TOKEN, "KIRANA_HOLD_DAYS": "-3"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "KIRANA_HOLD_DAYS" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["env", "dotenv"])
def test_empty_token_is_not_set_and_points_to_botfather(monkeypatch, tmp_path, where) -> None:
    # `cp .env.example .env` leaves `KIRANA_BOT_TOKEN=` and `KIRANA_ADMIN_IDS=` empty.
    if where == "env":
        monkeypatch.setenv("KIRANA_BOT_TOKEN", "")
        monkeypatch.setenv("KIRANA_ADMIN_IDS", "")
    else:
        example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
        (tmp_path / ".env").write_text(example)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "is not set" in str(err.value) and "@BotFather" in str(err.value)
    assert "does not look like" not in str(err.value)


def test_empty_optional_variable_takes_its_default(monkeypatch) -> None:
    monkeypatch.setenv("KIRANA_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KIRANA_ADMIN_IDS", "")
    monkeypatch.setenv("KIRANA_HOLD_DAYS", "")
    s = load_settings()
    assert s.admin_ids == frozenset() and s.hold_days == 7


def test_token_given_reads_the_environment_and_dotenv_and_empty_is_unset(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from bot.config import token_given

    assert not token_given()
    monkeypatch.setenv("KIRANA_BOT_TOKEN", "  ")
    assert not token_given()
    monkeypatch.delenv("KIRANA_BOT_TOKEN")
    (tmp_path / ".env").write_text("KIRANA_BOT_TOKEN=\n")
    assert not token_given()
    (tmp_path / ".env").write_text(f"KIRANA_BOT_TOKEN={TOKEN}\n")
    assert token_given()


def test_playground_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRANA_BOT_TOKEN", TOKEN)
    assert load_settings().playground_port == 8080
    monkeypatch.setenv("KIRANA_PLAYGROUND_PORT", "9090")
    assert load_settings().playground_port == 9090
    monkeypatch.setenv("KIRANA_PLAYGROUND_PORT", "http")
    with pytest.raises(ConfigError, match="KIRANA_PLAYGROUND_PORT"):
        load_settings()
