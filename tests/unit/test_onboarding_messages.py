"""Every way an onboarding answer can be wrong has its own short message, with an example."""

from __future__ import annotations

import pytest

from bot.domain import UserProfile
from bot.handlers.context import Who
from bot.handlers.onboarding import QUESTION_TEXT, REASONS, reason_text
from bot.i18n import LANGUAGES, translator
from bot.services.onboarding import QUESTIONS, Problem, Step
from bot.validation import (
    CapacityError,
    HoursError,
    PhoneError,
    PinError,
    TextError,
    UpiError,
)

# What each question's parser can answer, besides the Problems any question can have.
PARSER_REASONS = {
    Step.SHOP_NAME: [TextError.TOO_SHORT, TextError.TOO_LONG],
    Step.OWNER_NAME: list(TextError),
    Step.MOBILE: [*PhoneError, Problem.NOT_OWN_CONTACT],
    Step.ADDRESS: [TextError.TOO_SHORT, TextError.TOO_LONG],
    Step.PIN_CODE: list(PinError),
    Step.LOCATION: [Problem.EXPECTED_LOCATION, Problem.OUTSIDE_INDIA],
    Step.HOURS: list(HoursError),
    Step.CAPACITY: list(CapacityError),
    Step.UPI_ID: list(UpiError),
}
GENERAL = [Problem.EXPECTED_TEXT, Problem.CANNOT_SKIP, Problem.NOTHING_TO_KEEP,
           Problem.NO_PREVIOUS, Problem.USE_BUTTONS]


def _who(lang: str) -> Who:
    return Who(UserProfile(1, 1, "Asha", lang, lang, False), translator(lang))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("step", QUESTIONS)
def test_every_reason_of_every_question_has_its_own_message(lang: str, step: Step) -> None:
    w = _who(lang)
    fallback = w._("Please check your answer and try again.")
    texts = [reason_text(w, step, reason) for reason in PARSER_REASONS[step]]
    assert fallback not in texts
    assert len(set(texts)) == len(texts)  # each reason says something different
    for text in texts:
        assert "{" not in text  # every placeholder filled


def test_parser_reasons_name_an_example() -> None:
    for step, reasons in PARSER_REASONS.items():
        for reason in reasons:
            message = REASONS[(step, reason)]
            assert "e.g." in message or "📍" in message or "{location}" in message, message


def test_general_problems_have_messages_at_every_question() -> None:
    w = _who("en")
    fallback = w._("Please check your answer and try again.")
    for step in [*QUESTIONS, Step.SUMMARY]:
        for problem in GENERAL:
            assert reason_text(w, step, problem) != fallback


def test_every_question_has_an_example_or_buttons() -> None:
    assert set(QUESTION_TEXT) == set(QUESTIONS)
    for step, text in QUESTION_TEXT.items():
        assert "For example" in text or "{location}" in text, step
