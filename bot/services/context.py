"""What every service needs: settings, the database and a clock — built once at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Feature modules may keep long-lived helpers here (rate limiter, sender tasks, ...).
    extras: dict[str, Any] = field(default_factory=dict)
