"""Driving the store-onboarding conversation in flow tests: good answers, step by step."""

from __future__ import annotations

from typing import Any

from bot.playground.botapi import BotMessage
from tests.flows.harness import Person

STEPS = ["shop_name", "owner_name", "mobile", "address", "pin_code", "location", "hours",
         "capacity", "upi_id"]

# The good answer of each step: ("text", str) | ("contact", phone) | ("location", (lat, lon)).
GOOD: dict[str, tuple[str, Any]] = {
    "shop_name": ("text", "Sharma Kirana"),
    "owner_name": ("text", "Ramesh Sharma"),
    "mobile": ("contact", "919822012345"),
    "address": ("text", "Shop 4, Shivaji Chowk, Kothrud, Pune"),
    "pin_code": ("text", "411038"),
    "location": ("location", (18.5074, 73.8077)),
    "hours": ("text", "9-21"),
    "capacity": ("text", "20"),
    "upi_id": ("text", "ramesh@okaxis"),
}

HEADER = {"en": "Step {n} of 9", "hi": "सवाल {n}/9", "mr": "प्रश्न {n}/9"}
RUN_A_STORE = {"en": "🏪 Run a partner store", "hi": "🏪 पार्टनर स्टोर चलाएँ",
               "mr": "🏪 पार्टनर स्टोअर चालवा"}
SUBMIT = {"en": "✅ Submit application", "hi": "✅ आवेदन जमा करें", "mr": "✅ अर्ज सबमिट करा"}
BACK = {"en": "⬅️ Back", "hi": "⬅️ पीछे", "mr": "⬅️ मागे"}
KEEP = {"en": "✔️ Keep the current answer", "hi": "✔️ यही जवाब रखें", "mr": "✔️ हेच उत्तर ठेवा"}
SKIP = {"en": "Skip ➡️", "hi": "छोड़ें ➡️", "mr": "वगळा ➡️"}


def update_for(person: Person, step: str, answer: tuple[str, Any] | None = None) -> dict:
    """The Telegram update of ``person`` answering ``step`` (not yet fed)."""
    kind, value = answer or GOOD[step]
    if kind == "contact":
        return person.fake.share_contact(value)
    if kind == "location":
        return person.fake.share_location(*value)
    return person.fake.send_text(value)


async def answer(person: Person, step: str, answer: tuple[str, Any] | None = None
                 ) -> list[BotMessage]:
    kind, value = answer or GOOD[step]
    if kind == "contact":
        return await person.share_contact(value)
    if kind == "location":
        return await person.share_location(*value)
    return await person.send(value)


async def start_registration(person: Person) -> list[BotMessage]:
    return await person.send("/register")


async def answer_until(person: Person, step: str | None) -> list[BotMessage]:
    """Answer every question before ``step`` (None: all of them); the last replies."""
    seen: list[BotMessage] = []
    for name in STEPS:
        if name == step:
            break
        seen = await answer(person, name)
    return seen


async def fill_application(person: Person) -> list[BotMessage]:
    """/register and every answer; returns what the last answer showed (the summary)."""
    await start_registration(person)
    return await answer_until(person, None)


def reply_keyboard_texts(message: BotMessage) -> list[str]:
    markup = message.reply_markup or {}
    return [b["text"] if isinstance(b, dict) else b for row in markup.get("keyboard", [])
            for b in row]
