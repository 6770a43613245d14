"""Locale-aware formatting of money, numbers, dates and times (Babel, CLDR data).

Supported languages are ``"en"``, ``"hi"`` and ``"mr"`` (Babel locales ``en_IN``,
``hi_IN``, ``mr_IN``).  Any other code (or ``None``) falls back to English; region
suffixes such as ``"hi-IN"`` / ``"mr_IN"`` are accepted.

Product decisions applied everywhere in this module:

* Digits are always Latin (``0-9``), in all three languages.  Shopkeepers read and
  type codes and amounts in Latin digits; CLDR's Marathi default numbering system is
  Devanagari, so numbers are formatted with ``numbering_system="latn"`` and every result
  is additionally passed through a digit guard.
* Money is an integer number of paise, converted with ``Decimal`` (never ``float``) and
  shown as ``₹1,23,456.00``: rupee sign first, no space, Indian lakh/crore grouping, two
  decimals, minus sign in front (``-₹50.00``).  The output is identical in all three
  languages (CLDR's Marathi currency pattern ``¤#,##0.00`` would group ``₹123,456.00``,
  so an explicit pattern is used).
* Month and weekday names are the locale's own (``Dec`` / ``दिस॰`` / ``डिसें``).
* The narrow no-break space CLDR puts before ``am``/``pm`` in English is replaced by a
  plain space so output is the same kind of string in every language.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_skeleton as _babel_format_skeleton
from babel.dates import format_time as _babel_format_time
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_TZ",
    "SUPPORTED_LANGUAGES",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "format_time",
    "format_weekday_date",
    "locale_for",
]

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "hi", "mr")
DEFAULT_LANGUAGE = "en"
DEFAULT_TZ = "Asia/Kolkata"

_LOCALES = {"en": "en_IN", "hi": "hi_IN", "mr": "mr_IN"}
_MONEY_PATTERN = "¤#,##,##0.00"
_NUMBER_PATTERN = "#,##,##0"
_LATN = "latn"


def locale_for(lang: str | None) -> Locale:
    """Babel locale for a language code: ``en``→``en_IN``, ``hi``→``hi_IN``, ``mr``→``mr_IN``.

    Case and region suffix are ignored (``"hi-IN"`` → ``hi_IN``); anything else → ``en_IN``.
    """
    return _locale(_language(lang))


def _language(lang: str | None) -> str:
    code = (lang or "").replace("-", "_").split("_", 1)[0].lower()
    return code if code in _LOCALES else DEFAULT_LANGUAGE


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_LOCALES[lang])


def _latin(text: str) -> str:
    """Guard: map any non-ASCII decimal digit to ASCII, and U+202F to a plain space."""
    text = text.replace("\u202f", " ")
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(ch))
        if not ch.isascii() and unicodedata.category(ch) == "Nd"
        else ch
        for ch in text
    )


def _require_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------- numbers


def format_money(paise: int, lang: str | None) -> str:
    """Format an amount in paise as rupees: ``12345600`` → ``₹1,23,456.00`` (same in en/hi/mr).

    Rupee sign first with no space, Indian grouping (lakh/crore), always two decimals,
    ``-₹50.00`` for negatives, ``₹0.00`` for zero.  Raises ``TypeError`` for non-int input
    (floats are never accepted).
    """
    amount = Decimal(_require_int(paise, "paise")).scaleb(-2)
    text = _babel_format_currency(
        amount,
        "INR",
        format=_MONEY_PATTERN,
        locale=locale_for(lang),
        currency_digits=False,
        numbering_system=_LATN,
    )
    return _latin(text)


def format_number(n: int, lang: str | None) -> str:
    """Integer with Indian grouping and Latin digits: ``123456`` → ``1,23,456``; ``-1000`` → ``-1,000``."""
    text = _babel_format_decimal(
        _require_int(n, "n"),
        format=_NUMBER_PATTERN,
        locale=locale_for(lang),
        numbering_system=_LATN,
    )
    return _latin(text)


# ------------------------------------------------------------------------ dates/times


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _localise(dt: datetime, tz: str | tzinfo) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(_zone(tz))


def format_date(d: date, lang: str | None) -> str:
    """Locale's medium date with Latin digits.

    ``date(2026, 12, 5)`` → en ``5 Dec 2026``, hi ``5 दिस॰ 2026``, mr ``5 डिसें, 2026``.
    A ``datetime`` is formatted by its own calendar date (no time-zone conversion; use
    :func:`format_datetime` for instants).
    """
    if isinstance(d, datetime):
        d = d.date()
    return _latin(_babel_format_date(d, "medium", locale=locale_for(lang)))


def format_time(dt: datetime, lang: str | None, tz: str | tzinfo = DEFAULT_TZ) -> str:
    """Locale's short time (12-hour in all three) of an aware instant, converted to ``tz``.

    18:30 IST → en ``6:30 pm``, hi ``6:30 pm``, mr ``6:30 PM``.  Raises ``ValueError``
    for a naive datetime.
    """
    local = _localise(dt, tz)
    return _short_time(local, lang)


def _short_time(local: datetime, lang: str | None) -> str:
    """The locale's short time; English day periods always lower case (``6:30 pm``).

    CLDR changed the English casing between Babel releases (2.19 gives ``PM``); the product
    owns the casing so a shopkeeper sees the same text whatever Babel is installed.
    """
    text = _babel_format_time(local, "short", tzinfo=local.tzinfo, locale=locale_for(lang))
    if _language(lang) == "en":
        text = text.replace("AM", "am").replace("PM", "pm")
    return _latin(text)


def format_datetime(dt: datetime, lang: str | None, tz: str | tzinfo = DEFAULT_TZ) -> str:
    """Medium date + short time of an aware instant in ``tz`` (default Asia/Kolkata).

    Joined with the locale's date-time pattern (``{1}, {0}`` in en/hi/mr):
    en ``5 Dec 2026, 6:30 pm``, hi ``5 दिस॰ 2026, 6:30 pm``, mr ``5 डिसें, 2026, 6:30 PM``.
    Raises ``ValueError`` for a naive datetime.
    """
    local = _localise(dt, tz)
    locale = locale_for(lang)
    pattern = str(locale.datetime_formats["medium"])
    date_text = _babel_format_date(local.date(), "medium", locale=locale)
    time_text = _short_time(local, lang)
    return _latin(pattern.replace("{1}", date_text).replace("{0}", time_text))


def format_weekday_date(d: date, lang: str | None) -> str:
    """Short weekday, day and short month, no year (CLDR skeleton ``MMMEd``).

    ``date(2026, 12, 5)`` → en ``Sat, 5 Dec``, hi ``शनि, 5 दिस॰``, mr ``शनि, 5 डिसें``.
    A ``datetime`` is formatted by its own calendar date.
    """
    if isinstance(d, datetime):
        d = d.date()
    return _latin(_babel_format_skeleton("MMMEd", d, locale=locale_for(lang)))
