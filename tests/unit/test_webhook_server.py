"""The webhook server over real HTTP: the secret token, stored before 200, refusals logged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import pytest

from bot.webhook import WebhookServer
from bot.webhook.server import SECRET_HEADER

SECRET = "s3cret-Token_42"
UPDATE = {"update_id": 5001, "message": {"message_id": 1, "date": 0, "text": "482917",
                                          "chat": {"id": 7, "type": "private"}}}


class Store:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[Mapping[str, Any]]] = []
        self.fail = fail

    async def __call__(self, updates: Iterable[Mapping[str, Any]]) -> None:
        await asyncio.sleep(0)
        if self.fail:
            raise OSError("disk I/O error")
        self.batches.append(list(updates))


async def serve(store: Store) -> tuple[WebhookServer, str]:
    server = WebhookServer("127.0.0.1", 0, "/tg/hook", SECRET, store)
    port = await server.start()
    return server, f"http://127.0.0.1:{port}/tg/hook"


async def test_only_the_right_secret_gets_in(caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    server, url = await serve(store)
    try:
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=UPDATE)
            wrong = await client.post(url, json=UPDATE, headers={SECRET_HEADER: "guess-123"})
            right = await client.post(url, json=UPDATE, headers={SECRET_HEADER: SECRET})
            other_path = await client.post(url + "x", json=UPDATE,
                                           headers={SECRET_HEADER: SECRET})
    finally:
        await server.stop()
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 403, 200)
    assert other_path.status_code == 404
    assert store.batches == [[UPDATE]]
    assert "without the secret token (401)" in caplog.text
    assert "wrong secret token (403)" in caplog.text
    assert "guess-123" not in caplog.text and SECRET not in caplog.text


async def test_not_an_update_is_400_and_its_body_is_not_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    server, url = await serve(store)
    try:
        async with httpx.AsyncClient() as client:
            headers = {SECRET_HEADER: SECRET}
            answers = [
                await client.post(url, content=b"{not json 482917", headers=headers),
                await client.post(url, json={"message": {"text": "482917"}}, headers=headers),
                await client.post(url, json={"update_id": "7"}, headers=headers),
                await client.post(url, json=[UPDATE], headers=headers),
            ]
    finally:
        await server.stop()
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert store.batches == []
    assert "482917" not in caplog.text


async def test_not_stored_is_500_so_telegram_sends_it_again() -> None:
    server, url = await serve(Store(fail=True))
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.post(url, json=UPDATE, headers={SECRET_HEADER: SECRET})
    finally:
        await server.stop()
    assert answer.status_code == 500


async def test_the_answer_waits_for_the_store() -> None:
    gate = asyncio.Event()
    stored: list[object] = []

    async def slow_store(updates: Iterable[Mapping[str, Any]]) -> None:
        await gate.wait()
        stored.extend(updates)

    server = WebhookServer("127.0.0.1", 0, "/", SECRET, slow_store)
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            post = asyncio.create_task(client.post(f"http://127.0.0.1:{port}/", json=UPDATE,
                                                   headers={SECRET_HEADER: SECRET}))
            done, _ = await asyncio.wait({post}, timeout=0.3)
            assert not done, "answered before the update was stored"
            gate.set()
            answer = await post
    finally:
        await server.stop()
    assert answer.status_code == 200 and stored == [UPDATE]


async def test_set_webhook_retried_through_an_outage_refused_when_bad() -> None:
    from telegram import Bot
    from telegram.error import BadRequest

    from bot.webhook import register_webhook
    from tests.fakebotapi import FakeBotAPI, FakeRequest

    api = FakeBotAPI()
    bot = Bot(api.token, request=FakeRequest(api))
    api.fail_next("setWebhook", 502, count=1)
    async with bot:
        assert await register_webhook(bot, "https://bot.example.com/hook", SECRET) is True
        assert [r.status for r in api.requests_for("setWebhook")] == [502, 200]
        assert api.webhook is not None and api.webhook["secret_token"] == SECRET

        api.fail_next("setWebhook", 502, count=1)
        stop = asyncio.Event()
        stop.set()  # the operator stops the bot while Telegram is unreachable: no hang
        assert await register_webhook(bot, "https://bot.example.com/hook", SECRET, stop) is False

        api.fail_next("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided")
        with pytest.raises(BadRequest):
            await register_webhook(bot, "https://bot.example.com/hook", SECRET)
