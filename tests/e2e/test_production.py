"""Production mode of the kirana-bot process: /healthz, the webhook, SIGTERM and SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.services.context import Services
from bot.storage.db import Database
from tests.e2e.test_broadcast_kill import RECIPIENTS, compose_and_send, prepare, report_sent
from tests.e2e.test_process import (  # noqa: F401 - server is a fixture
    KIRANA_BOT,
    BotProcess,
    server,
    start_bot,
    stop_bot,
)
from tests.factories import approved_store, linked_customer
from tests.fakebotapi import FakeBotAPI
from tests.flows.parcel_helpers import load_manifest

pytestmark = pytest.mark.e2e

SECRET = "kirana-Webhook_secret-42"
PUBLIC_URL = "https://bot.example.com/telegram/hook"
WEBHOOK_ENV = {
    "KIRANA_WEBHOOK_URL": PUBLIC_URL,
    "KIRANA_WEBHOOK_PORT": "0",
    "KIRANA_WEBHOOK_SECRET": SECRET,
}


def logged_url(bot: BotProcess, prefix: str) -> str:
    """The address the bot wrote to its log at start ("health: http://...")."""
    match = re.search(re.escape(prefix) + r" (http://\S+)", bot.log())
    assert match, bot.log()
    return match.group(1)


async def webhook_bot(api: FakeBotAPI, base_url: str, file_url: str, tmp_path: Path,
                      **env: str) -> tuple[BotProcess, str]:
    calls = api.count("setWebhook")
    bot = await start_bot(api, base_url, file_url, tmp_path, "--webhook", **WEBHOOK_ENV, **env)
    await api.wait_for(lambda: api.count("setWebhook") > calls, timeout=60,
                       description="setWebhook")
    return bot, logged_url(bot, "webhook: listening on")


class TelegramPush:
    """Telegram's side of a webhook: every update the fake API queues is POSTed, in order, with
    the secret token, to ``url`` (changed by the test when the bot restarts on a new port)."""

    def __init__(self, api: FakeBotAPI, url: str) -> None:
        self.api = api
        self.url = url
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                await self.api.wait_for(lambda: self.api.pending_updates, timeout=3600)
                batch = self.api.pending_updates
                self.api.drop_pending_updates()
                for update in batch:
                    answer = await client.post(self.url, json=update, headers={
                        "X-Telegram-Bot-Api-Secret-Token": SECRET})
                    assert answer.status_code == 200, answer.status_code

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def greetings(api: FakeBotAPI, user_id: int) -> int:
    return sum(1 for m in api.messages(user_id) if m.inline_keyboard
               and m.button_texts()[:1] in (["English"], ["हिंदी"], ["मराठी"]))


async def test_healthz_while_polling_and_503_when_the_database_is_gone(
        server, tmp_path) -> None:  # noqa: F811 - fixture
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    db_file = tmp_path / "kirana.sqlite3"
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        url = logged_url(bot, "health:")
        async with httpx.AsyncClient(timeout=10) as client:
            first = await client.get(url)
            assert first.status_code == 200, first.text
            body = first.json()
            assert body["status"] == "ok" and body["mode"] == "polling"
            assert body["database"]["reachable"] and body["database"]["migrations_current"]
            assert body["inbox"]["depth"] == 0 and body["last_update_handled_at"] is None
            assert body["broadcast_in_progress"] is False

            meera = api.user(301, first_name="Meera", language_code="en")
            meera.send_text("/start")
            await api.wait_for_messages(301, 1, timeout=20)
            await api.wait_for(lambda: "update 10001 user 301" in bot.log(), timeout=20)
            body = (await client.get(url)).json()
            assert body["last_update_handled_at"] is not None

            db_file.rename(tmp_path / "moved.sqlite3")
            gone = await client.get(url)
            assert gone.status_code == 503
            assert gone.json()["reasons"][0].startswith("database unreachable")
            (tmp_path / "moved.sqlite3").rename(db_file)
            assert (await client.get(url)).status_code == 200
    finally:
        code = await stop_bot(bot)
    log = bot.log()
    assert code == 0, log
    assert "update 10001 user 301 kind=message handler=start.start outcome=ok" in log
    assert "Traceback" not in log


async def test_webhook_takes_updates_only_with_the_secret(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot, hook = await webhook_bot(api, base_url, file_url, tmp_path)
    try:
        (registered,) = api.requests_for("setWebhook")
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["secret_token"] == SECRET
        assert str(registered.params.get("drop_pending_updates", "false")).lower() == "false"
        allowed = registered.params["allowed_updates"]
        allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
        assert {"message", "callback_query", "edited_message"} <= set(allowed)
        assert hook.endswith("/telegram/hook")

        asha = api.user(401, first_name="Asha", language_code="hi")
        start = asha.send_text("/start")
        api.drop_pending_updates()  # Telegram posts it instead of keeping it for getUpdates
        async with httpx.AsyncClient(timeout=10) as client:
            missing = await client.post(hook, json=start)
            wrong = await client.post(hook, json=start,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "not-it-77"})
            assert (missing.status_code, wrong.status_code) == (401, 403)
            right = await client.post(hook, json=start,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert right.status_code == 200
            (prompt,) = await api.wait_for_messages(401, 1, timeout=20)
            assert prompt.button_texts()[0] == "हिंदी"
            # Telegram sending the same update again (no 200 seen): handled once.
            again = await client.post(hook, json=start,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert again.status_code == 200
            press = asha.press("हिंदी")
            api.drop_pending_updates()
            assert (await client.post(hook, json=press, headers={
                "X-Telegram-Bot-Api-Secret-Token": SECRET})).status_code == 200
            messages = await api.wait_for_messages(401, 2, timeout=20)
            # The prompt (now showing the choice) and the menu: no second prompt.
            assert len(api.messages(401)) == 2, [m.text for m in messages]

            health = (await client.get(logged_url(bot, "health:"))).json()
            assert health["mode"] == "webhook" and health["status"] == "ok"
    finally:
        code = await stop_bot(bot)
    log = bot.log()
    assert code == 0, log
    assert api.arrivals["getUpdates"] == 0
    assert "without the secret token (401)" in log and "wrong secret token (403)" in log
    assert SECRET not in log and "not-it-77" not in log
    assert "Traceback" not in log


async def test_webhook_kill_9_right_after_the_200_loses_nothing(
        server, tmp_path) -> None:  # noqa: F811 - fixture
    api, base_url, file_url = server
    # One update at a time: most of the batch is still unhandled when the kill comes.
    bot, hook = await webhook_bot(api, base_url, file_url, tmp_path,
                                  KIRANA_UPDATE_CONCURRENCY="1")
    people = [api.user(500 + i, first_name="Ravi", language_code="en") for i in range(40)]
    updates = [p.send_text("/start") for p in people]
    api.drop_pending_updates()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answers = await asyncio.gather(*(
                client.post(hook, json=u, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                for u in updates))
            bot.proc.send_signal(signal.SIGKILL)  # the moment the last 200 arrived
        assert [a.status_code for a in answers] == [200] * len(updates)
    finally:
        await bot.proc.wait()
    answered_before = sum(1 for p in people if greetings(api, p.id))
    assert answered_before < len(people), "the kill came too late to test anything"

    bot, _ = await webhook_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: all(greetings(api, p.id) for p in people), timeout=60,
                           description="every stored update answered")
    finally:
        assert await stop_bot(bot) == 0, bot.log()
    # At most the reply in flight at the kill was sent twice.
    assert sum(greetings(api, p.id) for p in people) <= len(people) + 1


def _codes(messages: list) -> list[str]:
    from tests.flows.parcel_helpers import entity_texts

    return [code for m in messages for code in entity_texts(m, "code") if code.isdigit()]


async def prepare_wave(api: FakeBotAPI, db_path: Path, customers: list[int]) -> list[str]:
    db = await Database.open(db_path)
    svc = Services(settings=Settings(bot_token=api.token, db_path=db_path), db=db)
    _, store_code = await approved_store(svc, 201, capacity=100)
    rows = []
    for n, uid in enumerate(customers):
        phone = f"98220{uid:05d}"
        await linked_customer(svc, uid, "+91" + phone, language=("en", "hi", "mr")[n % 3])
        api.user(uid, first_name="Priya")
        rows.append((f"TRK{uid:08d}", store_code, phone, "Priya"))
    await load_manifest(svc, *rows)
    await db.close()
    return [r[0] for r in rows]


async def test_sigterm_mid_receive_wave_then_restart(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    customers = list(range(7001, 7031))
    ids = await prepare_wave(api, tmp_path / "kirana.sqlite3", customers)
    env = {"KIRANA_RATE_GLOBAL_PER_SECOND": "10",  # the wave takes seconds: time to stop in it
           "KIRANA_LOG_FORMAT": "json"}
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    ramesh = api.user(201, first_name="Ramesh", language_code="en")

    def notified() -> int:
        return sum(1 for uid in customers if api.delivered[uid])

    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        ramesh.send_text("/receive")
        await api.wait_for_messages(201, 1, timeout=20)
        ramesh.send_text("\n".join(ids))
        await api.wait_for(lambda: notified() >= 3, timeout=30, description="3 notices")
        bot.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.proc.wait(), 30)
    finally:
        if bot.proc.returncode is None:
            bot.proc.kill()
            await bot.proc.wait()
    log = bot.log()
    assert code == 0, log
    assert "stopping: no more updates are taken" in log
    at_stop = notified()

    polls = api.arrivals["getUpdates"]
    bot = await start_bot(api, base_url, file_url, tmp_path, **env)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > polls, timeout=60)
        await api.wait_for(lambda: notified() == len(customers), timeout=60,
                           description="every customer told")
        await api.wait_for(lambda: any((m.text or "").startswith("✅ Arrived (30)")
                                       for m in api.messages(201)), timeout=30,
                           description="the shopkeeper's report")
    finally:
        assert await stop_bot(bot) == 0, bot.log()
    # Each customer: one arrival notice, never a second one.
    for uid, tracking_id in zip(customers, ids, strict=True):
        notices = [m for m in api.messages(uid) if tracking_id in (m.text or "")]
        assert len(notices) == 1, (uid, at_stop, [m.text for m in api.messages(uid)])
        # The notice, and its map pin when that is a message of its own.
        assert api.delivered[uid] in (1, 2), (uid, api.delivered[uid])
    conn = sqlite3.connect(tmp_path / "kirana.sqlite3")
    unfinished = conn.execute("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL").fetchone()[0]
    arrived = conn.execute("SELECT COUNT(*) FROM parcels WHERE status = 'arrived'").fetchone()[0]
    conn.close()
    assert (unfinished, arrived) == (0, len(customers))
    assert "Traceback" not in log + bot.log()
    # Machine-readable logs: every line a JSON object; one per update with its fields; no phone
    # number in full, no pickup code, no token.
    lines = [json.loads(line) for line in (log + bot.log()).splitlines()]
    updates = [x for x in lines if x["logger"] == "bot.updates"]
    assert {"update_id", "user_id", "handler", "outcome", "duration_ms"} <= set(updates[0])
    assert any(x["user_id"] == 201 and x["handler"] == "router.route_message"
               and x["outcome"] == "ok" for x in updates)
    text = log + bot.log()
    assert not re.search(r"98220\d{5}", text) and api.token not in text
    codes = _codes([m for uid in customers for m in api.messages(uid)])
    fields = " ".join(str(v) for x in lines for k, v in x.items() if k != "time")
    assert codes and not any(re.search(rf"(?<!\d){c}(?!\d)", fields) for c in codes)


async def test_webhook_sigterm_mid_broadcast_then_restart(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    db_path = tmp_path / "kirana.sqlite3"
    await prepare(api, db_path)
    env = {"KIRANA_RATE_GLOBAL_PER_SECOND": "30"}

    def delivered() -> int:
        return sum(api.delivered[u] for u in RECIPIENTS)

    bot, hook = await webhook_bot(api, base_url, file_url, tmp_path, **env)
    telegram = TelegramPush(api, hook)
    try:
        await compose_and_send(api)
        await api.wait_for(lambda: delivered() >= 10, timeout=30, description="10 sent")
        bot.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.proc.wait(), 30)
        assert code == 0, bot.log()
        conn = sqlite3.connect(db_path)
        states = dict(conn.execute(
            "SELECT state, COUNT(*) FROM broadcast_recipients GROUP BY state").fetchall())
        conn.close()
        # Stopped at a clean point: nothing "unknown", nothing on its way.
        assert set(states) == {"sent", "pending"}, states
        assert states["sent"] == delivered()

        bot, telegram.url = await webhook_bot(api, base_url, file_url, tmp_path, **env)
        await api.wait_for(lambda: report_sent(api), timeout=60, description="the report")
    finally:
        await telegram.close()
        if bot.proc.returncode is None:
            assert await stop_bot(bot) == 0, bot.log()
    report = api.delivery_report(RECIPIENTS)
    assert (report.missing, report.duplicates) == ([], {})
    assert "Traceback" not in bot.log()


async def test_one_bot_per_database_and_no_restore_under_it(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        backup_dir = tmp_path / "backups"
        env = {"PATH": "/usr/bin:/bin", "KIRANA_DB_PATH": str(tmp_path / "kirana.sqlite3")}
        made = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "backup", f"{backup_dir}/", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await made.communicate()
        assert made.returncode == 0, err.decode()
        (copy,) = backup_dir.iterdir()
        restore = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "restore", str(copy), env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await restore.communicate()
        assert restore.returncode == 1
        assert f"kirana-bot run (pid {bot.proc.pid})" in err.decode()

        second_dir = tmp_path / "second"
        second_dir.mkdir()
        second = await start_bot(api, base_url, file_url, second_dir,
                                 KIRANA_DB_PATH=str(tmp_path / "kirana.sqlite3"))
        assert await asyncio.wait_for(second.proc.wait(), 60) == 1
        assert "not started: kirana-bot run (pid" in second.log()
    finally:
        assert await stop_bot(bot) == 0, bot.log()


async def test_webhook_port_in_use_stops_with_one_line(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        bot = await start_bot(api, base_url, file_url, tmp_path, "--webhook",
                              **{**WEBHOOK_ENV, "KIRANA_WEBHOOK_PORT": str(port)})
        code = await asyncio.wait_for(bot.proc.wait(), 60)
    finally:
        busy.close()
    assert code == 1
    assert f"webhook: cannot listen on 127.0.0.1:{port}" in bot.log()
    assert api.count("setWebhook") == 0 and "Traceback" not in bot.log()


async def test_backup_while_the_bot_handles_updates(server, tmp_path) -> None:  # noqa: F811
    api, base_url, file_url = server
    bot = await start_bot(api, base_url, file_url, tmp_path)
    people = [api.user(800 + i, first_name="Kiran", language_code="mr") for i in range(120)]

    async def traffic() -> None:  # one newcomer after another, as long as the test runs
        for person in people:
            person.send_text("/start")
            await api.wait_for_messages(person.id, 1, timeout=20)

    try:
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=60)
        writer = asyncio.create_task(traffic())
        await api.wait_for(lambda: sum(1 for p in people if api.messages(p.id)) >= 10,
                           timeout=30)
        # Every user answered by now has been written (users row first, then the reply).
        answered = {p.id for p in people if api.messages(p.id)}
        env = {"PATH": "/usr/bin:/bin", "KIRANA_DB_PATH": str(tmp_path / "kirana.sqlite3")}
        made = await asyncio.create_subprocess_exec(
            str(KIRANA_BOT), "backup", str(tmp_path / "copy.sqlite3"), env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await made.communicate()
        assert made.returncode == 0, err.decode()
        await writer
        assert all(api.messages(p.id) for p in people)
    finally:
        assert await stop_bot(bot) == 0, bot.log()
    conn = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = {r[0] for r in conn.execute("SELECT user_id FROM users")}
    finally:
        conn.close()
    assert answered <= copied
    assert len(copied & {p.id for p in people}) < len(people), "the backup came after all"
