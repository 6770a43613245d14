"""Settings, read once at start from the environment (prefix ``KIRANA_``) or a ``.env`` file."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DB_PATH = Path("data/kirana.sqlite3")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Everything the bot reads from its environment. See README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="KIRANA_",
        env_file=".env",
        env_file_encoding="utf-8",
        # `KIRANA_BOT_TOKEN=` (as in .env.example) means "not set": the default applies, and a
        # required variable gets its "is not set" help instead of a complaint about its shape.
        env_ignore_empty=True,
        extra="ignore",
    )

    bot_token: SecretStr
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    db_path: Path = DEFAULT_DB_PATH
    api_base_url: str = TELEGRAM_API_BASE_URL
    api_file_url: str | None = None
    timezone: str = "Asia/Kolkata"
    hold_days: int = Field(default=7, ge=1, le=60)
    reminder_days: int = Field(default=2, ge=0, le=30)
    # Hour of the day (programme's time zone) from which shopkeepers get the morning summary.
    summary_hour: int = Field(default=9, ge=0, le=23)
    fee_paise: int = Field(default=1000, ge=0, le=10_000_000)
    log_level: str = "INFO"
    log_format: str = "plain"
    # Production (docs in README, "Deploying"). Health: GET /healthz on this local address
    # (port 0: any free port, written to the log). Webhook mode (`kirana-bot run --webhook`):
    # Telegram posts to webhook_url (public, HTTPS); the bot listens on webhook_listen and
    # webhook_port, behind a reverse proxy, at the URL's path, and refuses any request without
    # the secret token (derived from the bot token when unset).
    health_listen: str = "127.0.0.1"
    health_port: int = Field(default=8088, ge=0, le=65535)
    health_max_inbox_age_seconds: float = Field(default=120.0, ge=1, le=86400)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, le=65535)
    webhook_secret: SecretStr | None = None
    # On SIGTERM: how long the updates being handled may take to finish before they are cut
    # (they are then handled again at the next start). Keep it below the supervisor's stop
    # timeout (compose.yaml: stop_grace_period).
    stop_grace_seconds: float = Field(default=20.0, ge=0, le=600)
    # Key for the pickup-code hashes; derived from the bot token when unset. Set it in
    # production so that rotating the token does not void the codes of waiting parcels.
    code_secret: SecretStr | None = None
    # One rate limiter for everything sent to Telegram (bot/ratelimit.py): messages per second
    # overall (Telegram: 30; up to 1000 for paid broadcasts), and the spacing of broadcast
    # messages to one chat.
    rate_global_per_second: int = Field(default=30, ge=1, le=1000)
    rate_per_chat_seconds: float = Field(default=1.0, ge=0, le=60)
    # Broadcast requests in flight at once (the limiter still decides when each one goes), and
    # how often the admin's progress message is edited.
    broadcast_concurrency: int = Field(default=8, ge=1, le=64)
    broadcast_progress_seconds: float = Field(default=3.0, ge=0.5, le=60)
    # The outbox (bot/outbox/, docs/outbox.md): messages to others in flight at once (one per
    # chat), and how many failed tries of one message (5xx, timeouts) before it is recorded failed.
    outbox_concurrency: int = Field(default=16, ge=1, le=128)
    outbox_max_attempts: int = Field(default=6, ge=1, le=50)
    # Updates handled at the same time (different chats; one chat's updates are always handled
    # in order), and how long handled updates stay in the inbox (over Telegram's 24 h, so that
    # an update delivered again is recognised).
    update_concurrency: int = Field(default=16, ge=1, le=256)
    inbox_keep_hours: int = Field(default=48, ge=25, le=24 * 30)
    # Backpressure (docs/inbox.md): long polling takes no more updates from Telegram while this
    # many are stored and not yet handled, and resumes once half of them are; Telegram keeps
    # the rest (not acknowledged), in order.
    inbox_max_pending: int = Field(default=1000, ge=1, le=100_000)
    # How long a reply to the person being answered is retried on 5xx, timeouts and
    # connection resets before it is recorded as undelivered.
    reply_retry_seconds: float = Field(default=20.0, ge=0, le=300)
    # TEST ONLY: the bot's clock runs this many seconds ahead of the machine's, so an
    # end-to-end test can cross a last day without waiting for it. Never set in production.
    clock_offset_seconds: float = Field(default=0.0, ge=0, le=400 * 86400)
    # Scanning photos of labels (bot/scan/): the largest file and picture accepted, the time
    # one photo may take, and how many photos are decoded at once (threads).
    scan_max_bytes: int = Field(default=20 * 1024 * 1024, ge=64 * 1024, le=20 * 1024 * 1024)
    scan_max_megapixels: float = Field(default=40.0, ge=1.0, le=100.0)
    scan_timeout_seconds: float = Field(default=15.0, ge=1.0, le=120.0)
    scan_workers: int = Field(default=2, ge=1, le=8)
    # `kirana-bot playground` (and `make run` without a token): where the chat page listens.
    playground_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        head, sep, tail = token.partition(":")
        if not (sep and head.isdigit() and len(tail) >= 10):
            raise ValueError("does not look like a bot token (expected 123456789:AA...)")
        return SecretStr(token)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            ids = []
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"{part!r} is not a Telegram user id (a whole number)")
                ids.append(int(part))
            return frozenset(ids)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("api_base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        fmt = value.strip().lower()
        if fmt not in {"plain", "json"}:
            raise ValueError("must be plain or json")
        return fmt

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        url = urlsplit(value.strip())
        local = url.hostname in {"localhost", "127.0.0.1", "::1"}
        if not url.hostname or not (url.scheme == "https" or (url.scheme == "http" and local)):
            raise ValueError(
                "must be the public https:// address Telegram sends updates to, "
                "e.g. https://bot.example.com/telegram"
            )
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not _SECRET_TOKEN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _derive_file_url(self) -> Settings:
        if not self.api_file_url:
            base = self.api_base_url
            if base.endswith("/bot"):
                self.api_file_url = base[: -len("/bot")] + "/file/bot"
            else:
                self.api_file_url = base.rstrip("/") + "/file/bot"
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value()

    @property
    def webhook_path(self) -> str:
        """Where the webhook server listens: the path of the public URL (``/`` when none)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def webhook_secret_token(self) -> str:
        """The ``X-Telegram-Bot-Api-Secret-Token`` Telegram must send: the configured one, or a
        key derived from the bot token (64 hex characters)."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return hmac.new(self.token.encode(), b"kirana webhook secret", hashlib.sha256).hexdigest()

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids


class ToolSettings(BaseSettings):
    """What the operator's commands (backup, restore, health) read: no token needed."""

    model_config = SettingsConfigDict(
        env_prefix="KIRANA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    db_path: Path = DEFAULT_DB_PATH
    health_listen: str = "127.0.0.1"
    health_port: int = Field(default=8088, ge=0, le=65535)


class ConfigError(Exception):
    """Configuration could not be read; ``str()`` is one line for the operator."""


def describe_error(exc: ValidationError) -> str:
    """One clear line per bad variable, naming it as the operator sets it."""
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        var = f"KIRANA_{field.upper()}"
        if field == "bot_token" and err["type"] == "missing":
            lines.append(
                f"{var} is not set: create a bot with @BotFather in Telegram (/newbot), "
                f"then put the token it gives you in {var} (environment or .env)."
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{var}: {msg}")
    return "\n".join(lines)


class _TokenOnly(BaseSettings):
    model_config = Settings.model_config
    bot_token: str = ""


def token_given() -> bool:
    """Whether ``KIRANA_BOT_TOKEN`` is set to something (environment or .env); empty is unset."""
    return bool(_TokenOnly().bot_token.strip())


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`ConfigError` with a readable message when they are bad."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from exc
