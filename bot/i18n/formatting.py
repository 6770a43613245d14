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
* Dates are ``d MMMM y`` with the locale's full month name (``9 नवंबर 2026``); the last day
  to collect adds the weekday (``सोमवार, 9 नवंबर``).
* Times are 12-hour: English ``6:30 pm`` (lower case, plain space), Hindi and Marathi with
  the day period first, as people say it (``शाम 6:30``, ``सकाळी 9``, ``रात्री 9``).
* Opening hours read as the shop says them (``सकाळी 9 ते रात्री 9``), see :func:`format_hours`.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_time as _babel_format_time
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_TZ",
    "SUPPORTED_LANGUAGES",
    "format_clock",
    "format_date",
    "format_datetime",
    "format_hours",
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
#
# The product owns these formats; Babel supplies only the month and weekday names.
# Dates read ``d MMMM y`` (9 November 2026 / 9 नवंबर 2026 / 9 नोव्हेंबर 2026): CLDR's
# medium dates abbreviate months (नव॰, नोव्हें,) and put a comma after the Marathi month,
# which doubled up in date-times.  Times in Hindi and Marathi read the way people say them,
# day period first ("शाम 6:30", "सकाळी 9", "रात्री 9"): CLDR prints Latin "am"/"pm" for
# Hindi and nominative periods (सकाळ, संध्याकाळ) for Marathi.  English keeps CLDR's
# 12-hour time, always lower case ("6:30 pm") whatever Babel release is installed.

#: (first hour, word) per language: the day period an hour falls in, in the case people say.
_DAY_PERIODS: dict[str, tuple[tuple[int, str], ...]] = {
    "hi": ((0, "रात"), (4, "सुबह"), (12, "दोपहर"), (16, "शाम"), (20, "रात")),
    "mr": ((0, "रात्री"), (4, "पहाटे"), (6, "सकाळी"), (12, "दुपारी"), (16, "संध्याकाळी"),
           (20, "रात्री")),
}
#: How opening hours join: ``{open}`` and ``{close}`` are clock times of :func:`format_clock`.
_HOURS_PATTERNS = {
    "en": "{open} – {close}",
    "hi": "{open} से {close} बजे तक",
    "mr": "{open} ते {close}",
}


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _localise(dt: datetime, tz: str | tzinfo) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(_zone(tz))


def _calendar_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def _month(d: date, lang: str | None) -> str:
    return locale_for(lang).months["format"]["wide"][d.month]


def format_date(d: date, lang: str | None) -> str:
    """Day, full month name, year: ``d MMMM y``, Latin digits.

    ``date(2026, 11, 9)`` → en ``9 November 2026``, hi ``9 नवंबर 2026``,
    mr ``9 नोव्हेंबर 2026``.  A ``datetime`` is formatted by its own calendar date
    (no time-zone conversion; use :func:`format_datetime` for instants).
    """
    d = _calendar_date(d)
    return _latin(f"{d.day} {_month(d, lang)} {d.year}")


def format_weekday_date(d: date, lang: str | None) -> str:
    """Full weekday, day and month, no year: the last day to collect.

    ``date(2026, 11, 9)`` → en ``Monday, 9 November``, hi ``सोमवार, 9 नवंबर``,
    mr ``सोमवार, 9 नोव्हेंबर``.  A ``datetime`` is formatted by its own calendar date.
    """
    d = _calendar_date(d)
    weekday = locale_for(lang).days["format"]["wide"][d.weekday()]
    return _latin(f"{weekday}, {d.day} {_month(d, lang)}")


def format_clock(t: time, lang: str | None) -> str:
    """A wall-clock time as a shop says it, minutes only when not ``:00``.

    en ``9 am``, ``6:30 pm``, ``12 noon``, ``midnight``; hi ``सुबह 9``, ``शाम 6:30``,
    ``दोपहर 12``, ``रात 12``; mr ``सकाळी 9``, ``संध्याकाळी 6:30``, ``दुपारी 12``,
    ``रात्री 12``.  ``time.max`` (a shop closing at midnight) reads as midnight.
    """
    if t == time.max:
        t = time(0, 0)
    return _clock_text(t.hour, t.minute, _language(lang))


def _clock_text(hour: int, minute: int, lang: str) -> str:
    twelve = hour % 12 or 12
    digits = f"{twelve}:{minute:02d}" if minute else f"{twelve}"
    if lang == "en":
        if minute == 0 and hour in (0, 12):
            return "midnight" if hour == 0 else "12 noon"
        return f"{digits} {'am' if hour < 12 else 'pm'}"
    period = [word for first, word in _DAY_PERIODS[lang] if hour >= first][-1]
    return f"{period} {digits}"


def format_hours(opens: time, closes: time, lang: str | None) -> str:
    """Daily opening hours the way the shop says them.

    09:00–21:00 → en ``9 am – 9 pm``, hi ``सुबह 9 से रात 9 बजे तक``,
    mr ``सकाळी 9 ते रात्री 9``.  The caller words a round-the-clock shop itself.
    """
    pattern = _HOURS_PATTERNS[_language(lang)]
    return pattern.format(open=format_clock(opens, lang), close=format_clock(closes, lang))


def format_time(dt: datetime, lang: str | None, tz: str | tzinfo = DEFAULT_TZ) -> str:
    """Time of day of an aware instant, converted to ``tz``, 12-hour in all three languages.

    18:30 IST → en ``6:30 pm``, hi ``शाम 6:30``, mr ``संध्याकाळी 6:30``; 09:00 →
    en ``9:00 am``, hi ``सुबह 9``, mr ``सकाळी 9``.  Raises ``ValueError`` for a naive datetime.
    """
    return _short_time(_localise(dt, tz), lang)


def _short_time(local: datetime, lang: str | None) -> str:
    """English: CLDR's short time, day periods always lower case (``6:30 pm``); hi/mr: ours.

    CLDR changed the English casing between Babel releases (2.19 gives ``PM``); the product
    owns the casing so a shopkeeper sees the same text whatever Babel is installed.
    """
    code = _language(lang)
    if code != "en":
        return _clock_text(local.hour, local.minute, code)
    text = _babel_format_time(local, "short", tzinfo=local.tzinfo, locale=locale_for(lang))
    return _latin(text.replace("AM", "am").replace("PM", "pm"))


def format_datetime(dt: datetime, lang: str | None, tz: str | tzinfo = DEFAULT_TZ) -> str:
    """Date and time of an aware instant in ``tz`` (default Asia/Kolkata), one comma between.

    en ``9 November 2026, 6:30 pm``, hi ``9 नवंबर 2026, शाम 6:30``,
    mr ``9 नोव्हेंबर 2026, संध्याकाळी 6:30``.  Raises ``ValueError`` for a naive datetime.
    """
    local = _localise(dt, tz)
    return f"{format_date(local.date(), lang)}, {_short_time(local, lang)}"
