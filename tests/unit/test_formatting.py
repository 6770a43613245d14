"""Tests for bot.i18n.formatting: exact strings verified against Babel 2.18 / CLDR output."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n.formatting import (
    SUPPORTED_LANGUAGES,
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_time,
    format_weekday_date,
    locale_for,
)

LANGS = ("en", "hi", "mr")
NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")  # any Unicode decimal digit except 0-9


def test_supported_languages() -> None:
    assert SUPPORTED_LANGUAGES == LANGS


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "en_IN"),
        ("hi", "hi_IN"),
        ("mr", "mr_IN"),
        ("hi-IN", "hi_IN"),
        ("MR_in", "mr_IN"),
        ("ta", "en_IN"),
        ("", "en_IN"),
        (None, "en_IN"),
    ],
)
def test_locale_for(lang: str | None, expected: str) -> None:
    assert str(locale_for(lang)) == expected


# ------------------------------------------------------------------------- money


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("paise", "expected"),
    [
        (12_345_600, "₹1,23,456.00"),
        (0, "₹0.00"),
        (1_000, "₹10.00"),
        (1_000_000_000, "₹1,00,00,000.00"),
        (-5_000, "-₹50.00"),
        (1, "₹0.01"),
        (-1, "-₹0.01"),
        (50, "₹0.50"),
        (99_999, "₹999.99"),
        (100_000, "₹1,000.00"),
        (10_000_000, "₹1,00,000.00"),
        (12_345_678_901_234, "₹1,23,45,67,89,012.34"),
    ],
)
def test_format_money(lang: str, paise: int, expected: str) -> None:
    assert format_money(paise, lang) == expected


def test_format_money_unknown_language_falls_back() -> None:
    assert format_money(12_345_600, "ta") == "₹1,23,456.00"


@pytest.mark.parametrize("bad", [10.5, Decimal("10"), "1000", True])
def test_format_money_rejects_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_money(bad, "en")  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_money_identical_in_all_languages_and_exact(paise: int) -> None:
    en, hi, mr = (format_money(paise, lang) for lang in LANGS)
    assert en == hi == mr
    assert set(en) <= set("0123456789,.-₹")
    assert re.fullmatch(r"-?₹(\d{1,2},)*\d{1,3}\.\d{2}", en)  # lakh/crore grouping
    back = Decimal(en.replace("₹", "").replace(",", ""))
    assert back == Decimal(paise) / 100


# ------------------------------------------------------------------------ numbers


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1_000, "1,000"),
        (123_456, "1,23,456"),
        (10_000_000, "1,00,00,000"),
        (-1_000, "-1,000"),
    ],
)
def test_format_number(lang: str, n: int, expected: str) -> None:
    assert format_number(n, lang) == expected


def test_format_number_rejects_float() -> None:
    with pytest.raises(TypeError):
        format_number(1.0, "en")  # type: ignore[arg-type]


# -------------------------------------------------------------------------- dates

DEC_5 = date(2026, 12, 5)  # a Saturday


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "5 Dec 2026"), ("hi", "5 दिस॰ 2026"), ("mr", "5 डिसें, 2026")],
)
def test_format_date(lang: str, expected: str) -> None:
    assert format_date(DEC_5, lang) == expected


@pytest.mark.parametrize(
    ("lang", "d", "expected"),
    [
        ("en", date(2026, 1, 4), "4 Jan 2026"),
        ("hi", date(2026, 1, 4), "4 जन॰ 2026"),
        ("mr", date(2026, 1, 4), "4 जाने, 2026"),
        ("en", date(2026, 9, 30), "30 Sept 2026"),
        ("hi", date(2026, 5, 1), "1 मई 2026"),
        ("mr", date(2026, 7, 15), "15 जुलै, 2026"),
    ],
)
def test_format_date_month_names(lang: str, d: date, expected: str) -> None:
    assert format_date(d, lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Sat, 5 Dec"), ("hi", "शनि, 5 दिस॰"), ("mr", "शनि, 5 डिसें")],
)
def test_format_weekday_date(lang: str, expected: str) -> None:
    assert format_weekday_date(DEC_5, lang) == expected


def test_format_weekday_date_other_day() -> None:
    assert format_weekday_date(date(2026, 1, 4), "en") == "Sun, 4 Jan"
    assert format_weekday_date(date(2026, 1, 4), "hi") == "रवि, 4 जन॰"
    assert format_weekday_date(date(2026, 1, 4), "mr") == "रवि, 4 जाने"


# ---------------------------------------------------------------- datetimes/times

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "5 Dec 2026, 6:30 pm"),
        ("hi", "5 दिस॰ 2026, 6:30 pm"),
        ("mr", "5 डिसें, 2026, 6:30 PM"),
    ],
)
def test_format_datetime_converts_to_ist(lang: str, expected: str) -> None:
    assert format_datetime(datetime(2026, 12, 5, 13, 0, tzinfo=UTC), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "6 Dec 2026, 1:30 am"),
        ("hi", "6 दिस॰ 2026, 1:30 am"),
        ("mr", "6 डिसें, 2026, 1:30 AM"),
    ],
)
def test_format_datetime_utc_evening_is_next_day_in_ist(lang: str, expected: str) -> None:
    assert format_datetime(datetime(2026, 12, 5, 20, 0, tzinfo=UTC), lang) == expected


def test_format_datetime_other_zone_and_offsets() -> None:
    utc_1300 = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    assert format_datetime(utc_1300, "en", tz="UTC") == "5 Dec 2026, 1:00 pm"
    assert format_datetime(utc_1300, "en", tz=UTC) == "5 Dec 2026, 1:00 pm"
    same_instant = utc_1300.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(same_instant, "en") == "5 Dec 2026, 6:30 pm"
    assert format_datetime(utc_1300.astimezone(IST), "en") == "5 Dec 2026, 6:30 pm"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "6:30 pm"), ("hi", "6:30 pm"), ("mr", "6:30 PM")],
)
def test_format_time(lang: str, expected: str) -> None:
    assert format_time(datetime(2026, 12, 5, 13, 0, tzinfo=UTC), lang) == expected


def test_format_time_midnight_noon_and_tz() -> None:
    midnight_ist = datetime(2026, 12, 5, 18, 35, tzinfo=UTC)  # 00:05 IST
    assert format_time(midnight_ist, "en") == "12:05 am"
    assert format_time(datetime(2026, 12, 5, 6, 35, tzinfo=UTC), "en") == "12:05 pm"
    assert format_time(midnight_ist, "en", tz="UTC") == "6:35 pm"


def test_naive_datetime_is_rejected() -> None:
    naive = datetime(2026, 12, 5, 13, 0)
    with pytest.raises(ValueError):
        format_datetime(naive, "en")
    with pytest.raises(ValueError):
        format_time(naive, "en")


def test_format_date_accepts_datetime_as_calendar_date() -> None:
    dt = datetime(2026, 12, 5, 23, 0, tzinfo=IST)
    assert format_date(dt, "en") == "5 Dec 2026"
    assert format_weekday_date(dt, "en") == "Sat, 5 Dec"


# ------------------------------------------------------------ Latin digits always


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
    st.sampled_from(LANGS),
)
def test_dates_and_times_use_latin_digits_only(dt: datetime, lang: str) -> None:
    for text in (
        format_date(dt.date(), lang),
        format_weekday_date(dt.date(), lang),
        format_datetime(dt, lang),
        format_time(dt, lang),
    ):
        assert not NON_ASCII_DIGIT.search(text), text
        assert "\u202f" not in text
        assert re.search(r"[0-9]", text)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(LANGS))
def test_numbers_use_latin_digits_only(n: int, lang: str) -> None:
    text = format_number(n, lang)
    assert not NON_ASCII_DIGIT.search(text)
    assert int(text.replace(",", "")) == n
