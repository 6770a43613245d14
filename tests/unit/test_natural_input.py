"""What shopkeepers really type, in each language: the parsers read it, or refuse it with a reason.

Each table is (language, typed, expected). Hours are compared as ``HH:MM–HH:MM``.
"""

from __future__ import annotations

import pytest

from bot.validation import (
    CapacityError,
    CodeError,
    HoursError,
    Invalid,
    Ok,
    PhoneError,
    PinError,
    TrackingError,
    UpiError,
    parse_address,
    parse_capacity,
    parse_hours,
    parse_mobile,
    parse_pickup_code,
    parse_pin_code,
    parse_tracking_id,
    parse_tracking_ids,
    parse_upi_id,
)

HOURS = [
    # Without am/pm: a closing hour 1-12 that would make a short day means pm (documented).
    ("en", "8-10", "08:00–22:00"),
    ("mr", "8 ते 10", "08:00–22:00"),
    ("en", "7-11", "07:00–23:00"),
    ("hi", "6 से 10", "06:00–22:00"),
    ("hi", "9 बजे से 9 बजे तक", "09:00–21:00"),
    ("en", "9-12", "09:00–24:00"),
    ("en", "10-4", "10:00–16:00"),
    ("en", "8-14", "08:00–14:00"),
    ("en", "08:00-10:00", "08:00–10:00"),  # zero-padded: the 24-hour clock, as written
    ("en", "9-21", "09:00–21:00"),
    # Day-period words, before or after the number.
    ("mr", "सकाळी ९ ते रात्री ९", "09:00–21:00"),
    ("mr", "सकाळी 9 पासून रात्री 9 पर्यंत", "09:00–21:00"),
    ("mr", "सकाळी ९ वाजता ते रात्री १० वाजता", "09:00–22:00"),
    ("mr", "सकाळी 7 ते रात्री 11", "07:00–23:00"),
    ("mr", "दुपारी 12 ते संध्याकाळी 7", "12:00–19:00"),
    ("mr", "पहाटे 5 ते सकाळी 11", "05:00–11:00"),
    ("mr", "सकाळी 10 ते रात्री 12", "10:00–24:00"),
    ("hi", "सुबह 9 से रात 9 बजे तक", "09:00–21:00"),
    ("hi", "सुबह 8 बजे से रात 10 बजे तक", "08:00–22:00"),
    ("hi", "8 बजे सुबह से रात 10 बजे तक", "08:00–22:00"),
    ("hi", "सुबह 9:30 से शाम 6:30 बजे तक", "09:30–18:30"),
    ("hi", "शाम 5 से रात 11 बजे तक", "17:00–23:00"),
    ("hi", "दोपहर 2 से रात 9", "14:00–21:00"),
    ("mr", "सकाळी ९ ते रात्री ९ वाजेपर्यंत", "09:00–21:00"),
    ("mr", "सकाळी ९ वाजल्यापासून रात्री १० वाजेपर्यंत", "09:00–22:00"),
    # Typed in Latin letters, as many do on a phone keyboard.
    ("hi", "subah 9 se raat 9 baje tak", "09:00–21:00"),
    ("hi", "9 se 9 tak", "09:00–21:00"),
    ("mr", "sakali 9 te ratri 9", "09:00–21:00"),
    ("en", "9 am to 9 pm", "09:00–21:00"),
    ("en", "9 in the morning to 9 at night".replace(" in the ", " ").replace(" at ", " "),
     "09:00–21:00"),
    ("en", "10 am – midnight", "10:00–24:00"),
    ("en", "7 am – 12 noon", "07:00–12:00"),
    # Round the clock, in all three languages (and the button labels read back).
    ("en", "24 hours", "00:00–24:00"),
    ("en", "Open 24 hours", "00:00–24:00"),
    ("en", "24x7", "00:00–24:00"),
    ("hi", "24 घंटे", "00:00–24:00"),
    ("hi", "२४ घंटे खुला", "00:00–24:00"),
    ("hi", "दिनभर", "00:00–24:00"),
    ("mr", "24 तास", "00:00–24:00"),
    ("mr", "२४ तास उघडे", "00:00–24:00"),
    ("mr", "दिवसभर", "00:00–24:00"),
    # The shop's own words as shown on the preset buttons read back.
    ("en", "9 am – 9 pm", "09:00–21:00"),
    ("hi", "सुबह 7 से रात 11 बजे तक", "07:00–23:00"),
    ("mr", "सकाळी 10 ते रात्री 8", "10:00–20:00"),
]


@pytest.mark.parametrize(("lang", "typed", "expected"), HOURS)
def test_hours_people_type(lang: str, typed: str, expected: str) -> None:
    result = parse_hours(typed)
    assert isinstance(result, Ok), (lang, typed, result)
    assert str(result.value) == expected


HOURS_REFUSED = [
    ("en", "9-1 and 4-9", HoursError.SPLIT_SHIFT),
    ("en", "9-1, 4-9", HoursError.SPLIT_SHIFT),
    ("hi", "सुबह 9 से 1 और शाम 4 से 9", HoursError.SPLIT_SHIFT),
    ("mr", "9 ते 1 आणि 4 ते 9", HoursError.SPLIT_SHIFT),
    ("mr", "रात्री 10 ते सकाळी 6", HoursError.CLOSE_BEFORE_OPEN),
    ("hi", "सुबह", HoursError.BAD_FORMAT),
    ("en", "25-26", HoursError.BAD_TIME),
]


@pytest.mark.parametrize(("lang", "typed", "reason"), HOURS_REFUSED)
def test_hours_refused_with_a_reason(lang: str, typed: str, reason: HoursError) -> None:
    assert parse_hours(typed) == Invalid(reason), lang


