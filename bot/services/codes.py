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
    return (await issue_codes(conn, key, [(store_id, parcel_id)], now))[0]


async def issue_codes(
    conn: aiosqlite.Connection, key: bytes, wanted: list[tuple[int, int]], now: datetime
) -> list[str]:
    """:func:`issue_code` for many (store id, parcel id) pairs at once — the outbox renders
    arrival notices in groups: one statement checks all the new codes, one stores their
    hashes (instead of two round trips per parcel). Each code is unique among its store's
    waiting parcels and within the group; the answers are in the order asked."""
    codes: list[str] = [""] * len(wanted)
    hashes: list[str] = [""] * len(wanted)
    todo = list(range(len(wanted)))
    for _ in range(50):
        tried = {i: new_code() for i in todo}
        digests = {i: hash_code(key, wanted[i][0], tried[i]) for i in todo}
        taken = await codes_repo.codes_in_use(conn, [(wanted[i][0], digests[i]) for i in todo])
        taken |= {(wanted[i][0], hashes[i]) for i in range(len(wanted)) if hashes[i]}
        again = []
        for i in todo:
            pair = (wanted[i][0], digests[i])
            if pair in taken:
                again.append(i)
                continue
            taken.add(pair)
            codes[i], hashes[i] = tried[i], digests[i]
        todo = again
        if not todo:
            await codes_repo.set_code_hashes(
                conn, [(parcel_id, hashes[i]) for i, (_, parcel_id) in enumerate(wanted)], now)
            return codes
    raise NoFreeCode(wanted[todo[0]][0])
