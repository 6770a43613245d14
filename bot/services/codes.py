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
from datetime import datetime

import aiosqlite

from bot.config import Settings
from bot.storage import codes as codes_repo

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_key(settings: Settings) -> bytes:
    if settings.code_secret is not None:
        return settings.code_secret.get_secret_value().encode()
    return hmac.new(settings.token.encode(), b"kirana-pickup-codes/v1", hashlib.sha256).digest()


def hash_code(key: bytes, store_id: int, code: str) -> str:
    return hmac.new(key, f"{store_id}:{code}".encode(), hashlib.sha256).hexdigest()


class NoFreeCode(RuntimeError):
    """The store has so many waiting parcels that no free code was found (practically never)."""


async def issue_code(
    conn: aiosqlite.Connection, key: bytes, store_id: int, parcel_id: int, now: datetime
) -> str:
    """Give the parcel a fresh code, unique among its store's waiting parcels; return it.

    Call inside the transaction that changes the parcel. The previous code (if any) stops
    working at once, because only the new hash is kept. The returned code must be shown to
    the customer and then forgotten: it is never stored.
    """
    for _ in range(50):
        code = new_code()
        digest = hash_code(key, store_id, code)
        if not await codes_repo.code_in_use(conn, store_id, digest):
            await codes_repo.set_code_hash(conn, parcel_id, digest, now)
            return code
    raise NoFreeCode(store_id)
