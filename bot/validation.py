"""Parsers for everything a shopkeeper types into the bot.

Rules shared by every parser in this module:

* Input is first normalised: Unicode NFKC (full-width forms, non-breaking spaces ...),
  every Unicode decimal digit (Devanagari ``०-९`` U+0966–U+096F and the other Indic
  scripts) becomes its ASCII digit, invisible marks that copy-paste drags along
  (zero-width space, LRM/RLM, word joiner, BOM) are removed, and surrounding
  whitespace is stripped.  ZWJ/ZWNJ are kept because they matter in Indic text.
* Mistakes a user can make are returned as values, never raised: each parser returns
  ``Ok(value)`` or ``Invalid(reason)``, where ``reason`` is a member of a small
  ``StrEnum``.  There is no user-facing text here; handlers translate reason codes.
* Functions are pure: no I/O, no global state.

Exceptions are raised only for programming errors (e.g. passing a non-E.164 string to
:func:`mobile_last4`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Generic, TypeAlias, TypeVar

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "CAPACITY_MAX",
    "CAPACITY_MIN",
    "CapacityError",
    "CodeError",
    "HoursError",
    "Invalid",
    "MIDNIGHT_CLOSE",
    "Ok",
    "OpeningHours",
    "PhoneError",
    "PinError",
    "Result",
    "TextError",
    "TrackingError",
    "UpiError",
    "mask_mobile",
    "mobile_last4",
    "normalise",
    "parse_address",
    "parse_capacity",
    "parse_hours",
    "parse_mobile",
    "parse_person_name",
    "parse_pickup_code",
    "parse_pin_code",
    "parse_shop_name",
    "parse_tracking_id",
    "parse_tracking_ids",
    "parse_upi_id",
    "to_ascii_digits",
]

T = TypeVar("T")
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """A successfully parsed value."""

    value: T


@dataclass(frozen=True, slots=True)
class Invalid(Generic[E]):
    """A rejected input; ``reason`` is a machine-readable code (a ``StrEnum`` member)."""

    reason: E


Result: TypeAlias = Ok[T] | Invalid[E]


# --------------------------------------------------------------------------- reasons


class PhoneError(StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NOT_INDIAN = "not_indian"
    NOT_MOBILE = "not_mobile"


class PinError(StrEnum):
    EMPTY = "empty"
    NOT_SIX_DIGITS = "not_six_digits"
    BAD_FIRST_DIGIT = "bad_first_digit"


class TrackingError(StrEnum):
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    BAD_CHARACTERS = "bad_characters"


class CodeError(StrEnum):
    EMPTY = "empty"
    NOT_SIX_DIGITS = "not_six_digits"


class TextError(StrEnum):
    """Reasons for free-text fields (shop name, person name, address)."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NO_LETTER = "no_letter"  # person name only


class HoursError(StrEnum):
    EMPTY = "empty"
    BAD_FORMAT = "bad_format"
    BAD_TIME = "bad_time"
    CLOSE_BEFORE_OPEN = "close_before_open"


class CapacityError(StrEnum):
    NOT_NUMBER = "not_number"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"


class UpiError(StrEnum):
    EMPTY = "empty"
    BAD_FORMAT = "bad_format"


# ----------------------------------------------------------------------- normalising

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200e\u200f\u2060\ufeff"))


def to_ascii_digits(s: str) -> str:
    """Replace every Unicode decimal digit (``०``-``९`` and other scripts) with ASCII ``0``-``9``.

    Everything else is returned unchanged.
    """
    if s.isascii():
        return s
    return "".join(
        str(unicodedata.decimal(ch))
        if not ch.isascii() and unicodedata.category(ch) == "Nd"
        else ch
        for ch in s
    )


def normalise(text: str) -> str:
    """NFKC, drop invisible copy-paste marks, digits to ASCII, strip surrounding whitespace."""
    return to_ascii_digits(unicodedata.normalize("NFKC", text).translate(_INVISIBLE)).strip()


def _collapse_ws(text: str) -> str:
    """Turn every run of whitespace/control characters into one space and strip."""
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(cleaned.split())


