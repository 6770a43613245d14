"""The chat page: the Bot API emulator's HTTP server, plus the page and what it calls.

Routes (besides the Bot API ones of :class:`FakeBotAPIServer`)::

    GET  /                               the page (static/index.html)
    GET  /static/<name>                  its script and style (no CDN: works offline)
    GET  /_playground/people             who can be picked
    POST /_playground/people             {"first_name", "language"}: someone new
    GET  /_playground/chats?ids=1,2&since=V
                                         the chats as each person sees them; waits (up to 25 s)
                                         until something visible differs from version V
    POST /_playground/act                {"user_id", "action", ...}: what a person does
                                         (text, press, contact, location, document,
                                         block, unblock)
    GET  /_playground/files/<file_path>  a photo or document the bot sent
    GET  /_playground/sample-manifest.csv  a manifest for the approved stores, to upload
    GET  /_playground/sample-labels.jpg  a photo of labels of parcels expected at a store

Everything runs on the emulator's event loop, so its state is touched from one thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import mimetypes
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from .botapi import FakeBotAPI, FakeBotAPIServer, WaitTimeout
from .botapi.core import JSON, BotMessage
from .botapi.http import parse_body
from .demo import approved_store_codes, manifest_csv
from .labels import expected_at_first_store, labels_jpeg
from .personas import FIRST_NEW_ID, PERSONAS, Persona, new_persona

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
_JSON = "application/json"
LONG_POLL_SECONDS = 25.0
MAX_UPLOAD = 20 * 1024 * 1024  # Telegram's getFile limit for bots


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PlaygroundServer(FakeBotAPIServer):
    """The emulator for the bot and the chat page for people, on one port."""

    def __init__(self, api: FakeBotAPI, *, db_path: Path,
                 personas: tuple[Persona, ...] = PERSONAS) -> None:
        super().__init__(api)
        self.db_path = db_path
        self.people: dict[int, Persona] = {}
        # What each person sent (the emulator keeps only the bot's messages), by chat.
        self.sent: dict[int, list[JSON]] = {}
        # Set once a view request is waiting for a change (tests await it instead of sleeping).
        self.view_waiting = asyncio.Event()
        for persona in personas:
            self.add_person(persona)

    def add_person(self, persona: Persona) -> Persona:
        self.people[persona.user_id] = persona
        self.api.user(persona.user_id, first_name=persona.first_name,
                      language_code=persona.language)
        self.sent.setdefault(persona.user_id, [])
        return persona

    # ------------------------------------------------------------------ routing

    async def _route(self, verb: str, target: str, headers: dict[str, str], body: bytes
                     ) -> tuple[int, str, bytes]:
        path, _, query = target.partition("?")
        path = unquote(path)
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/favicon.ico":
            return self._static("favicon.svg")
        if path.startswith("/_playground/"):
            try:
                return await self._page_api(verb, path[len("/_playground/"):], query, headers,
                                            body)
            except (KeyError, ValueError, TypeError, AssertionError) as exc:
                return 400, _JSON, _dumps({"ok": False, "description": str(exc)})
            except Exception:  # the page gets an answer; the bot and the server go on
                log.exception("playground page request %s %s failed", verb, path)
                return 500, _JSON, _dumps({"ok": False, "description": "server error"})
        return await super()._route(verb, target, headers, body)

    @staticmethod
    def _static(name: str) -> tuple[int, str, bytes]:
        file = (STATIC / name).resolve()
        if STATIC.resolve() not in file.parents or not file.is_file():
            return 404, "text/plain", b"not found"
        return 200, _TYPES.get(file.suffix, "application/octet-stream"), file.read_bytes()

    async def _page_api(self, verb: str, name: str, query: str, headers: dict[str, str],
                        body: bytes) -> tuple[int, str, bytes]:
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if verb == "POST":
            args.update(parse_body(headers.get("content-type", _JSON), body))
        if name == "people":
            if verb == "POST":
                return self._ok(self._new_person(args).to_dict())
            return self._ok([p.to_dict() for p in self.people.values()])
        if name == "chats":
            ids = [int(i) for i in str(args.get("ids", "")).split(",") if i.strip()]
            return self._ok(await self.chats(ids, str(args.get("since", ""))))
        if name == "act" and verb == "POST":
            return self._ok(self.act(args))
        if name.startswith("files/"):
            return self._file(name[len("files/"):])
        if name == "sample-labels.jpg":
            store, ids = expected_at_first_store(self.db_path)
            if not ids:
                return 404, "text/plain; charset=utf-8", (
                    b"No parcel is expected at an approved store: load a manifest first.")
            return 200, "image/jpeg", labels_jpeg(store, ids)
        if name == "sample-manifest.csv":
            codes = approved_store_codes(self.db_path)
            text = manifest_csv(codes, prefix=f"PG{int(time.time()) % 100000:05d}")
            return 200, "text/csv; charset=utf-8", text.encode("utf-8")
        return 404, _JSON, _dumps({"ok": False, "description": "Not Found"})

    @staticmethod
    def _ok(result: Any) -> tuple[int, str, bytes]:
        return 200, _JSON, _dumps({"ok": True, "result": result})

    def _file(self, file_path: str) -> tuple[int, str, bytes]:
        status, data = self.api.download(self.api.token, file_path)
        if status != 200:
            return status, _JSON, data
        kind = mimetypes.guess_type(file_path)[0] or "application/octet-stream"
        if kind == "image/jpeg" and data.startswith(b"\x89PNG"):
            kind = "image/png"
        return 200, kind, data

    def _new_person(self, args: dict[str, Any]) -> Persona:
        name = str(args.get("first_name") or "").strip()[:64]
        language = str(args.get("language") or "en")
        if not name:
            raise ValueError("a name is needed")
        if language not in ("en", "hi", "mr"):
            raise ValueError("language must be en, hi or mr")
        user_id = max([FIRST_NEW_ID - 1, *self.people]) + 1
        return self.add_person(new_persona(user_id, name, language))

    # ------------------------------------------------------------------ what people do

    def act(self, args: dict[str, Any]) -> JSON:
        user_id = int(args["user_id"])
        if user_id not in self.people:
            raise KeyError(f"nobody with id {user_id} in the playground")
        user = self.api.get_user(user_id)
        persona = self.people[user_id]
        action = str(args["action"])
        if action == "text":
            text = str(args.get("text") or "")
            if not text.strip():
                raise ValueError("empty message")
            update = user.send_text(text[:4096])
        elif action in ("block", "unblock"):
            # As in Telegram: the bot's messages to this person fail with 403 until unblocked.
            if action == "block":
                user.block()
            else:
                user.unblock()
            return {"blocked": user.blocked}
        elif action == "press":
            update = user.press(str(args["data"]), message_id=int(args["message_id"]))
            return {"update_id": update["update_id"]}
        elif action == "contact":
            update = user.share_contact(str(args.get("phone_number") or persona.phone))
        elif action == "location":
            update = user.share_location(float(args.get("latitude", persona.latitude)),
                                         float(args.get("longitude", persona.longitude)))
        elif action == "document":
            try:
                content = base64.b64decode(str(args["content_base64"]), validate=True)
            except binascii.Error as exc:
                raise ValueError("file content is not base64") from exc
            if len(content) > MAX_UPLOAD:
                raise ValueError("file is too big (20 MB at most)")
            name = str(args.get("file_name") or "file")[:255]
            mime = str(args.get("mime_type") or mimetypes.guess_type(name)[0]
                       or "application/octet-stream")
            update = user.send_document(name, content, mime)
        else:
            raise ValueError(f"unknown action {action!r}")
        self.sent[user_id].append(update["message"])
        return {"update_id": update["update_id"]}

    # ------------------------------------------------------------------ what people see

    async def chats(self, ids: list[int], since: str) -> JSON:
        """The chats' views and their version; waits until the version differs from ``since``."""
        known = [i for i in ids if i in self.people]
        snapshot: dict[str, Any] = {}

        def changed() -> bool:
            views = {str(i): self.chat_view(i) for i in known}
            digest = hashlib.sha1(_dumps(views)).hexdigest()[:16]
            snapshot.update(views=views, version=digest)
            if digest == since:
                self.view_waiting.set()
                return False
            return True

        try:
            await self.api.wait_for(changed, LONG_POLL_SECONDS, description="a chat changes")
        except WaitTimeout:
            pass
        return {"version": snapshot["version"], "chats": snapshot["views"]}

    def chat_view(self, user_id: int) -> JSON:
        user = self.api.get_user(user_id)
        items = [_user_item(m, self._file_url) for m in self.sent.get(user_id, [])]
        items += [_bot_item(m, self._file_url) for m in self.api.messages(user_id)]
        items.sort(key=lambda item: item["id"])
        keyboard = None
        for message in reversed(self.api.messages(user_id, include_deleted=True)):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard") or markup.get("hide_keyboard"):
                break
            if markup.get("keyboard"):
                used = any(m["message_id"] > message.message_id for m in self.sent[user_id])
                keyboard = {
                    "rows": [[b if isinstance(b, dict) else {"text": b} for b in row]
                             for row in markup["keyboard"]],
                    "placeholder": markup.get("input_field_placeholder") or "",
                    "collapsed": bool(markup.get("one_time_keyboard")) and used,
                }
                break
        toasts = [{"id": a.callback_query_id, "text": a.text, "alert": a.show_alert}
                  for a in user.callback_answers()[-5:] if a.text]
        return {"messages": items, "keyboard": keyboard, "toasts": toasts,
                "blocked": user.blocked}

    def _file_url(self, file_id: str) -> str | None:
        stored = self.api.stored_file(file_id)
        return None if stored is None else f"/_playground/files/{stored.file_path}"


