"""Role menus: the inline buttons a user sees after /start, a finished action or a stray message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import Role
from bot.handlers.callbacks import pack
from bot.i18n import N_, Translator


@dataclass(frozen=True)
class MenuEntry:
    label: str   # marked with N_
    action: str  # a menu action registered in ``bot.handlers.start.MENU_ACTIONS``


# Features add their entries here; the action names are handled in start.MENU_ACTIONS.
MENU: dict[Role, list[MenuEntry]] = {
    Role.NEWCOMER: [
        MenuEntry(N_("🏪 Run a partner store"), "store"),
        MenuEntry(N_("📦 Collect a parcel"), "collect"),
    ],
    Role.CUSTOMER: [
        MenuEntry(N_("📦 Collect a parcel"), "collect"),
    ],
    Role.SHOPKEEPER: [
        MenuEntry(N_("📥 Receive parcels"), "receive"),
        MenuEntry(N_("📷 Scan labels"), "scan"),
        MenuEntry(N_("📦 Hand over a parcel"), "pickup"),
        MenuEntry(N_("📋 Parcels waiting"), "parcels"),
        MenuEntry(N_("↩️ Returns"), "returns"),
        MenuEntry(N_("💰 Earnings"), "earnings"),
        MenuEntry(N_("🏪 My store"), "mystore"),
    ],
    Role.ADMIN: [
        MenuEntry(N_("📝 Store applications"), "applications"),
        MenuEntry(N_("📄 Load a manifest"), "manifest"),
        MenuEntry(N_("🔎 Find a parcel"), "find_parcel"),
        MenuEntry(N_("📢 Send a notice"), "broadcast"),
        MenuEntry(N_("📋 Recent notices"), "broadcasts"),
    ],
}

MENU_TITLES = {
    Role.NEWCOMER: N_("What brings you here?"),
    Role.CUSTOMER: N_("What would you like to do?"),
    Role.SHOPKEEPER: N_("Store menu. What would you like to do?"),
    Role.ADMIN: N_("Admin menu. What would you like to do?"),
}


def menu_markup(roles: Role | Sequence[Role], t: Translator) -> InlineKeyboardMarkup | None:
    """The buttons of every role given, in order, each action once."""
    held = (roles,) if isinstance(roles, Role) else tuple(roles)
    entries: list[MenuEntry] = []
    for role in held:
        for entry in MENU.get(role, []):
            if entry.action not in {e.action for e in entries}:
                entries.append(entry)
    if not entries:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext(e.label), callback_data=pack("menu", e.action))]
         for e in entries]
    )


def menu_title(role: Role, t: Translator) -> str:
    return t.gettext(MENU_TITLES[role])
