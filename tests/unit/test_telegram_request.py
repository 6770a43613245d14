"""The bot's HTTP transport (``bot/telegram_request.py``) over real HTTP against the fake Bot API:
what each kind of network failure becomes, and whether the sender may know that Telegram never
saw the request (``fate_known``: safe to send again) or not (it may have been delivered).

Ordinary calls, uploads and downloads are covered by tests/unit/test_fakebotapi.py, whose HTTP
half runs on this transport.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.outbox.errors import Verdict, fate_known, judge
from bot.telegram_request import AiohttpRequest
from tests.fakebotapi import FakeBotAPI, FakeBotAPIServer

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHAT = 4242


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeBotAPI, FakeBotAPIServer]]:
    api = FakeBotAPI()
    api.user(CHAT, first_name="Asha")
    server = FakeBotAPIServer(api)
    await server.start()
    try:
        yield api, server
    finally:
        await server.stop()


def _bot(api: FakeBotAPI, server: FakeBotAPIServer, request: AiohttpRequest) -> Bot:
    return Bot(api.token, base_url=server.base_url, base_file_url=server.file_url,
               request=request, get_updates_request=AiohttpRequest(1))


async def test_telegram_errors_come_back_as_ptbs_own(served) -> None:  # noqa: ANN001
    api, server = served
    async with _bot(api, server, AiohttpRequest(4)) as bot:
        api.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "hello")
        api.fail_next("sendMessage", 403)
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "hello")
        api.fail_next("sendMessage", 502)
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(CHAT, "hello")
        assert fate_known(failed.value)  # Telegram answered: it did not send it
        sent = await bot.send_message(CHAT, "नमस्ते <b>Asha</b>", parse_mode="HTML")
        assert sent.text == "नमस्ते Asha"
    assert api.sent_texts(CHAT) == ["नमस्ते Asha"]


async def test_a_dropped_connection_may_have_been_delivered(served) -> None:  # noqa: ANN001
    api, server = served
    async with _bot(api, server, AiohttpRequest(4)) as bot:
        api.reset_next("sendMessage")
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(CHAT, "hello")
        assert not fate_known(failed.value)
        assert judge(failed.value).verdict is Verdict.RETRY
        await bot.send_message(CHAT, "again")  # the pool recovers
    assert api.sent_texts(CHAT) == ["again"]


async def test_an_answer_that_never_comes_is_a_timeout_of_unknown_fate(served) -> None:  # noqa: ANN001
    api, server = served
    release = asyncio.Event()
    async with _bot(api, server, AiohttpRequest(4, read_timeout=0.3)) as bot:
        api.hang_next("sendMessage", until=release)
        with pytest.raises(TimedOut) as failed:
            await bot.send_message(CHAT, "hello")
        assert not fate_known(failed.value)
        release.set()


async def test_no_free_connection_is_a_timeout_telegram_never_saw(served) -> None:  # noqa: ANN001
    api, server = served
    release = asyncio.Event()
    async with _bot(api, server, AiohttpRequest(1, read_timeout=None, pool_timeout=0.1,
                                     connect_timeout=0.1)) as bot:
        api.hang_next("sendMessage", until=release)
        first = asyncio.create_task(bot.send_message(CHAT, "first"))
        # the first request holds the only connection
        await api.wait_for(lambda: api.injected_faults, description="the first request hangs")
        with pytest.raises(TimedOut) as failed:
            await bot.send_message(CHAT, "second")
        assert fate_known(failed.value)
        release.set()
        await first
    assert api.sent_texts(CHAT) == ["first"]


async def test_nobody_listening_is_known_not_sent(served) -> None:  # noqa: ANN001
    api, _ = served
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    request = AiohttpRequest(2)
    await request.initialize()
    bot = Bot(api.token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(CHAT, "hello")
        assert fate_known(failed.value)
    finally:
        await request.shutdown()


async def test_after_shutdown_a_request_means_stopping(served) -> None:  # noqa: ANN001
    api, server = served
    request = AiohttpRequest(2)
    bot = _bot(api, server, request)
    async with bot:
        pass
    with pytest.raises(NetworkError) as failed:
        await bot.send_message(CHAT, "late")
    assert judge(failed.value).verdict is Verdict.STOPPING
    await request.initialize()  # and it can be started again (PTB may re-initialize)
    try:
        await bot.send_message(CHAT, "back")
    finally:
        await request.shutdown()
    assert api.sent_texts(CHAT) == ["back"]


async def test_proxy_variables_are_read_and_no_proxy_is_honoured(
        served, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    api, server = served
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("NO_PROXY", "example.invalid")
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        # The proxy is used (and is down): the request never left.
        with pytest.raises(NetworkError) as failed:
            await _bot(api, server, request).send_message(CHAT, "via proxy")
        assert fate_known(failed.value)
    finally:
        await request.shutdown()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with _bot(api, server, AiohttpRequest(2)) as bot:
        await bot.send_message(CHAT, "direct")
    assert api.sent_texts(CHAT) == ["direct"]


def test_an_error_quoting_the_url_does_not_carry_the_token() -> None:
    """Errors may be stored (an undelivered message's error) and shown to admins."""
    from bot.telegram_request import _without_token

    token = "123456:AAH-secret_Token"
    for url in (f"https://api.telegram.org/bot{token}/sendMessage",
                f"https://api.telegram.org/file/bot{token}/documents/file_1.csv"):
        cleaned = _without_token(f"ClientResponseError: 500, message='x', url='{url}'")
        assert token not in cleaned and "<bot-token>" in cleaned


async def test_a_slow_download_is_not_cut_off_but_a_slow_call_is() -> None:
    """A file (a label photo, a manifest) may take long on a slow link while its bytes keep
    coming: only the read timeout (between two reads) applies. An ordinary call has an
    overall ceiling, the sum of its timeouts, so that it can never hang for ever."""
    from aiohttp import web

    async def trickle(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse()
        answer.content_type = "application/json"
        await answer.prepare(request)
        for _ in range(8):  # 0.8 s in all, a chunk every 0.1 s
            await answer.write(b" ")
            await asyncio.sleep(0.1)
        await answer.write(b'{"ok": true, "result": true}')
        return answer

    app = web.Application()
    app.router.add_get("/file/photo.jpg", trickle)
    app.router.add_post("/bot/getMe", trickle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest(2, read_timeout=0.3, write_timeout=0.1, connect_timeout=0.1,
                             pool_timeout=0.1)  # an overall ceiling of 0.6 s for a call
    await request.initialize()
    try:
        body = await request.retrieve(f"http://127.0.0.1:{port}/file/photo.jpg")
        assert body.endswith(b'"result": true}')
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot/getMe")
    finally:
        await request.shutdown()
        await runner.cleanup()
