"""Tests for bot.validation: every accepted form and every reason code, plus properties."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import time

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.validation import (
    MIDNIGHT_CLOSE,
    CapacityError,
    CodeError,
    HoursError,
    Invalid,
    Ok,
    OpeningHours,
    PhoneError,
    PinError,
    TextError,
    TrackingError,
    UpiError,
    mask_mobile,
    mobile_last4,
    normalise,
    parse_address,
    parse_capacity,
    parse_hours,
    parse_mobile,
    parse_person_name,
    parse_pickup_code,
    parse_pin_code,
    parse_shop_name,
    parse_tracking_id,
    parse_tracking_ids,
    parse_upi_id,
    to_ascii_digits,
)

DEVANAGARI = "०१२३४५६७८९"


def to_devanagari(s: str) -> str:
    return s.translate(str.maketrans("0123456789", DEVANAGARI))


# ------------------------------------------------------------------ normalising


def test_to_ascii_digits() -> None:
    assert to_ascii_digits("०१२३४५६७८९") == "0123456789"
    assert to_ascii_digits("abc १२ x") == "abc 12 x"
    assert to_ascii_digits("plain 42") == "plain 42"
    assert to_ascii_digits("૧૨") == "12"  # Gujarati digits too
    assert to_ascii_digits("") == ""


def test_normalise() -> None:
    assert normalise("  ９８७६\u00a0 ") == "9876"  # full-width + Devanagari + NBSP
    assert normalise("\u200b482917\u200e") == "482917"  # invisible copy-paste marks
    assert normalise("\n\t") == ""


def test_result_types_are_frozen_and_matchable() -> None:
    result = parse_pin_code("411001")
    match result:
        case Ok(value):
            assert value == "411001"
        case Invalid():
            pytest.fail("expected Ok")
    with pytest.raises(AttributeError):
        result.value = "x"  # type: ignore[misc]
    assert Invalid(PinError.EMPTY) == Invalid(PinError.EMPTY)
    assert PhoneError.TOO_SHORT == "too_short"


# ---------------------------------------------------------------------- mobiles

E164 = "+919876543210"


@pytest.mark.parametrize(
    "text",
    [
        "9876543210",
        "98765 43210",
        "98765-43210",
        "98765.43210",
        "+91-98765-43210",
        "+91 98765 43210",
        "+91 (98765) 43210",
        "+91 0 98765 43210",
        "919876543210",
        "+919876543210",  # Telegram shared contact
        "0919876543210",
        "0091 98765 43210",
        "098765 43210",
        "09876543210",
        "(+91) 98765 43210",
        "९८७६५ ४३२१०",
        "+९१ ९८७६५-४३२१०",
        "  9876543210\n",
        "９８７６５４３２１０",  # full-width
        "\u200e+91 98765 43210",
    ],
)
def test_parse_mobile_accepts(text: str) -> None:
    assert parse_mobile(text) == Ok(E164)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PhoneError.EMPTY),
        ("   ", PhoneError.EMPTY),
        ("abcdefghij", PhoneError.NOT_DIGITS),
        ("98765 4321O", PhoneError.NOT_DIGITS),  # letter O
        ("98765+43210", PhoneError.NOT_DIGITS),
        ("+", PhoneError.NOT_DIGITS),
        ("98765", PhoneError.TOO_SHORT),
        ("987654321", PhoneError.TOO_SHORT),
        ("+91 98765 4321", PhoneError.TOO_SHORT),
        ("98765432101", PhoneError.TOO_LONG),
        ("+91 98765 432101", PhoneError.TOO_LONG),
        ("9198765432101", PhoneError.TOO_LONG),
        ("+1 415 555 0123", PhoneError.NOT_INDIAN),
        ("+44 7700 900123", PhoneError.NOT_INDIAN),
        ("0044 7700 900123", PhoneError.NOT_INDIAN),
        ("+9876543210", PhoneError.NOT_INDIAN),  # reads as country code 98
        ("5876543210", PhoneError.NOT_MOBILE),
        ("1234567890", PhoneError.NOT_MOBILE),
        ("020 2612 3456", PhoneError.NOT_MOBILE),  # Pune landline
        ("+91 22 2345 6789", PhoneError.NOT_MOBILE),  # Mumbai landline
    ],
)
def test_parse_mobile_rejects(text: str, reason: PhoneError) -> None:
    assert parse_mobile(text) == Invalid(reason)


def test_mobile_last4_and_mask() -> None:
    assert mobile_last4(E164) == "3210"
    assert mask_mobile(E164) == "••••••3210"
    for bad in ("9876543210", "+14155550123", ""):
        with pytest.raises(ValueError):
            mobile_last4(bad)
        with pytest.raises(ValueError):
            mask_mobile(bad)


def _is_indian_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


_national = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("6789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
_prefix = st.sampled_from(
    ["", "0", "91", "91 ", "+91", "+91 ", "+91-", "(+91) ", "+91 0", "091", "0091 ", "+ 91 "]
)


@st.composite
def _decorated(draw: st.DrawFn, national: str) -> str:
    out = draw(_prefix)
    for i, digit in enumerate(national):
        if i and draw(st.booleans()):
            out += draw(st.sampled_from([" ", "-", ".", "  "]))
        out += to_devanagari(digit) if draw(st.booleans()) else digit
    pad = draw(st.sampled_from(["", " ", "\n", "\u00a0"]))
    return pad + out + pad


@settings(deadline=None, max_examples=300)
@given(data=st.data(), national=_national)
def test_mobile_any_written_form_normalises_to_same_e164(
    data: st.DataObject, national: str
) -> None:
    text = data.draw(_decorated(national))
    result = parse_mobile(text)
    assert result == parse_mobile(national)
    e164 = "+91" + national
    if _is_indian_mobile(e164):
        assert result == Ok(e164)
    else:
        assert result == Invalid(PhoneError.NOT_MOBILE)


@settings(deadline=None)
@given(st.text())
def test_mobile_ok_is_always_e164(text: str) -> None:
    result = parse_mobile(text)
    if isinstance(result, Ok):
        assert re.fullmatch(r"\+91[6-9][0-9]{9}", result.value)
        assert parse_mobile(result.value) == result


# --------------------------------------------------------------------- PIN code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("411001", "411001"),
        ("411 001", "411001"),
        (" 411001 ", "411001"),
        ("४११००१", "411001"),
        ("४११ ००१", "411001"),
        ("110001", "110001"),
        ("999999", "999999"),
    ],
)
def test_parse_pin_code_accepts(text: str, expected: str) -> None:
    assert parse_pin_code(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PinError.EMPTY),
        ("  ", PinError.EMPTY),
        ("41100", PinError.NOT_SIX_DIGITS),
        ("4110011", PinError.NOT_SIX_DIGITS),
        ("41100a", PinError.NOT_SIX_DIGITS),
        ("411-001", PinError.NOT_SIX_DIGITS),
        ("pune", PinError.NOT_SIX_DIGITS),
        ("011001", PinError.BAD_FIRST_DIGIT),
        ("०११००१", PinError.BAD_FIRST_DIGIT),
    ],
)
def test_parse_pin_code_rejects(text: str, reason: PinError) -> None:
    assert parse_pin_code(text) == Invalid(reason)


# ------------------------------------------------------------------ pickup code


@pytest.mark.parametrize(
    "text",
    ["482917", "482 917", "482-917", "४८२९१७", "४८२ ९१७", " 48 29 17 ", "482–917", "4-8-2-9-1-7"],
)
def test_parse_pickup_code_accepts(text: str) -> None:
    assert parse_pickup_code(text) == Ok("482917")


def test_parse_pickup_code_keeps_leading_zeros() -> None:
    assert parse_pickup_code("007 123") == Ok("007123")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", CodeError.EMPTY),
        (" \n", CodeError.EMPTY),
        ("48291", CodeError.NOT_SIX_DIGITS),
        ("4829170", CodeError.NOT_SIX_DIGITS),
        ("48291a", CodeError.NOT_SIX_DIGITS),
        ("482.917", CodeError.NOT_SIX_DIGITS),
    ],
)
def test_parse_pickup_code_rejects(text: str, reason: CodeError) -> None:
    assert parse_pickup_code(text) == Invalid(reason)


@given(st.text())
def test_pickup_code_never_accepts_anything_but_six_digits(text: str) -> None:
    result = parse_pickup_code(text)
    if isinstance(result, Ok):
        assert re.fullmatch(r"[0-9]{6}", result.value)
        meaningful = re.sub(r"[\s\-\u2010-\u2015\u2212]", "", normalise(text))
        assert meaningful == result.value


@given(
    digits=st.text(alphabet="0123456789", min_size=0, max_size=12),
    data=st.data(),
)
def test_pickup_code_ok_iff_six_digits(digits: str, data: st.DataObject) -> None:
    written = "".join(
        (to_devanagari(d) if data.draw(st.booleans()) else d)
        + data.draw(st.sampled_from(["", "", " ", "-"]))
        for d in digits
    )
    result = parse_pickup_code(written)
    if len(digits) == 6:
        assert result == Ok(digits)
    elif digits:
        assert result == Invalid(CodeError.NOT_SIX_DIGITS)
    else:
        assert result == Invalid(CodeError.EMPTY)


# ------------------------------------------------------------------ tracking id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ABC12345", "ABC12345"),
        ("abc12345", "ABC12345"),
        ("  SF1234567890  ", "SF1234567890"),
        ("1234567890123", "1234567890123"),
        ("FMPC-1234-5678", "FMPC-1234-5678"),
        ("x" * 30, "X" * 30),
        ("１２３４５６７８", "12345678"),  # full-width
        ("१२३४५६७८", "12345678"),
    ],
)
def test_parse_tracking_id_accepts(text: str, expected: str) -> None:
    assert parse_tracking_id(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", TrackingError.EMPTY),
        ("   ", TrackingError.EMPTY),
        ("ABC1234", TrackingError.TOO_SHORT),
        ("A", TrackingError.TOO_SHORT),
        ("A" * 31, TrackingError.TOO_LONG),
        ("ABC_12345", TrackingError.BAD_CHARACTERS),
        ("ABC#1", TrackingError.BAD_CHARACTERS),  # characters are checked before length
        ("ÄBC12345", TrackingError.BAD_CHARACTERS),
        ("ABC12345,XYZ98765", TrackingError.BAD_CHARACTERS),
    ],
)
def test_parse_tracking_id_rejects(text: str, reason: TrackingError) -> None:
    assert parse_tracking_id(text) == Invalid(reason)


def test_parse_tracking_ids_multi_line() -> None:
    text = "abc12345\n\n  ABC12345 \nbad id!\r\nSF1234567890\nshort\n   \nsf1234567890\n"
    assert parse_tracking_ids(text) == [
        (1, "abc12345", Ok("ABC12345")),
        (4, "bad id!", Invalid(TrackingError.BAD_CHARACTERS)),
        (5, "SF1234567890", Ok("SF1234567890")),
        (6, "short", Invalid(TrackingError.TOO_SHORT)),
    ]


def test_parse_tracking_ids_empty_and_invalid_repeats() -> None:
    assert parse_tracking_ids("") == []
    assert parse_tracking_ids("\n \n") == []
    assert parse_tracking_ids("bad!\nbad!") == [
        (1, "bad!", Invalid(TrackingError.BAD_CHARACTERS)),
        (2, "bad!", Invalid(TrackingError.BAD_CHARACTERS)),
    ]


@given(st.text())
def test_tracking_id_ok_is_canonical(text: str) -> None:
    result = parse_tracking_id(text)
    if isinstance(result, Ok):
        assert re.fullmatch(r"[A-Z0-9-]{8,30}", result.value)
        assert parse_tracking_id(result.value) == result
        assert parse_tracking_id(result.value.lower()) == result


# -------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sharma General Store", "Sharma General Store"),
        ("  Sharma   General\nStore ", "Sharma General Store"),
        ("AB", "AB"),
        ("शर्मा किराना", "शर्मा किराना"),
        ("x" * 80, "x" * 80),
        ("७८६ Stores", "७८६ Stores"),  # shown back as typed
    ],
)
def test_parse_shop_name_accepts(text: str, expected: str) -> None:
    assert parse_shop_name(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", TextError.TOO_SHORT),
        ("   ", TextError.TOO_SHORT),
        ("A", TextError.TOO_SHORT),
        ("x" * 81, TextError.TOO_LONG),
    ],
)
def test_parse_shop_name_rejects(text: str, reason: TextError) -> None:
    assert parse_shop_name(text) == Invalid(reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ramesh Kumar", "Ramesh Kumar"),
        ("रमेश  पाटील", "रमेश पाटील"),
        ("Jo", "Jo"),
        ("R. K. Sharma", "R. K. Sharma"),
        ("y" * 60, "y" * 60),
    ],
)
def test_parse_person_name_accepts(text: str, expected: str) -> None:
    assert parse_person_name(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", TextError.TOO_SHORT),
        ("R", TextError.TOO_SHORT),
        ("y" * 61, TextError.TOO_LONG),
        ("12345", TextError.NO_LETTER),
        ("-- ..", TextError.NO_LETTER),
        ("😀😀", TextError.NO_LETTER),
    ],
)
def test_parse_person_name_rejects(text: str, reason: TextError) -> None:
    assert parse_person_name(text) == Invalid(reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shop 4, MG Road, Pune", "Shop 4, MG Road, Pune"),
        ("Shop 4,\n MG   Road\n\nPune ४११००१", "Shop 4, MG Road, Pune ४११००१"),
        ("Plot7", "Plot7"),
        ("a" * 200, "a" * 200),
    ],
)
def test_parse_address_accepts(text: str, expected: str) -> None:
    assert parse_address(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", TextError.TOO_SHORT),
        ("Pune", TextError.TOO_SHORT),
        ("a" * 201, TextError.TOO_LONG),
    ],
)
def test_parse_address_rejects(text: str, reason: TextError) -> None:
    assert parse_address(text) == Invalid(reason)


# ------------------------------------------------------------------ opening hours


def hours(open_: str, close: str) -> OpeningHours:
    def t(s: str) -> time:
        return MIDNIGHT_CLOSE if s == "24:00" else time.fromisoformat(s)

    return OpeningHours(t(open_), t(close))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9-21", "09:00–21:00"),
        ("09:00-21:00", "09:00–21:00"),
        ("9:30-21:30", "09:30–21:30"),
        ("9am-9pm", "09:00–21:00"),
        ("9 AM - 9 PM", "09:00–21:00"),
        ("9 a.m. to 9 p.m.", "09:00–21:00"),
        ("9.30-21.00", "09:30–21:00"),
        ("9–21", "09:00–21:00"),
        ("9 — 21", "09:00–21:00"),
        ("9 to 21", "09:00–21:00"),
        ("9 TO 21", "09:00–21:00"),
        ("९-२१", "09:00–21:00"),
        ("९:३० ते २१:००", "09:30–21:00"),
        ("9 से 9 तक", "09:00–21:00"),
        ("7 - 11pm", "07:00–23:00"),
        ("6:30am-10:15pm", "06:30–22:15"),
        ("12pm-8pm", "12:00–20:00"),
        ("9-9", "09:00–21:00"),  # close without am/pm, not after open: read as pm
        ("10-8", "10:00–20:00"),
        ("8-10", "08:00–22:00"),  # a 2-hour day: the close is read as pm (documented rule)
        ("9am-12am", "09:00–24:00"),
        ("9-0", "09:00–24:00"),
        ("9-24", "09:00–24:00"),
        ("0-24", "00:00–24:00"),
        ("00:00-24:00", "00:00–24:00"),
        ("24x7", "00:00–24:00"),
        ("24X7", "00:00–24:00"),
        ("24 x 7", "00:00–24:00"),
        ("24/7", "00:00–24:00"),
        ("24 hours", "00:00–24:00"),
        ("२४x७", "00:00–24:00"),
        ("12am-12am", "00:00–24:00"),
    ],
)
def test_parse_hours_accepts(text: str, expected: str) -> None:
    result = parse_hours(text)
    assert isinstance(result, Ok), result
    assert str(result.value) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", HoursError.EMPTY),
        ("  ", HoursError.EMPTY),
        ("hello", HoursError.BAD_FORMAT),
        ("9", HoursError.BAD_FORMAT),
        ("9-", HoursError.BAD_FORMAT),
        ("9 21", HoursError.BAD_FORMAT),
        ("9:3-21", HoursError.BAD_FORMAT),
        ("9-21-23", HoursError.BAD_FORMAT),
        ("morning to night", HoursError.BAD_FORMAT),
        ("25-26", HoursError.BAD_TIME),
        ("9-25", HoursError.BAD_TIME),
        ("9:75-21", HoursError.BAD_TIME),
        ("9-24:30", HoursError.BAD_TIME),
        ("24-24", HoursError.BAD_TIME),
        ("13pm-9pm", HoursError.BAD_TIME),
        ("0am-9pm", HoursError.BAD_TIME),
        ("18-2", HoursError.CLOSE_BEFORE_OPEN),  # overnight: not supported
        ("22-6", HoursError.CLOSE_BEFORE_OPEN),
        ("21-9", HoursError.CLOSE_BEFORE_OPEN),
        ("9pm-9am", HoursError.CLOSE_BEFORE_OPEN),
        ("9am-9am", HoursError.CLOSE_BEFORE_OPEN),
        ("21:00-20:00", HoursError.CLOSE_BEFORE_OPEN),
    ],
)
def test_parse_hours_rejects(text: str, reason: HoursError) -> None:
    assert parse_hours(text) == Invalid(reason)


def test_opening_hours_value() -> None:
    h = hours("09:00", "21:00")
    assert parse_hours("9am-9pm") == Ok(h)
    assert not h.all_day
    assert h.is_open_at(time(9, 0))
    assert h.is_open_at(time(20, 59))
    assert not h.is_open_at(time(21, 0))
    assert not h.is_open_at(time(8, 59))
    late = hours("09:00", "24:00")
    assert late.close == MIDNIGHT_CLOSE
    assert late.is_open_at(time(23, 59, 59))
    assert not late.all_day
    always = hours("00:00", "24:00")
    assert always.all_day
    assert always.is_open_at(time(3, 0))
    assert str(always) == "00:00–24:00"


_minute_of_day = st.integers(min_value=0, max_value=24 * 60)


@given(_minute_of_day, _minute_of_day)
def test_hours_str_round_trips(a: int, b: int) -> None:
    start, end = sorted((a, b))
    if start == end or start == 24 * 60:
        return

    def clock(m: int) -> time:
        return MIDNIGHT_CLOSE if m == 24 * 60 else time(m // 60, m % 60)

    h = OpeningHours(clock(start), clock(end))
    if start >= 10 * 60 and 10 * 60 <= end <= 12 * 60 and end - start < 6 * 60:
        # "10:00–11:30" reads like "10-11:30": a short day, the close is read as pm.
        h = OpeningHours(h.open, clock(end + 12 * 60) if end < 12 * 60 else MIDNIGHT_CLOSE)
    text = f"{clock(start):%H:%M}–" + ("24:00" if end == 24 * 60 else f"{clock(end):%H:%M}")
    assert parse_hours(text) == Ok(h)
    assert parse_hours(text.replace("–", " to ")) == Ok(h)
    assert parse_hours(to_devanagari(text)) == Ok(h)


@given(st.text())
def test_hours_ok_always_has_close_after_open(text: str) -> None:
    result = parse_hours(text)
    if isinstance(result, Ok):
        assert result.value.close > result.value.open


# -------------------------------------------------------------------- capacity


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("50", 50), (" 50 ", 50), ("050", 50), ("५०", 50), ("500", 500), ("+20", 20)],
)
def test_parse_capacity_accepts(text: str, expected: int) -> None:
    assert parse_capacity(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", CapacityError.NOT_NUMBER),
        ("fifty", CapacityError.NOT_NUMBER),
        ("5.5", CapacityError.NOT_NUMBER),
        ("1,000", CapacityError.NOT_NUMBER),
        ("0", CapacityError.TOO_SMALL),
        ("000", CapacityError.TOO_SMALL),
        ("-5", CapacityError.TOO_SMALL),
        ("501", CapacityError.TOO_LARGE),
        ("99999999999999999999", CapacityError.TOO_LARGE),
        ("9" * 5000, CapacityError.TOO_LARGE),
    ],
)
def test_parse_capacity_rejects(text: str, reason: CapacityError) -> None:
    assert parse_capacity(text) == Invalid(reason)


@given(st.integers(min_value=-10_000, max_value=10_000), st.booleans())
def test_capacity_matches_integer_range(n: int, devanagari: bool) -> None:
    text = to_devanagari(str(n)) if devanagari else str(n)
    result = parse_capacity(text)
    if 1 <= n <= 500:
        assert result == Ok(n)
    elif n < 1:
        assert result == Invalid(CapacityError.TOO_SMALL)
    else:
        assert result == Invalid(CapacityError.TOO_LARGE)


# ------------------------------------------------------------------------- UPI


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ramesh@okaxis", "ramesh@okaxis"),
        ("Ramesh.K@OkAxis", "ramesh.k@okaxis"),
        ("9876543210@ybl", "9876543210@ybl"),
        (" shop_1@paytm ", "shop_1@paytm"),
        ("sharma-store@oksbi", "sharma-store@oksbi"),
        ("ab@xy", "ab@xy"),
        ("ramesh＠okaxis", "ramesh@okaxis"),  # full-width at sign
    ],
)
def test_parse_upi_id_accepts(text: str, expected: str) -> None:
    assert parse_upi_id(text) == Ok(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", UpiError.EMPTY),
        ("  ", UpiError.EMPTY),
        ("ramesh", UpiError.BAD_FORMAT),
        ("a@ybl", UpiError.BAD_FORMAT),
        ("ramesh@y", UpiError.BAD_FORMAT),
        ("ramesh@ok1", UpiError.BAD_FORMAT),
        ("ram esh@ybl", UpiError.BAD_FORMAT),
        ("ramesh@@ybl", UpiError.BAD_FORMAT),
        ("ramesh@ybl.com", UpiError.BAD_FORMAT),
        ("रमेश@ybl", UpiError.BAD_FORMAT),
        ("x" * 257 + "@ybl", UpiError.BAD_FORMAT),
        ("ramesh@" + "a" * 65, UpiError.BAD_FORMAT),
    ],
)
def test_parse_upi_id_rejects(text: str, reason: UpiError) -> None:
    assert parse_upi_id(text) == Invalid(reason)


# ------------------------------------------------------------ all parsers: totality

_SHOWN_AS_TYPED = (parse_shop_name, parse_person_name, parse_address)

_PARSERS: list[Callable[[str], object]] = [
    parse_mobile,
    parse_pin_code,
    parse_tracking_id,
    parse_pickup_code,
    parse_shop_name,
    parse_person_name,
    parse_address,
    parse_hours,
    parse_capacity,
    parse_upi_id,
]


@settings(deadline=None)
@given(st.text())
def test_parsers_never_raise_and_ok_values_are_normalised(text: str) -> None:
    for parser in _PARSERS:
        result = parser(text)
        assert isinstance(result, Ok | Invalid)
        if isinstance(result, Ok) and isinstance(result.value, str):
            value = result.value
            assert value == value.strip()
            assert unicodedata.normalize("NFKC", value) == value
            if parser not in _SHOWN_AS_TYPED:  # free text keeps its digits ("दुकान ४")
                assert to_ascii_digits(value) == value
