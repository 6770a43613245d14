"""Glue every handler uses: the services, the user who wrote, their translator."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain import UserProfile
from bot.i18n import Translator, translator
from bot.services import users
from bot.services.context import Services

SERVICES_KEY = "kirana.services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


@dataclass(frozen=True)
class Who:
    """The user behind an update, with their translator (``who._("...")``)."""

    user: UserProfile
    t: Translator

    @property
    def _(self):  # noqa: ANN202 - gettext alias, read as who._("text")
        return self.t.gettext

    @property
    def lang(self) -> str:
        return self.t.lang


async def who(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who:
    """Record the sender as seen and return them with their translator.

    Before a language is chosen, Telegram's ``language_code`` decides.
    """
    tg_user = update.effective_user
    chat = update.effective_chat
    assert tg_user is not None
    profile = await users.identify(
        services(context),
        user_id=tg_user.id,
        chat_id=chat.id if chat else tg_user.id,
        first_name=tg_user.first_name or "",
        tg_language=tg_user.language_code,
    )
    return Who(profile, translator(profile.language or profile.tg_language))


def h(text: object) -> str:
    """Escape user-provided text for HTML messages (the bot's default parse mode)."""
    return html.escape(str(text), quote=False)


ECHO_LIMIT = 100
"""Characters of user-provided text placed in a reply: Telegram refuses a message over 4,096,
and a file name or a CSV cell can be any length."""


def h_cut(text: object, limit: int = ECHO_LIMIT) -> str:
    """:func:`h` of ``text`` cut to ``limit`` characters (ending in "…" when cut).

    Cut before escaping, so an entity such as ``&amp;`` is never split."""
    value = str(text)
    if len(value) > limit:
        value = value[: max(1, limit - 1)].rstrip() + "…"
    return h(value)