# -------------------------------------------------------------------------- mobiles

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/\[\]]")
_E164_IN = re.compile(r"\+91[6-9]\d{9}")
_OK_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def parse_mobile(text: str) -> Result[str, PhoneError]:
    """Parse an Indian mobile number and return it in E.164 form (``+919876543210``).

    Accepted: 10 national digits optionally prefixed by ``0``, ``91``, ``091``, ``+91``,
    ``0091`` or ``(+91)``; spaces, dashes, dots, slashes and brackets anywhere; ASCII or
    Devanagari digits; a ``0`` trunk prefix after ``+91`` (``+91 0 98765 43210``).
    Telegram's shared-contact forms ``919876543210`` and ``+919876543210`` are covered.

    Reasons: ``EMPTY``; ``NOT_DIGITS`` (letters or other symbols, ``+`` not in front);
    ``NOT_INDIAN`` (an international prefix other than 91); ``TOO_SHORT``/``TOO_LONG``
    (national part not 10 digits); ``NOT_MOBILE`` (10 digits, but not an Indian mobile:
    does not start with 6-9, or libphonenumber does not say MOBILE/FIXED_LINE_OR_MOBILE).
    """
    s = normalise(text)
    if not s:
        return Invalid(PhoneError.EMPTY)
    s = _PHONE_SEPARATORS.sub("", s)
    international = s.startswith("+")
    if international:
        s = s[1:]
    if not s or not (s.isascii() and s.isdigit()):
        return Invalid(PhoneError.NOT_DIGITS)
    if not international and s.startswith("00"):
        international, s = True, s[2:]

    if international:
        if not s.startswith("91"):
            return Invalid(PhoneError.NOT_INDIAN)
        national = s[2:]
        if len(national) == 11 and national.startswith("0"):
            national = national[1:]
    elif len(s) == 11 and s.startswith("0"):
        national = s[1:]
    elif len(s) == 12 and s.startswith("91"):
        national = s[2:]
    elif len(s) == 13 and s.startswith("091"):
        national = s[3:]
    else:
        national = s

    if len(national) < 10:
        return Invalid(PhoneError.TOO_SHORT)
    if len(national) > 10:
        return Invalid(PhoneError.TOO_LONG)
    if national[0] not in "6789":
        return Invalid(PhoneError.NOT_MOBILE)
    e164 = "+91" + national
    number = phonenumbers.parse(e164, "IN")
    if not phonenumbers.is_valid_number(number):
        return Invalid(PhoneError.NOT_MOBILE)
    if phonenumbers.number_type(number) not in _OK_MOBILE_TYPES:
        return Invalid(PhoneError.NOT_MOBILE)
    return Ok(e164)


def _require_e164(e164: str) -> None:
    if not _E164_IN.fullmatch(e164):
        raise ValueError(f"not an Indian E.164 mobile: {e164!r}")


def mobile_last4(e164: str) -> str:
    """Last four digits of an E.164 Indian mobile (``+919876543210`` → ``3210``).

    Raises ``ValueError`` if the argument is not what :func:`parse_mobile` returns.
    """
    _require_e164(e164)
    return e164[-4:]


def mask_mobile(e164: str) -> str:
    """Mask all but the last four national digits (``+919876543210`` → ``••••••3210``).

    Raises ``ValueError`` if the argument is not what :func:`parse_mobile` returns.
    """
    return "\u2022" * 6 + mobile_last4(e164)


# --------------------------------------------------------------- PIN / pickup codes


def parse_pin_code(text: str) -> Result[str, PinError]:
    """Indian PIN code: exactly 6 digits, first digit 1-9; spaces inside are ignored.

    ``411 001`` → ``411001``.  Reasons: ``EMPTY``, ``NOT_SIX_DIGITS`` (wrong length or
    anything but digits/spaces), ``BAD_FIRST_DIGIT`` (starts with 0).
    """
    s = normalise(text)
    if not s:
        return Invalid(PinError.EMPTY)
    s = "".join(s.split())
    if not re.fullmatch(r"[0-9]{6}", s):
        return Invalid(PinError.NOT_SIX_DIGITS)
    if s[0] == "0":
        return Invalid(PinError.BAD_FIRST_DIGIT)
    return Ok(s)


