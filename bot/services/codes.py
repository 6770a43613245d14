"""Pickup codes: 6 random digits from ``secrets``, stored only as a keyed hash.

The key is not in the database (it comes from ``KIRANA_CODE_SECRET``, or is derived from the bot
token), so a copy of the database does not reveal the codes — without the key, the million
possible codes cannot even be tried against the hashes. The hash covers the store id, so equal
codes at two stores hash differently.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.config import Settings

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_key(settings: Settings) -> bytes:
    if settings.code_secret is not None:
        return settings.code_secret.get_secret_value().encode()
    return hmac.new(settings.token.encode(), b"kirana-pickup-codes/v1", hashlib.sha256).digest()


def hash_code(key: bytes, store_id: int, code: str) -> str:
    return hmac.new(key, f"{store_id}:{code}".encode(), hashlib.sha256).hexdigest()
