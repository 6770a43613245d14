"""Who a broadcast goes to: queries over stores, customers and users (no copies of them).

* all approved stores — their owners' chats (an owner of two stores gets one message);
* stores in a city — there is no city column: the city name must appear as whole words in the
  store's address, case-insensitively ("Pune" matches "12 MG Road, Kothrud, Pune" but not
  "Punekar Chowk"). Several spellings may be given, separated by "/" or "," ("Pune / पुणे");
* stores by PIN code — the PIN code starts with the digits given (``411`` or ``411038``);
* stores by language — the owner's chosen language;
* all linked customers.

Users who blocked the bot are members of the audience but are not sent to: they are counted
separately ("skipped") and recorded as blocked in the broadcast.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from bot.i18n import LANGUAGES, normalize_language
from bot.services.context import Services
from bot.storage import broadcasts as repo
from bot.validation import Invalid, Ok, Result, normalise


class AudienceKind(StrEnum):
    STORES = "stores"
    CITY = "city"
    PIN = "pin"
    LANGUAGE = "lang"
    CUSTOMERS = "customers"


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    arg: str = ""

    @classmethod
    def parse(cls, kind: str, arg: str = "") -> Audience | None:
        """From stored or callback values; None when they do not make a valid audience."""
        try:
            audience_kind = AudienceKind(kind)
        except ValueError:
            return None
        if audience_kind == AudienceKind.CITY:
            checked = parse_city(arg)
            return cls(audience_kind, checked.value) if isinstance(checked, Ok) else None
        if audience_kind == AudienceKind.PIN:
            checked_pin = parse_pin_prefix(arg)
            return cls(audience_kind, checked_pin.value) if isinstance(checked_pin, Ok) else None
        if audience_kind == AudienceKind.LANGUAGE:
            return cls(audience_kind, arg) if arg in LANGUAGES else None
        return cls(audience_kind, "")


class CityError(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NO_LETTER = "no_letter"
    TOO_MANY = "too_many"


class PinPrefixError(StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    TOO_LONG = "too_long"
    BAD_FIRST_DIGIT = "bad_first_digit"


CITY_MIN, CITY_MAX, CITY_NAMES_MAX = 2, 40, 5


def parse_city(text: str) -> Result[str, CityError]:
    """One city name or up to five spellings separated by "/" or ","; returned as "A / B"."""
    names = [" ".join(part.split()) for part in re.split(r"[/,]", normalise(text))]
    names = [n for n in names if n]
    if not names:
        return Invalid(CityError.TOO_SHORT)
    if len(names) > CITY_NAMES_MAX:
        return Invalid(CityError.TOO_MANY)
    for name in names:
        if len(name) < CITY_MIN:
            return Invalid(CityError.TOO_SHORT)
        if len(name) > CITY_MAX:
            return Invalid(CityError.TOO_LONG)
        if not any(unicodedata.category(ch).startswith("L") for ch in name):
            return Invalid(CityError.NO_LETTER)
    return Ok(" / ".join(dict.fromkeys(names)))


def parse_pin_prefix(text: str) -> Result[str, PinPrefixError]:
    """The first 1-6 digits of a PIN code (Devanagari digits and spaces allowed)."""
    digits = "".join(normalise(text).split())
    if not digits:
        return Invalid(PinPrefixError.EMPTY)
    if not re.fullmatch(r"[0-9]+", digits):
        return Invalid(PinPrefixError.NOT_DIGITS)
    if len(digits) > 6:
        return Invalid(PinPrefixError.TOO_LONG)
    if digits[0] == "0":
        return Invalid(PinPrefixError.BAD_FIRST_DIGIT)
    return Ok(digits)


@dataclass(frozen=True)
class AudienceCount:
    """Recipients who will be sent to, per language, and members skipped as blocked."""

    by_language: dict[str, int] = field(default_factory=dict)
    blocked: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_language.values())


def effective_language(language: str | None, tg_language: str | None) -> str:
    """The language a recipient reads: their choice, else Telegram's hint, else English."""
    return normalize_language(language or tg_language)


async def count(svc: Services, audience: Audience) -> AudienceCount:
    by_language = dict.fromkeys(LANGUAGES, 0)
    blocked = 0
    for row in await repo.audience_breakdown(svc.db, audience.kind.value, audience.arg):
        if row["blocked"]:
            blocked += int(row["n"])
        else:
            lang = effective_language(row["language"], row["tg_language"])
            by_language[lang] += int(row["n"])
    return AudienceCount(by_language=by_language, blocked=blocked)
