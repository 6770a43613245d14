"""Tests for bot.i18n.formatting: what a reader sees, the same with the locked Babel and 2.19."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n.formatting import (
    SUPPORTED_LANGUAGES,
    format_clock,
    format_date,
    format_datetime,
    format_hours,
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
# What a reader notices: the full month name, no CLDR abbreviation (नव॰, नोव्हें,), no
# double comma. These hold with the locked Babel and with the newest (2.19).

NOV_9 = date(2026, 11, 9)  # a Monday
DEC_5 = date(2026, 12, 5)  # a Saturday


@pytest.mark.parametrize(
    ("lang", "d", "expected"),
    [
        ("en", NOV_9, "9 November 2026"),
        ("hi", NOV_9, "9 नवंबर 2026"),
        ("mr", NOV_9, "9 नोव्हेंबर 2026"),
        ("en", date(2026, 1, 4), "4 January 2026"),
        ("hi", date(2026, 1, 4), "4 जनवरी 2026"),
        ("mr", date(2026, 1, 4), "4 जानेवारी 2026"),
        ("en", date(2026, 9, 30), "30 September 2026"),
        ("hi", date(2026, 5, 1), "1 मई 2026"),
        ("mr", date(2026, 7, 15), "15 जुलै 2026"),
        ("mr", DEC_5, "5 डिसेंबर 2026"),
    ],
)
def test_format_date_is_day_full_month_year(lang: str, d: date, expected: str) -> None:
    assert format_date(d, lang) == expected


@pytest.mark.parametrize(
    ("lang", "d", "expected"),
    [
        ("en", NOV_9, "Monday, 9 November"),
        ("hi", NOV_9, "सोमवार, 9 नवंबर"),
        ("mr", NOV_9, "सोमवार, 9 नोव्हेंबर"),
        ("en", DEC_5, "Saturday, 5 December"),
        ("hi", DEC_5, "शनिवार, 5 दिसंबर"),
        ("mr", date(2026, 12, 8), "मंगळवार, 8 डिसेंबर"),
    ],
)
def test_last_day_carries_the_weekday(lang: str, d: date, expected: str) -> None:
    assert format_weekday_date(d, lang) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.sampled_from(LANGS))
def test_no_abbreviated_month_and_one_comma_at_most(d: date, lang: str) -> None:
    text = format_date(d, lang)
    assert "॰" not in text and "," not in text and "." not in text
    assert text.split()[0] == str(d.day) and text.split()[-1] == str(d.year)
    assert text.count(",") == 0
    assert format_weekday_date(d, lang).count(",") == 1


# ---------------------------------------------------------------- datetimes/times
# Hindi and Marathi times read with the day period first, as people say them; English
# "6:30 pm" in one casing whatever the Babel release.

IST = ZoneInfo("Asia/Kolkata")


def ist(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 9, hour, minute, tzinfo=IST)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "9 November 2026, 6:30 pm"),
        ("hi", "9 नवंबर 2026, शाम 6:30"),
        ("mr", "9 नोव्हेंबर 2026, संध्याकाळी 6:30"),
    ],
)
def test_format_datetime_converts_to_ist(lang: str, expected: str) -> None:
    assert format_datetime(datetime(2026, 11, 9, 13, 0, tzinfo=UTC), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "6 December 2026, 1:30 am"),
        ("hi", "6 दिसंबर 2026, रात 1:30"),
        ("mr", "6 डिसेंबर 2026, रात्री 1:30"),
    ],
)
def test_format_datetime_utc_evening_is_next_day_in_ist(lang: str, expected: str) -> None:
    assert format_datetime(datetime(2026, 12, 5, 20, 0, tzinfo=UTC), lang) == expected


def test_format_datetime_other_zone_and_offsets() -> None:
    utc_1300 = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    assert format_datetime(utc_1300, "en", tz="UTC") == "5 December 2026, 1:00 pm"
    assert format_datetime(utc_1300, "en", tz=UTC) == "5 December 2026, 1:00 pm"
    same_instant = utc_1300.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(same_instant, "en") == "5 December 2026, 6:30 pm"
    assert format_datetime(utc_1300.astimezone(IST), "en") == "5 December 2026, 6:30 pm"


@pytest.mark.parametrize(
    ("hour", "minute", "en", "hi", "mr"),
    [
        (18, 30, "6:30 pm", "शाम 6:30", "संध्याकाळी 6:30"),
        (9, 0, "9:00 am", "सुबह 9", "सकाळी 9"),
        (21, 0, "9:00 pm", "रात 9", "रात्री 9"),
        (13, 15, "1:15 pm", "दोपहर 1:15", "दुपारी 1:15"),
        (12, 0, "12:00 pm", "दोपहर 12", "दुपारी 12"),
        (0, 5, "12:05 am", "रात 12:05", "रात्री 12:05"),
        (5, 30, "5:30 am", "सुबह 5:30", "पहाटे 5:30"),
        (16, 0, "4:00 pm", "शाम 4", "संध्याकाळी 4"),
        (20, 0, "8:00 pm", "रात 8", "रात्री 8"),
    ],
)
def test_format_time_as_people_say_it(hour: int, minute: int, en: str, hi: str, mr: str) -> None:
    at = ist(hour, minute)
    assert (format_time(at, "en"), format_time(at, "hi"), format_time(at, "mr")) == (en, hi, mr)


def test_english_day_period_is_lower_case_in_every_babel() -> None:
    for hour in range(24):
        text = format_time(ist(hour, 30), "en")
        assert re.fullmatch(r"(1[0-2]|[1-9]):30 (am|pm)", text), text


def test_no_latin_am_pm_in_hindi_or_marathi() -> None:
    for lang in ("hi", "mr"):
        for hour in range(24):
            text = format_time(ist(hour, 0), lang) + format_datetime(ist(hour, 0), lang)
            assert not re.search(r"[A-Za-z]", text), text


def test_format_time_midnight_noon_and_tz() -> None:
    midnight_ist = datetime(2026, 12, 5, 18, 35, tzinfo=UTC)  # 00:05 IST
    assert format_time(midnight_ist, "en") == "12:05 am"
    assert format_time(datetime(2026, 12, 5, 6, 35, tzinfo=UTC), "en") == "12:05 pm"
    assert format_time(midnight_ist, "en", tz="UTC") == "6:35 pm"


# ----------------------------------------------------------------- opening hours


@pytest.mark.parametrize(
    ("opens", "closes", "en", "hi", "mr"),
    [
        (time(9), time(21), "9 am – 9 pm", "सुबह 9 से रात 9 बजे तक", "सकाळी 9 ते रात्री 9"),
        (time(8), time(22), "8 am – 10 pm", "सुबह 8 से रात 10 बजे तक", "सकाळी 8 ते रात्री 10"),
        (time(9, 30), time(18, 30), "9:30 am – 6:30 pm", "सुबह 9:30 से शाम 6:30 बजे तक",
         "सकाळी 9:30 ते संध्याकाळी 6:30"),
        (time(10), time.max, "10 am – midnight", "सुबह 10 से रात 12 बजे तक",
         "सकाळी 10 ते रात्री 12"),
        (time(7), time(12), "7 am – 12 noon", "सुबह 7 से दोपहर 12 बजे तक",
         "सकाळी 7 ते दुपारी 12"),
    ],
)
def test_opening_hours_as_the_shop_says_them(
    opens: time, closes: time, en: str, hi: str, mr: str
) -> None:
    assert [format_hours(opens, closes, lang) for lang in LANGS] == [en, hi, mr]


def test_format_clock() -> None:
    assert format_clock(time(0), "en") == "midnight"
    assert format_clock(time(17, 45), "mr") == "संध्याकाळी 5:45"
    assert format_clock(time(6), "mr") == "सकाळी 6"


def test_naive_datetime_is_rejected() -> None:
    naive = datetime(2026, 12, 5, 13, 0)
    with pytest.raises(ValueError):
        format_datetime(naive, "en")
    with pytest.raises(ValueError):
        format_time(naive, "en")


def test_format_date_accepts_datetime_as_calendar_date() -> None:
    dt = datetime(2026, 12, 5, 23, 0, tzinfo=IST)
    assert format_date(dt, "en") == "5 December 2026"
    assert format_weekday_date(dt, "en") == "Saturday, 5 December"


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
