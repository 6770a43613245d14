"""The bot's commands per role, for /help and Telegram's command menu (setMyCommands)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.domain import Role
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translator

log = logging.getLogger(__name__)

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # marked with N_, translated when shown
    roles: frozenset[Role]


# Order is the order users see. Features add their commands here.
COMMANDS: list[CommandSpec] = [
    CommandSpec("start", N_("Main menu"), EVERYONE),
    CommandSpec("help", N_("What I can do for you"), EVERYONE),
    CommandSpec("language", N_("Change language"), EVERYONE),
    CommandSpec("cancel", N_("Stop what you are doing"), EVERYONE),
    CommandSpec("receive", N_("Record parcels that arrived"), frozenset({Role.SHOPKEEPER})),
    CommandSpec("parcels", N_("Parcels waiting for pickup"), frozenset({Role.SHOPKEEPER})),
    CommandSpec("pickup", N_("Hand over a parcel to a customer"), frozenset({Role.SHOPKEEPER})),
    CommandSpec("returns", N_("Parcels to give back to the courier"),
                frozenset({Role.SHOPKEEPER})),
    CommandSpec("earnings", N_("Your earnings this month and last"), frozenset({Role.SHOPKEEPER})),
    CommandSpec("mystore", N_("Your store's details and store code"),
                frozenset({Role.SHOPKEEPER})),
    CommandSpec("myparcels", N_("My parcels and pickup codes"),
                frozenset({Role.NEWCOMER, Role.CUSTOMER})),
    CommandSpec("register", N_("Register your shop as a partner store"),
                frozenset({Role.NEWCOMER, Role.CUSTOMER})),
    CommandSpec("applications", N_("Store applications waiting for a decision"),
                frozenset({Role.ADMIN})),
    CommandSpec("parcel", N_("Look up a parcel by tracking id"), frozenset({Role.ADMIN})),
    CommandSpec("broadcast", N_("Send a notice to stores or customers"), frozenset({Role.ADMIN})),
    CommandSpec("broadcasts", N_("Recent notices and their delivery"), frozenset({Role.ADMIN})),
    CommandSpec("undelivered", N_("Messages to others that could not be delivered"),
                frozenset({Role.ADMIN})),
]


Roles = Role | Sequence[Role]


def as_roles(roles: Roles) -> tuple[Role, ...]:
    return (roles,) if isinstance(roles, Role) else tuple(roles)


def commands_for(roles: Roles) -> list[CommandSpec]:
    """The commands of any of ``roles``, in COMMANDS order."""
    held = set(as_roles(roles))
    return [c for c in COMMANDS if held & c.roles]


def bot_commands(role: Roles, lang: str) -> list[BotCommand]:
    _ = translator(lang).gettext
    return [BotCommand(c.name, _(c.description)) for c in commands_for(role)]


async def set_default_commands(bot: Bot) -> None:
    """The menu for people we know nothing about: default English, plus hi and mr."""
    for lang in LANGUAGES:
        await bot.set_my_commands(
            bot_commands(Role.NEWCOMER, lang),
            scope=BotCommandScopeDefault(),
            language_code=None if lang == DEFAULT_LANGUAGE else lang,
        )


async def set_chat_commands(bot: Bot, chat_id: int, role: Roles, lang: str) -> None:
    """The menu of one chat, in the language and for the role its user has now."""
    try:
        await bot.set_my_commands(bot_commands(role, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # the menu is a convenience; never fail the reply for it
        log.warning("could not set commands for chat %s: %s", chat_id, exc)
