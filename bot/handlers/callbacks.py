"""Callback data: short, versioned, validated.

Format ``1:<feature>:<action>[:arg...]`` — at most 64 bytes (Telegram's limit). Anything that
does not parse, or carries an older version, is answered "this button has expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
_SAFE = re.compile(r"^[A-Za-z0-9_\-.+@]*$")
_NUMBER = re.compile(r"[0-9]{1,19}")  # ASCII digits only (str.isdigit also takes "²", "٣")
MAX_INT = 2**63 - 1  # SQLite's INTEGER


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int) -> int | None:
        """The argument as an id, count or offset (0 up to SQLite's largest integer), else
        None: forged or garbled data is a stale button, never an exception."""
        value = self.arg(index)
        if not _NUMBER.fullmatch(value):
            return None
        number = int(value)
        return number if number <= MAX_INT else None


def pack(feature: str, action: str, *args: object) -> str:
    parts = [VERSION, feature, action, *(str(a) for a in args)]
    for part in parts:
        if ":" in part or not _SAFE.match(part):
            raise ValueError(f"unsafe callback part {part!r}")
    data = ":".join(parts)
    if len(data.encode()) > 64:
        raise ValueError(f"callback data over 64 bytes: {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    if not data or len(data.encode()) > 64:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != VERSION or not all(_SAFE.match(p) for p in parts):
        return None
    return Callback(feature=parts[1], action=parts[2], args=tuple(parts[3:]))


def pattern(feature: str) -> str:
    """Regex for ``CallbackQueryHandler(pattern=...)`` matching one feature's buttons."""
    return rf"^{VERSION}:{re.escape(feature)}:"