def parse_pickup_code(text: str) -> Result[str, CodeError]:
    """Pickup code: exactly 6 digits (ASCII or Devanagari); spaces and dashes are ignored.

    ``482 917``, ``482-917``, ``४८२९१७`` → ``482917``.  Leading zeros are kept.
    Reasons: ``EMPTY``, ``NOT_SIX_DIGITS`` (wrong length or any other character).
    """
    s = normalise(text)
    if not s:
        return Invalid(CodeError.EMPTY)
    s = re.sub(r"[\s\-\u2010-\u2015\u2212]", "", s)
    if not re.fullmatch(r"[0-9]{6}", s):
        return Invalid(CodeError.NOT_SIX_DIGITS)
    return Ok(s)


# --------------------------------------------------------------------- tracking ids

TRACKING_MIN_LEN = 8
TRACKING_MAX_LEN = 30
_TRACKING_CHARS = re.compile(r"[A-Za-z0-9-]+")


def parse_tracking_id(text: str) -> Result[str, TrackingError]:
    """Courier tracking id: 8-30 characters of ``A-Z``, ``0-9`` and ``-``, returned upper-case.

    Letters are read case-insensitively; surrounding whitespace is trimmed, inner
    whitespace is not allowed.  Reasons: ``EMPTY``; ``BAD_CHARACTERS`` (anything outside
    the alphabet, checked before length); ``TOO_SHORT``; ``TOO_LONG``.
    """
    s = normalise(text)
    if not s:
        return Invalid(TrackingError.EMPTY)
    if not _TRACKING_CHARS.fullmatch(s):
        return Invalid(TrackingError.BAD_CHARACTERS)
    if len(s) < TRACKING_MIN_LEN:
        return Invalid(TrackingError.TOO_SHORT)
    if len(s) > TRACKING_MAX_LEN:
        return Invalid(TrackingError.TOO_LONG)
    return Ok(s.upper())


