"""Forged or garbled callback data on every registered button pattern: a stale button, never
an exception, never an apology, nothing changed."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler

from bot.handlers.callbacks import MAX_INT, parse
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness

APOLOGY = "Sorry, something went wrong"
# Every action a button of ours packs (grep "pack(" bot/handlers), and some that none does.
ACTIONS = ["set", "ok", "no", "all", "nf", "nm", "rest", "code", "ext", "edit", "submit",
           "resume", "refuse", "skip", "why", "page", "stop", "send", "cancel", "lang", "aud",
           "x"]
BAD_NUMBERS = ["--1", "-1", "99999999999999999999999", str(MAX_INT + 1), "1e3", "0x10", "",
               "٣", "1.5", "+7", "9223372036854775807"]


def registered_features(harness: Harness) -> list[str]:
    features = []
    for handlers in harness.app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                match = re.match(r"\^1:(\w+):", handler.pattern.pattern)
                assert match, handler.pattern.pattern
                features.append(match.group(1))
    return features


@pytest.mark.parametrize("number", ["--1", "99999999999999999999999", "-5", "٣", "1_0", " 1"])
def test_int_arg_refuses_what_is_not_a_plain_id(number: str) -> None:
    cb = parse(f"1:pk:ok:{number}") or parse("1:pk:ok:x")
    assert cb is not None
    assert cb.int_arg(0) is None


@given(st.integers(min_value=0, max_value=MAX_INT))
def test_int_arg_reads_every_id_sqlite_can_hold(n: int) -> None:
    cb = parse(f"1:pk:ok:{n}")
    assert cb is not None and cb.int_arg(0) == n


@given(st.text(max_size=70))
def test_parse_never_raises(data: str) -> None:
    cb = parse(data)
    if cb is not None:
        for i in range(len(cb.args) + 1):
            value = cb.int_arg(i)
            assert value is None or 0 <= value <= MAX_INT


async def test_forged_data_on_every_button_is_a_stale_button(harness: Harness, caplog) -> None:
    admin = await harness.person(ADMIN_ID, "en")
    user = await harness.person(101, "en")
    features = registered_features(harness)
    assert {"lang", "menu", "ob", "pk", "bc"} <= set(features) or len(features) >= 8, features
    caplog.set_level(logging.ERROR)
    for person in (admin, user):
        await person.send("/start")
        for feature in features:
            for action in ACTIONS:
                for arg in BAD_NUMBERS:
                    data = f"1:{feature}:{action}:{arg}" if arg else f"1:{feature}:{action}"
                    await harness.feed(person.fake.press_forged(data))
        seen = [m.text or "" for m in person.new()]
        assert not [t for t in seen if APOLOGY in t], seen
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors][:5]
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM stores") == 0
    assert await harness.svc.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
