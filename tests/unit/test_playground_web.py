"""The chat page's server: what a person does becomes a Telegram update, and what the bot sends
comes back as the page shows it (order, formatting, buttons, keyboards, edits, photos, files).

The bot here is the test itself, calling the Bot API over HTTP as PTB would; the whole bot behind
the page is exercised by tests/e2e/test_playground_process.py and tests/browser/.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import load_settings
from bot.playground.botapi import FakeBotAPI, UploadedFile
from bot.playground.demo import load_demo
from bot.playground.personas import PERSONAS
from bot.playground.web import PlaygroundServer
from bot.scan.decode import read_codes
from bot.services.label_scan import sort_codes
from bot.services.manifest import ParsedManifest, parse_manifest

ASHA = 901


class Page:
    """The page's side: a client of the playground routes; ``bot()`` calls the Bot API."""

    def __init__(self, api: FakeBotAPI, server: PlaygroundServer, client: httpx.AsyncClient
                 ) -> None:
        self.api, self.server, self.client = api, server, client

    async def act(self, **body: object) -> httpx.Response:
        return await self.client.post("/_playground/act", json=body)

    async def chat(self, user_id: int = ASHA, since: str = "") -> dict:
        answer = (await self.client.get(f"/_playground/chats?ids={user_id}&since={since}")).json()
        assert answer["ok"], answer
        return answer["result"]

    async def bot(self, method: str, **params: object) -> dict:
        status, body = await self.api.call(self.api.token, method, params)
        assert status == 200, body
        return body["result"]


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    api = FakeBotAPI()
    server = PlaygroundServer(api, db_path=tmp_path / "playground.sqlite3")
    await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as c:
        yield Page(api, server, c)
    await server.stop()


async def test_everyone_of_the_playground_can_be_picked_and_someone_new_added(page: Page
                                                                              ) -> None:
    people = (await page.client.get("/_playground/people")).json()["result"]
    assert [p["user_id"] for p in people] == [p.user_id for p in PERSONAS]
    assert {p["role"] for p in people} == {"admin", "shopkeeper", "customer"}
    added = (await page.client.post("/_playground/people",
                                    json={"first_name": "Kiran", "language": "mr"})).json()
    assert added["result"]["user_id"] == 1001 and added["result"]["language"] == "mr"
    assert (await page.act(user_id=1001, action="text", text="/start")).status_code == 200
    assert page.api.pending_updates[-1]["message"]["from"]["language_code"] == "mr"
    bad = await page.client.post("/_playground/people", json={"first_name": "X", "language": "fr"})
    assert bad.status_code == 400 and "language" in bad.json()["description"]


async def test_a_conversation_reads_in_order_with_formatting_edits_and_buttons(page: Page
                                                                               ) -> None:
    await page.act(user_id=ASHA, action="text", text="/start")
    (update,) = page.api.pending_updates
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"][0]["type"] == "bot_command"

    markup = {"inline_keyboard": [[{"text": "हिंदी", "callback_data": "1:lang:set:hi"}]]}
    sent = await page.bot("sendMessage", chat_id=ASHA, text="<b>नमस्ते</b> Asha", parse_mode="HTML",
                          reply_markup=json.dumps(markup))
    await page.act(user_id=ASHA, action="press", message_id=sent["message_id"],
                   data="1:lang:set:hi")
    query = page.api.pending_updates[-1]["callback_query"]
    assert query["data"] == "1:lang:set:hi" and query["message"]["message_id"] == sent["message_id"]
    await page.bot("answerCallbackQuery", callback_query_id=query["id"], text="ठीक है")
    await page.bot("editMessageText", chat_id=ASHA, message_id=sent["message_id"],
                   text="भाषा: हिंदी ✓")

    chat = (await page.chat())["chats"][str(ASHA)]
    mine, bots = chat["messages"]
    assert (mine["from"], mine["text"]) == ("user", "/start")
    assert (bots["from"], bots["text"], bots["edited"]) == ("bot", "भाषा: हिंदी ✓", True)
    assert bots["buttons"] == []  # the edit removed the inline keyboard, as in Telegram
    assert [t["text"] for t in chat["toasts"]] == ["ठीक है"]

    await page.bot("sendMessage", chat_id=ASHA, text="<b>Bold</b> and <code>123</code>",
                   parse_mode="HTML")
    last = (await page.chat())["chats"][str(ASHA)]["messages"][-1]
    assert last["text"] == "Bold and 123"
    assert [(e["type"], e["offset"], e["length"]) for e in last["entities"]] == [
        ("bold", 0, 4), ("code", 9, 3)]


