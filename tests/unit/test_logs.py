"""Log lines: one per handled update with what an operator needs, never a secret, plain or JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import logging_setup
from bot.ops.update_log import LoggingApplication, instrument_handlers
from tests.fakebotapi import FakeBotAPI, FakeRequest
from tests.flows.harness import Harness

TOKEN_TAIL = "AAFakeBotApiTokenForTests"


def capture(fmt: str, token: str) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging_setup.formatter(fmt))
    handler.addFilter(logging_setup.Redact(token))
    logger = logging.getLogger(f"test.logs.{fmt}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_token_and_phone_numbers_never_reach_a_line(fmt: str) -> None:
    token = "123456789:" + TOKEN_TAIL + "-0123456789"
    logger, out = capture(fmt, token)
    logger.info("GET https://api.telegram.org/bot%s/getMe for +919876543210", token)
    try:
        raise RuntimeError(f"failed for +919822012345 at /bot{token}/sendMessage")
    except RuntimeError:
        logger.exception("send failed")
    text = out.getvalue()
    assert TOKEN_TAIL not in text
    assert "9876543210" not in text and "9822012345" not in text
    assert "+********3210" in text and "+********2345" in text
    assert "<bot-token>" in text
    if fmt == "json":
        lines = [json.loads(line) for line in text.splitlines()]
        assert [line["level"] for line in lines] == ["INFO", "ERROR"]
        assert "Traceback" in lines[1]["exc_info"]
        assert lines[0]["time"].endswith("+00:00")


def test_json_lines_carry_the_extra_fields() -> None:
    logger, out = capture("json", "")
    logger.info("update %s", 7, extra={"update_id": 7, "handler": "start.start"})
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["message"] == "update 7" and line["update_id"] == 7
    assert line["handler"] == "start.start" and line["logger"].startswith("test.logs")


async def test_one_line_per_update_with_handler_outcome_and_duration(
        caplog: pytest.LogCaptureFixture) -> None:
    api = FakeBotAPI()
    app = (Application.builder().token(api.token).request(FakeRequest(api))
           .application_class(LoggingApplication).build())

    async def hello(update: Update, context: object) -> None:
        await update.effective_chat.send_message("hi")

    async def boom(update: Update, context: object) -> None:
        raise RuntimeError("handler failed")

    app.add_handler(CommandHandler("hello", hello))
    app.add_handler(CommandHandler("boom", boom))
    app.add_error_handler(lambda update, context: _noop())
    instrument_handlers(app)
    asha = api.user(1001)
    caplog.set_level(logging.INFO, logger="bot.updates")
    async with app:
        for text in ("/hello", "/boom", "just text"):
            await app.process_update(Update.de_json(asha.send_text(text), app.bot))
    lines = [r for r in caplog.records if r.name == "bot.updates"]
    assert [(r.handler, r.outcome) for r in lines] == [
        ("test_logs.test_one_line_per_update_with_handler_outcome_and_duration.<locals>.hello",
         "ok"),
        ("test_logs.test_one_line_per_update_with_handler_outcome_and_duration.<locals>.boom",
         "error"),
        ("-", "unhandled"),
    ]
    assert [r.update_id for r in lines] == [10001, 10002, 10003]
    assert {r.user_id for r in lines} == {1001} and {r.kind for r in lines} == {"message"}
    assert all(r.duration_ms >= 0 for r in lines)
    assert "just text" not in caplog.text and "/hello" not in caplog.text


async def _noop() -> None:
    return None


async def test_the_bots_handlers_are_named_in_the_line(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(tmp_path)
    await h.start()
    caplog.set_level(logging.INFO, logger="bot.updates")
    try:
        meera = h.stranger(301, tg_language="en", first_name="Meera")
        await meera.send("/start")
        await meera.press("English")
        await meera.send("9876543210")
    finally:
        await h.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.updates"]
    assert len(lines) == 3
    assert "handler=start.start outcome=ok" in lines[0]
    assert "kind=callback_query handler=start.language_chosen outcome=ok" in lines[1]
    assert "handler=router.route_message outcome=ok" in lines[2]
    assert all(" user 301 " in line for line in lines)
    assert "9876543210" not in caplog.text
