"""Whole conversations through the real Application, with Telegram faked at PTB's BaseRequest.

    h = Harness(tmp_path, admin_ids={900})
    await h.start()
    asha = await h.person(101, lang="hi")           # /start + picks हिंदी
    seen = await asha.send("/help")                  # what Asha saw because of it
    assert "/cancel" in seen[-1].text
    await asha.press("🏪 पार्टनर स्टोर चलाएँ")         # button text or callback data
    admin_saw = h.person_for(900).new()              # what the admin got meanwhile
    await h.restart()                                # same database file, new Application

Each action stores one update in the inbox, waits until its dispatcher handled it, and returns the bot messages
this person got or saw edited since their last look. Time is a ManualClock (``h.clock``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Settings
from bot.handlers.context import SERVICES_KEY
from bot.i18n import LANGUAGE_NAMES
from bot.inbox import INBOX_KEY, Inbox, InboxItem, Sealer, current_chat
from bot.inbox.store import rewind
from bot.outbox.sender import get_sender
from bot.playground.botapi import BotMessage, FakeBotAPI, FakeRequest, FakeUser
from bot.services.context import Services


class Person:
    """One Telegram user talking to the bot."""

    def __init__(self, harness: Harness, fake: FakeUser) -> None:
        self.h = harness
        self.fake = fake
        self._seen: dict[int, int] = {}  # message_id -> versions seen (1 + edits)

    @property
    def id(self) -> int:
        return self.fake.user_id

    def new(self) -> list[BotMessage]:
        """Bot messages sent or edited in this chat since the last look."""
        fresh = []
        for message in self.h.api.messages(self.id):
            version = 1 + message.edit_count
            if self._seen.get(message.message_id, 0) < version:
                self._seen[message.message_id] = version
                fresh.append(message)
        return fresh

    def texts(self) -> list[str]:
        """Every message in the chat, current text, oldest first."""
        return [m.text or m.caption or "" for m in self.h.api.messages(self.id)]

    def last(self) -> BotMessage:
        return self.h.api.messages(self.id)[-1]

    async def _act(self, update: dict[str, Any]) -> list[BotMessage]:
        self.new()
        await self.h.feed(update)
        return self.new()

    async def send(self, text: str) -> list[BotMessage]:
        return await self._act(self.fake.send_text(text))

    async def press(self, button: str, *, message_id: int | None = None) -> list[BotMessage]:
        return await self._act(self.fake.press(button, message_id=message_id))

    async def share_contact(self, phone: str, **kwargs: Any) -> list[BotMessage]:
        return await self._act(self.fake.share_contact(phone, **kwargs))

    async def share_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self._act(self.fake.share_location(latitude, longitude))

    async def send_document(self, filename: str, content: bytes, **kwargs: Any) -> list[BotMessage]:
        return await self._act(self.fake.send_document(filename, content, **kwargs))

    async def send_sticker(self) -> list[BotMessage]:
        return await self._act(self.fake.send_sticker())

    async def send_photo(self, caption: str | None = None, **kwargs: Any) -> list[BotMessage]:
        return await self._act(self.fake.send_photo(caption, **kwargs))

    def callback_answers(self) -> list[Any]:
        return self.fake.callback_answers()


class Harness:
    def __init__(
        self,
        tmp_path: Path,
        *,
        admin_ids: set[int] | frozenset[int] = frozenset(),
        clock: ManualClock | None = None,
        **settings: Any,
    ) -> None:
        self.api = FakeBotAPI()
        self.clock = clock or ManualClock()
        # The clock starts at 10:00 IST, past the morning summary's hour: a restart would send
        # every shopkeeper with parcels a summary in the middle of another feature's
        # conversation. Tests of the summary (tests/flows/test_holding.py) set the hour.
        settings.setdefault("summary_hour", 23)
        self.settings = Settings(
            bot_token=self.api.token,
            admin_ids=frozenset(admin_ids),
            db_path=tmp_path / "kirana.sqlite3",
            api_base_url="https://api.telegram.org/bot",
            **settings,
        )
        self.app: Application | None = None
        self.inbox: Inbox | None = None
        self._people: dict[int, Person] = {}

    @property
    def svc(self) -> Services:
        assert self.app is not None
        return self.app.bot_data[SERVICES_KEY]

    async def start(self) -> None:
        self.app = build_application(
            self.settings,
            request=FakeRequest(self.api),
            get_updates_request=FakeRequest(self.api),
            clock=self.clock,
        )
        await self.app.initialize()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)
        await self.app.start()
        # Updates go the way they go in production: stored in the inbox, handled by its
        # dispatcher (which marks each one done and tells the reply rules whose chat it is).
        self.inbox = Inbox(self.app, self.svc.db, self.clock, Sealer.for_settings(self.settings),
                           concurrency=4)
        self.app.bot_data[INBOX_KEY] = self.inbox
        await self.inbox.start(poll=False)

    async def stop(self) -> None:
        if self.app is None:
            return
        if self.inbox is not None:
            await self.inbox.stop()
            self.inbox = None
        app, self.app = self.app, None
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        """Stop the Application and its database, and build a new one on the same file."""
        await self.stop()
        await self.start()

    async def feed(self, update: dict[str, Any]) -> None:
        assert self.app is not None, "call start() first"
        assert self.inbox is not None
        self.api.drop_pending_updates()
        # An update stored before (Telegram delivering it again) is ignored by the inbox, as
        # in production; use replay() for "handled again after a kill before its done-mark".
        if await self.inbox.accept([update]):
            await self.inbox.dispatcher.wait_idle()
        await self.settle()

    async def settle(self) -> None:
        """Wait for work an update started in the background (photos being decoded), then
        for the outbox to send everything due now (notices, receipts, alerts)."""
        scanner = self.svc.extras.get("scanner") if self.app is not None else None
        if scanner is not None:
            await scanner.drain()
        await self.drain()

    async def drain(self) -> None:
        """Until the outbox has sent everything due now (notices, receipts, alerts)."""
        sender = get_sender(self.svc) if self.app is not None else None
        if sender is not None:
            await sender.drain()

    async def replay(self, update: dict[str, Any]) -> None:
        """Handle ``update`` again, as the next start-up does after a kill mid-update: the
        sender is first put back in the flow step they were at when it began (the inbox's
        ``rewind``, from what its first handling noted), then it is handled."""
        assert self.app is not None
        parsed = Update.de_json(update, self.app.bot)
        if parsed.effective_chat is not None:
            await rewind(self.svc.db, InboxItem(update["update_id"], parsed.effective_chat.id,
                                                update, started=True), self.clock.now())
        token = current_chat.set(parsed.effective_chat.id if parsed.effective_chat else None)
        try:
            await self.app.process_update(parsed)
        finally:
            current_chat.reset(token)
        await self.settle()

    async def feed_concurrently(self, updates: list[dict[str, Any]]) -> None:
        """Process several updates at the same time (double taps, two devices)."""
        assert self.app is not None
        self.api.drop_pending_updates()
        app = self.app

        async def one(raw: dict[str, Any]) -> None:
            update = Update.de_json(raw, app.bot)
            current_chat.set(update.effective_chat.id if update.effective_chat else None)
            await app.process_update(update)

        await asyncio.gather(*(one(u) for u in updates))
        await self.settle()

    def person_for(self, user_id: int) -> Person:
        return self._people[user_id]

    def stranger(
        self, user_id: int, *, tg_language: str | None = "en", first_name: str = "Asha"
    ) -> Person:
        """A Telegram user who has not talked to the bot yet."""
        fake = self.api.user(user_id, first_name=first_name, language_code=tg_language)
        person = self._people.setdefault(user_id, Person(self, fake))
        return person

    async def person(
        self, user_id: int, lang: str = "en", *, first_name: str = "Asha"
    ) -> Person:
        """A user who sent /start and chose ``lang``."""
        person = self.stranger(user_id, tg_language=lang, first_name=first_name)
        await person.send("/start")
        await person.press(LANGUAGE_NAMES[lang])
        person.new()
        return person