async def test_reply_keyboards_share_contact_and_location_and_go_away(page: Page) -> None:
    keyboard = {"keyboard": [[{"text": "📱 Share my number", "request_contact": True}],
                             [{"text": "📍 Send location", "request_location": True}]],
                "one_time_keyboard": True, "input_field_placeholder": "mobile"}
    await page.bot("sendMessage", chat_id=ASHA, text="Your number?",
                   reply_markup=json.dumps(keyboard))
    shown = (await page.chat())["chats"][str(ASHA)]["keyboard"]
    assert shown["rows"][0][0]["request_contact"] is True
    assert (shown["placeholder"], shown["collapsed"]) == ("mobile", False)

    await page.act(user_id=ASHA, action="contact")  # her own number, as the Telegram app does
    contact = page.api.pending_updates[-1]["message"]["contact"]
    assert contact == {"phone_number": "+919822000901", "first_name": "Asha", "user_id": ASHA}
    await page.act(user_id=ASHA, action="location", latitude="18.5", longitude="73.8")
    assert page.api.pending_updates[-1]["message"]["location"] == {"latitude": 18.5,
                                                                   "longitude": 73.8}
    chat = (await page.chat())["chats"][str(ASHA)]
    assert chat["keyboard"]["collapsed"] is True  # one-time keyboard, used
    assert [m["kind"] for m in chat["messages"]] == ["text", "contact", "location"]

    await page.bot("sendMessage", chat_id=ASHA, text="Thanks",
                   reply_markup=json.dumps({"remove_keyboard": True}))
    assert (await page.chat())["chats"][str(ASHA)]["keyboard"] is None


async def test_the_view_waits_for_a_change_then_answers_at_once(page: Page) -> None:
    first = await page.chat()
    waiting = asyncio.create_task(page.chat(since=first["version"]))
    await asyncio.wait_for(page.server.view_waiting.wait(), 5)
    assert not waiting.done()
    await page.bot("sendMessage", chat_id=ASHA, text="Parcel arrived")
    changed = await asyncio.wait_for(waiting, 5)
    assert changed["version"] != first["version"]
    assert changed["chats"][str(ASHA)]["messages"][-1]["text"] == "Parcel arrived"


async def test_photos_map_pins_and_files_both_ways(page: Page) -> None:
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (800).to_bytes(4, "big")
           + (400).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00chart")
    await page.bot("sendPhoto", chat_id=ASHA, photo=UploadedFile("chart.png", png, "image/png"),
                   caption="Parcels per week")
    await page.bot("sendLocation", chat_id=ASHA, latitude=18.5074, longitude=73.8077)
    csv = b"tracking_id,store_code,customer_phone\nDL1234567890,KS-0001,9876543210\n"
    await page.act(user_id=ASHA, action="document", file_name="manifest.csv",
                   mime_type="text/csv", content_base64=base64.b64encode(csv).decode())

    photo, pin, upload = (await page.chat())["chats"][str(ASHA)]["messages"]
    assert photo["caption"] == "Parcels per week"
    assert (photo["photo"]["width"], photo["photo"]["height"]) == (800, 400)
    image = await page.client.get(photo["photo"]["url"])
    assert image.content == png and image.headers["content-type"] == "image/png"
    assert pin["location"] == {"latitude": 18.5074, "longitude": 73.8077}
    assert (upload["from"], upload["document"]["file_name"]) == ("user", "manifest.csv")

    # The bot downloads the uploaded file as from Telegram: getFile, then the file URL.
    file_id = page.api.pending_updates[-1]["message"]["document"]["file_id"]
    info = await page.bot("getFile", file_id=file_id)
    status, content = page.api.download(page.api.token, info["file_path"])
    assert (status, content) == (200, csv)


