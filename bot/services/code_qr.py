"""A pickup code carried inside a button, sealed, so the customer can later ask for its QR.

A pickup code is never stored readably (SPEC §6): the bot itself cannot show a code again.
The arrival notice's *Show as QR* button therefore carries the code sealed with the code key
(the key of the code hashes, kept outside the database): letters only, bound to the parcel,
with a fresh random nonce each time. Pressing the button unseals it; the code is then checked
against the parcel's current hash, so a replaced code or a forged button shows nothing.
Telegram, logs or a database copy holding the button data learn nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum

from bot.services.codes import CODE_DIGITS, code_key, hash_code
from bot.services.context import Services
from bot.services.parcel_models import ParcelStatus
from bot.storage import customers as customers_repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points

_LETTERS = string.ascii_letters  # 52: no digits, so a sealed code never reads as one
_NONCE = 4
_BODY = 4  # 52**4 = 7.3 million > 10**6 codes
_SPACE = 10**CODE_DIGITS


def _pad(key: bytes, parcel_id: int, nonce: str) -> int:
    digest = hmac.new(key, f"qr/v1:{parcel_id}:{nonce}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % _SPACE


def _encode(value: int) -> str:
    out = []
    for _ in range(_BODY):
        value, rest = divmod(value, len(_LETTERS))
        out.append(_LETTERS[rest])
    return "".join(out)


def seal(key: bytes, parcel_id: int, code: str) -> str:
    """The code as 8 letters, readable only with ``key`` and for this parcel."""
    nonce = "".join(secrets.choice(_LETTERS) for _ in range(_NONCE))
    return nonce + _encode((int(code) + _pad(key, parcel_id, nonce)) % _SPACE)


def unseal(key: bytes, parcel_id: int, token: str) -> str | None:
    """The code sealed in ``token``, or None when the token is not one."""
    if len(token) != _NONCE + _BODY or any(c not in _LETTERS for c in token):
        return None
    nonce, body = token[:_NONCE], token[_NONCE:]
    value = 0
    for char in reversed(body):
        value = value * len(_LETTERS) + _LETTERS.index(char)
    if value >= _SPACE:
        return None
    return f"{(value - _pad(key, parcel_id, nonce)) % _SPACE:0{CODE_DIGITS}d}"


class QrProblem(StrEnum):
    NOT_YOURS = "not_yours"      # no such parcel, not the user's, or a forged token
    REPLACED = "replaced"        # the sealed code is no longer the parcel's code
    NOT_WAITING = "not_waiting"  # handed over, returned, ...


@dataclass(frozen=True)
class ShownCode:
    tracking_id: str
    store_name: str
    code: str

    def __repr__(self) -> str:  # keep the code out of logs and tracebacks
        return f"ShownCode(tracking_id={self.tracking_id!r})"


async def code_to_show(
    svc: Services, user_id: int, parcel_id: int, token: str
) -> ShownCode | QrProblem:
    """The code sealed in a *Show as QR* button, if it is still this user's parcel's code."""
    key = code_key(svc.settings)
    code = unseal(key, parcel_id, token)
    phone = await customers_repo.phone_of(svc.db, user_id)
    row = await parcels_repo.by_id(svc.db, parcel_id)
    if code is None or phone is None or row is None or row["customer_phone"] != phone:
        return QrProblem.NOT_YOURS
    if row["status"] != ParcelStatus.ARRIVED:
        return QrProblem.NOT_WAITING
    if row["code_hash"] != hash_code(key, row["store_id"], code):
        return QrProblem.REPLACED
    store = await pickup_points.store_by_id(svc.db, row["store_id"])
    return ShownCode(row["tracking_id"], store["shop_name"] if store else "", code)