FileUrl = Callable[[str], "str | None"]


def _buttons(markup: JSON | None) -> list[list[JSON]]:
    rows = (markup or {}).get("inline_keyboard") or []
    out = []
    for row in rows:
        out.append([{k: b[k] for k in ("text", "callback_data", "url") if k in b} for b in row])
    return out


def _bot_item(message: BotMessage, file_url: FileUrl) -> JSON:
    raw = message.raw
    item: JSON = {
        "id": message.message_id, "from": "bot", "date": message.date, "kind": message.kind,
        "text": message.text, "entities": message.entities, "edited": message.edit_count > 0,
        "caption": raw.get("caption"), "caption_entities": raw.get("caption_entities", []),
        "buttons": _buttons(message.reply_markup),
    }
    if message.location:
        item["location"] = message.location
    if message.document:
        item["document"] = {"file_name": message.document.get("file_name") or "file",
                            "url": file_url(message.document["file_id"])}
    if raw.get("photo"):
        biggest = raw["photo"][-1]
        item["photo"] = {"url": file_url(biggest["file_id"]), "width": biggest.get("width"),
                         "height": biggest.get("height")}
    return item


def _user_item(message: JSON, file_url: FileUrl) -> JSON:
    item: JSON = {"id": message["message_id"], "from": "user", "date": message["date"],
                  "kind": "text", "text": message.get("text"),
                  "entities": message.get("entities", []), "edited": False, "buttons": []}
    if "contact" in message:
        item["kind"] = "contact"
        item["contact"] = message["contact"]
    elif "location" in message:
        item["kind"] = "location"
        item["location"] = message["location"]
    elif "document" in message:
        item["kind"] = "document"
        document = message["document"]
        item["document"] = {"file_name": document.get("file_name") or "file",
                            "url": file_url(document["file_id"])}
    return item