async def test_bad_requests_get_a_reason_and_change_nothing(page: Page) -> None:
    cases = [
        {"user_id": 4242, "action": "text", "text": "hi"},
        {"user_id": ASHA, "action": "text", "text": "   "},
        {"user_id": ASHA, "action": "document", "file_name": "x.csv", "content_base64": "@@"},
        {"user_id": ASHA, "action": "press", "message_id": 99, "data": "x"},
        {"user_id": ASHA, "action": "dance"},
    ]
    for body in cases:
        answer = await page.act(**body)
        assert answer.status_code == 400 and answer.json()["description"], body
    assert page.api.pending_updates == []


async def test_the_page_and_its_assets_are_served_and_nothing_else(page: Page) -> None:
    index = await page.client.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert '<script src="/static/app.js">' in index.text
    assert "http" not in index.text.replace("http-equiv", "")  # no CDN: works offline
    for name in ("app.js", "style.css", "favicon.svg"):
        assert (await page.client.get(f"/static/{name}")).status_code == 200
    assert (await page.client.get("/static/../web.py")).status_code == 404
    assert (await page.client.get("/static/%2e%2e/web.py")).status_code == 404
    # The Bot API is still there for the bot, on the same port.
    me = await page.client.get(f"/bot{page.api.token}/getMe")
    assert me.json()["result"]["is_bot"] is True


async def test_the_sample_manifest_is_for_the_approved_stores_and_loads_cleanly(
        page: Page, tmp_path: Path) -> None:
    settings = load_settings(bot_token=page.api.token, db_path=tmp_path / "playground.sqlite3",
                             admin_ids=frozenset({900}))
    await load_demo(settings)
    answer = await page.client.get("/_playground/sample-manifest.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    parsed = parse_manifest(answer.content)
    assert isinstance(parsed, ParsedManifest) and not parsed.errors
    assert {row.store_code for row in parsed.rows} == {"KS-0001", "KS-0002", "KS-0003"}


async def test_blocking_the_bot_makes_its_messages_fail_until_unblocked(page: Page) -> None:
    assert (await page.act(user_id=ASHA, action="block")).json()["result"] == {"blocked": True}
    status, body = await page.api.call(page.api.token, "sendMessage",
                                       {"chat_id": ASHA, "text": "Reminder"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert (await page.chat())["chats"][str(ASHA)]["blocked"] is True
    await page.act(user_id=ASHA, action="unblock")
    await page.bot("sendMessage", chat_id=ASHA, text="Reminder")
    chat = (await page.chat())["chats"][str(ASHA)]
    assert chat["blocked"] is False and [m["text"] for m in chat["messages"]] == ["Reminder"]


async def test_the_sample_photo_of_labels_reads_as_expected_parcels(
        page: Page, tmp_path: Path) -> None:
    settings = load_settings(bot_token=page.api.token, db_path=tmp_path / "playground.sqlite3",
                             admin_ids=frozenset({900}))
    await load_demo(settings)
    answer = await page.client.get("/_playground/sample-labels.jpg")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    codes = read_codes(answer.content)
    assert isinstance(codes, list)
    found = sort_codes(codes)
    conn = sqlite3.connect(tmp_path / "playground.sqlite3")
    rows = conn.execute(
        "SELECT tracking_id, store_id, status FROM parcels WHERE tracking_id IN "
        "(SELECT value FROM json_each(?))", (json.dumps(found.ids),)).fetchall()
    conn.close()
    assert found.ids and len(rows) == len(found.ids)
    assert {r[2] for r in rows} == {"expected"} and len({r[1] for r in rows}) == 1
    assert found.other_codes == 1  # the product's EAN beside the labels