LABELLED = [
    (parse_mobile, "mr", "मो. 9822012345", Ok("+919822012345")),
    (parse_mobile, "hi", "मोबाइल नंबर: 98220 12345", Ok("+919822012345")),
    (parse_mobile, "hi", "फ़ोन ९८२२०१२३४५", Ok("+919822012345")),
    (parse_mobile, "en", "Mobile No. +91-98220-12345", Ok("+919822012345")),
    (parse_mobile, "en", "98220 12345.", Ok("+919822012345")),
    (parse_mobile, "en", "call 98220 12345", Invalid(PhoneError.NOT_DIGITS)),
    (parse_pin_code, "en", "PIN: 411038", Ok("411038")),
    (parse_pin_code, "mr", "411038, पुणे", Ok("411038")),
    (parse_pin_code, "mr", "पिन कोड ४११०३८", Ok("411038")),
    (parse_pin_code, "en", "Pune - 411038", Ok("411038")),
    (parse_pin_code, "en", "411038.", Ok("411038")),
    (parse_pin_code, "en", "411038 411039", Invalid(PinError.NOT_SIX_DIGITS)),
    (parse_pin_code, "en", "PIN: 011038", Invalid(PinError.BAD_FIRST_DIGIT)),
    (parse_pickup_code, "hi", "कोड 482917", Ok("482917")),
    (parse_pickup_code, "en", "482917.", Ok("482917")),
    (parse_pickup_code, "mr", "पिकअप कोड ४८२ ९१७", Ok("482917")),
    (parse_pickup_code, "en", "Code: 482-917", Ok("482917")),
    (parse_pickup_code, "en", "code 48291", Invalid(CodeError.NOT_SIX_DIGITS)),
    (parse_capacity, "hi", "20 पार्सल", Ok(20)),
    (parse_capacity, "mr", "२० पार्सल", Ok(20)),
    (parse_capacity, "en", "50 parcels", Ok(50)),
    (parse_capacity, "en", "about 50", Invalid(CapacityError.NOT_NUMBER)),
    (parse_capacity, "hi", "600 पार्सल", Invalid(CapacityError.TOO_LARGE)),
    (parse_upi_id, "en", "UPI: ramesh@okaxis", Ok("ramesh@okaxis")),
    (parse_upi_id, "en", "ramesh @okaxis", Ok("ramesh@okaxis")),
    (parse_upi_id, "hi", "यूपीआई आईडी - Ramesh@OkAxis", Ok("ramesh@okaxis")),
    (parse_upi_id, "en", "ramesh okaxis", Invalid(UpiError.BAD_FORMAT)),
    (parse_tracking_id, "en", "ABC12345,", Ok("ABC12345")),
    (parse_tracking_id, "en", "JD014 6000 1234", Ok("JD01460001234")),
    (parse_tracking_id, "en", "AWB: SF1234567890", Ok("SF1234567890")),
    (parse_tracking_id, "hi", "ट्रैकिंग आईडी SF1234567890", Ok("SF1234567890")),
    (parse_tracking_id, "en", "ABC12345!", Invalid(TrackingError.BAD_CHARACTERS)),
]


@pytest.mark.parametrize(("parse", "lang", "typed", "expected"), LABELLED)
def test_labels_and_units_are_taken_off(parse, lang: str, typed: str, expected) -> None:
    assert parse(typed) == expected, lang


def test_several_ids_on_one_line() -> None:
    pasted = "ABC12345, XYZ98765,\nSF1234567890 SF1234567891"
    assert [r for _, _, r in parse_tracking_ids(pasted)] == [
        Ok("ABC12345"), Ok("XYZ98765"), Ok("SF1234567890"), Ok("SF1234567891")]


@pytest.mark.parametrize(
    "typed", ["दुकान ४, शिवाजी चौक, कोथरूड", "Shop ४, MG Road", "गाळा नं. १२, पुणे"]
)
def test_address_is_kept_as_typed(typed: str) -> None:
    assert parse_address(typed) == Ok(typed)


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_every_hours_example_we_show_is_read(lang: str) -> None:
    """The examples in the hours question and its answers (<code>…</code>) are accepted as
    typed, in each language, and so are the preset buttons."""
    import re

    from bot.handlers.onboarding import HOURS_PRESETS, QUESTION_TEXT, REASONS
    from bot.handlers.store_views import hours_range
    from bot.i18n import translator
    from bot.services.onboarding import Step

    t = translator(lang)
    texts = [t.gettext(QUESTION_TEXT[Step.HOURS])] + [
        t.gettext(message) for key, message in REASONS.items()
        if isinstance(key, tuple) and key[0] is Step.HOURS]
    examples = [e for text in texts for e in re.findall(r"<code>(.*?)</code>", text)]
    examples += [hours_range(lang, opens, closes) for opens, closes in HOURS_PRESETS]
    assert len(examples) >= 8
    for example in examples:
        assert isinstance(parse_hours(example), Ok), (lang, example)


@pytest.mark.parametrize(
    ("typed", "read_as_pm"),
    [("8-10", True), ("9-9", True), ("8 ते 10", True), ("9-21", False), ("9am-9pm", False),
     ("सकाळी 8 ते रात्री 10", False), ("सुबह 8 से सुबह 10 बजे तक", False),
     ("08:00-10:00", False), ("24 तास", False)],
)
def test_a_reading_by_the_pm_rule_is_marked(typed: str, read_as_pm: bool) -> None:
    """The handler tells the shopkeeper whenever the rule, not their words, set the close."""
    result = parse_hours(typed)
    assert isinstance(result, Ok) and result.value.read_as_pm is read_as_pm