def parse_tracking_ids(text: str) -> list[tuple[int, str, Result[str, TrackingError]]]:
    """Parse pasted multi-line input, one tracking id per line.

    Returns ``(line_number, raw, result)`` per non-blank line, in input order.
    ``line_number`` is 1-based and counts blank lines too (so it matches what the user
    pasted); ``raw`` is the line with surrounding whitespace stripped.  Blank lines are
    skipped.  A valid id that repeats an earlier valid id (after upper-casing) is dropped,
    keeping the first occurrence; invalid lines are all kept.
    """
    out: list[tuple[int, str, Result[str, TrackingError]]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        raw = line.strip()
        result = parse_tracking_id(line)
        if isinstance(result, Invalid) and result.reason is TrackingError.EMPTY:
            continue
        if isinstance(result, Ok):
            if result.value in seen:
                continue
            seen.add(result.value)
        out.append((number, raw, result))
    return out


# ---------------------------------------------------------------------- free text

SHOP_NAME_MIN, SHOP_NAME_MAX = 2, 80
PERSON_NAME_MIN, PERSON_NAME_MAX = 2, 60
ADDRESS_MIN, ADDRESS_MAX = 5, 200


def _check_length(s: str, lo: int, hi: int) -> Result[str, TextError]:
    if len(s) < lo:
        return Invalid(TextError.TOO_SHORT)
    if len(s) > hi:
        return Invalid(TextError.TOO_LONG)
    return Ok(s)


def parse_shop_name(text: str) -> Result[str, TextError]:
    """Shop name: 2-80 characters (code points) after trimming and collapsing whitespace.

    Newlines/tabs/control characters become single spaces.  Reasons: ``TOO_SHORT``
    (also for empty input), ``TOO_LONG``.
    """
    return _check_length(_collapse_ws(normalise(text)), SHOP_NAME_MIN, SHOP_NAME_MAX)


def parse_person_name(text: str) -> Result[str, TextError]:
    """Person name: 2-60 characters after collapsing whitespace, with at least one letter.

    A letter is any Unicode letter (``L*`` category), so Devanagari names qualify.
    Reasons: ``TOO_SHORT`` (also for empty input), ``TOO_LONG``, ``NO_LETTER``.
    """
    s = _collapse_ws(normalise(text))
    checked = _check_length(s, PERSON_NAME_MIN, PERSON_NAME_MAX)
    if isinstance(checked, Invalid):
        return checked
    if not any(unicodedata.category(ch).startswith("L") for ch in s):
        return Invalid(TextError.NO_LETTER)
    return checked


def parse_address(text: str) -> Result[str, TextError]:
    """Address: 5-200 characters after normalising.

    Whitespace inside each line is collapsed; non-blank lines are joined with ``", "``
    (a trailing comma on a line is not doubled).  Reasons: ``TOO_SHORT`` (also for empty
    input), ``TOO_LONG``.
    """
    lines = (_collapse_ws(line).rstrip(", ").strip() for line in normalise(text).splitlines())
    s = ", ".join(line for line in lines if line)
    return _check_length(s, ADDRESS_MIN, ADDRESS_MAX)


# --------------------------------------------------------------------- opening hours

#: ``OpeningHours.close`` value meaning "until midnight" (shown as ``24:00``).
MIDNIGHT_CLOSE = time.max


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Daily opening hours, ``open <= t < close``.

    ``close == MIDNIGHT_CLOSE`` (``time.max``) means the shop closes at midnight (24:00);
    ``00:00``-``24:00`` is a round-the-clock shop (:attr:`all_day`).  Overnight hours are
    not representable: ``close`` is always after ``open``.
    """

    open: time
    close: time

    @property
    def all_day(self) -> bool:
        """True for 24x7 shops (00:00–24:00)."""
        return self.open == time.min and self.close == MIDNIGHT_CLOSE

    def is_open_at(self, t: time) -> bool:
        """Whether the shop is open at wall-clock time ``t`` (closing minute excluded)."""
        t = t.replace(tzinfo=None)
        if self.close == MIDNIGHT_CLOSE:
            return t >= self.open
        return self.open <= t < self.close

    def __str__(self) -> str:
        """``09:00–21:00`` (en dash); midnight close is ``24:00``. Re-parses with parse_hours."""
        close = "24:00" if self.close == MIDNIGHT_CLOSE else f"{self.close:%H:%M}"
        return f"{self.open:%H:%M}\u2013{close}"


_ALL_DAY = re.compile(r"24\s*[x×*/]\s*7|24\s*(?:hours?|hrs?)")
_MERIDIEM = re.compile(r"(?<![a-z])([ap])\s*\.?\s*m(?![a-z])\.?")
_TIME = r"([0-9]{1,2})(?:\s*[:.]\s*([0-9]{2}))?\s*(am|pm)?"
_HOURS = re.compile(
    rf"{_TIME}\s*(?:-|\u2010|\u2011|\u2012|\u2013|\u2014|\u2212|~|to|till|se|से|ते|तक)\s*{_TIME}(?:\s*तक)?"
)

_Clock = tuple[int, int, bool]  # hour 0..24, minute, had am/pm suffix


def _clock(hour: str, minute: str | None, meridiem: str | None) -> _Clock | None:
    h, m = int(hour), int(minute or 0)
    if m > 59:
        return None
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem == "pm" else 0)
        return h, m, True
    if h > 24 or (h == 24 and m):
        return None
    return h, m, False


def parse_hours(text: str) -> Result[OpeningHours, HoursError]:
    """Opening hours ``open-close`` in the shop's local time.

    Accepted: ``9-21``, ``09:00-21:00``, ``9:30-21:30``, ``9.30-21.00``, ``9am-9pm``,
    ``9 AM - 9 PM``, ``9 a.m. to 9 p.m.``; separators ``-``, en/em dash, ``~``, ``to``,
    ``till``, ``se``, ``से``, ``ते``, ``तक``; ASCII or Devanagari digits.
    ``24x7``, ``24/7``, ``24 hours`` and ``0-24`` mean 00:00–24:00.

    Interpretation: without am/pm a time is 24-hour (``0``-``24``, ``24`` only as
    ``24:00``).  A close of 00:00 (``0``, ``12am``, ``24``) means midnight.  If the close
    has no am/pm, is written as 1-12 and is not after the open, it is read as pm
    (``9-9`` → 09:00–21:00, ``10-8`` → 10:00–20:00).

    Reasons: ``EMPTY``; ``BAD_FORMAT`` (not two times); ``BAD_TIME`` (e.g. ``25``,
    ``9:75``, ``13pm``); ``CLOSE_BEFORE_OPEN`` (close not after open, e.g. overnight
    ``18-2``).
    """
    s = normalise(text).lower()
    if not s:
        return Invalid(HoursError.EMPTY)
    if _ALL_DAY.fullmatch(s):
        return Ok(OpeningHours(time.min, MIDNIGHT_CLOSE))
    s = _MERIDIEM.sub(lambda m: f" {m.group(1)}m ", s).strip()
    match = _HOURS.fullmatch(s)
    if not match:
        return Invalid(HoursError.BAD_FORMAT)
    start = _clock(*match.group(1, 2, 3))
    end = _clock(*match.group(4, 5, 6))
    if start is None or end is None:
        return Invalid(HoursError.BAD_TIME)
    (oh, om, _), (ch, cm, close_suffixed) = start, end
    if oh == 24:
        return Invalid(HoursError.BAD_TIME)
    if (ch, cm) == (0, 0):
        ch = 24
    written_close = int(match.group(4))
    if not close_suffixed and 1 <= written_close <= 12 and (ch, cm) <= (oh, om):
        ch += 12
    if (ch, cm) <= (oh, om):
        return Invalid(HoursError.CLOSE_BEFORE_OPEN)
    close = MIDNIGHT_CLOSE if ch == 24 else time(ch, cm)
    return Ok(OpeningHours(time(oh, om), close))


# ------------------------------------------------------------------------ capacity

CAPACITY_MIN, CAPACITY_MAX = 1, 500


def parse_capacity(text: str) -> Result[int, CapacityError]:
    """How many parcels the shop can hold: a whole number 1-500 (ASCII or Devanagari digits).

    An optional sign is allowed so ``-5`` reports ``TOO_SMALL``.  Reasons: ``NOT_NUMBER``
    (empty, words, decimals, separators), ``TOO_SMALL`` (< 1), ``TOO_LARGE`` (> 500).
    """
    s = normalise(text)
    match = re.fullmatch(r"([+\-\u2212]?)\s*([0-9]+)", s)
    if not match:
        return Invalid(CapacityError.NOT_NUMBER)
    digits = match.group(2).lstrip("0") or "0"
    if len(digits) > 6:  # avoid huge int conversions; certainly too large
        return Invalid(CapacityError.TOO_LARGE)
    value = int(digits)
    if match.group(1) in ("-", "\u2212") and value:
        value = -value
    if value < CAPACITY_MIN:
        return Invalid(CapacityError.TOO_SMALL)
    if value > CAPACITY_MAX:
        return Invalid(CapacityError.TOO_LARGE)
    return Ok(value)


# ----------------------------------------------------------------------------- UPI

_UPI = re.compile(r"[a-z0-9._-]{2,256}@[a-z]{2,64}")


def parse_upi_id(text: str) -> Result[str, UpiError]:
    """UPI VPA ``handle@provider``, returned lower-case (``Ramesh.K@OkAxis`` → ``ramesh.k@okaxis``).

    Handle: 2-256 of ``a-z A-Z 0-9 . _ -``; provider: 2-64 ASCII letters (``okaxis``,
    ``ybl``, ``paytm``, ``oksbi``).  No spaces inside.  Reasons: ``EMPTY``, ``BAD_FORMAT``.
    """
    s = normalise(text)
    if not s:
        return Invalid(UpiError.EMPTY)
    s = s.lower()
    if not s.isascii() or not _UPI.fullmatch(s):
        return Invalid(UpiError.BAD_FORMAT)
    return Ok(s)
