"""Inbox payloads are sealed (Fernet: AES-CBC + HMAC) with a key derived from the pickup-code
secret: a shopkeeper types a customer's pickup code as a message, and a copy of the database
must never reveal one. Once handled, a payload is cleared altogether."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.config import Settings
from bot.services.codes import code_key


class Unreadable(Exception):
    """A payload sealed with another key (the code secret changed) or damaged."""


class Sealer:
    def __init__(self, secret: bytes) -> None:
        digest = hashlib.sha256(b"kirana inbox v1\0" + secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    @classmethod
    def for_settings(cls, settings: Settings) -> Sealer:
        return cls(code_key(settings))

    def seal(self, payload: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())

    def open(self, blob: bytes) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(blob))
        except (InvalidToken, ValueError) as exc:
            raise Unreadable(str(exc) or type(exc).__name__) from exc
