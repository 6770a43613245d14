"""Words shared by the admin's screens (/stats, /stores, /payouts), and small helpers."""

from __future__ import annotations

from babel.numbers import format_decimal

from bot.domain import Role
from bot.handlers.commands import COMMANDS, CommandSpec
from bot.handlers.menus import MENU, MenuEntry
from bot.i18n import N_, Translator
from bot.i18n.formatting import locale_for

STORE_STATUS_LABELS = {
    "approved": N_("active"),
    "suspended": N_("suspended"),
    "pending": N_("waiting for a decision"),
    "rejected": N_("rejected"),
}

ADMIN_ONLY = frozenset({Role.ADMIN})


def store_status(t: Translator, status: str) -> str:
    label = STORE_STATUS_LABELS.get(status)
    return t.gettext(label) if label else status


def one_decimal(value: float, lang: str) -> str:
    """``1.75`` → ``1.8`` with Latin digits in every language."""
    return format_decimal(round(value, 1), format="#,##0.0", locale=locale_for(lang),
                          numbering_system="latn")


def add_admin_commands(*specs: tuple[str, str]) -> None:
    """Add admin commands (name, description marked with N_) to /help and the command menu."""
    known = {c.name for c in COMMANDS}
    COMMANDS.extend(CommandSpec(name, text, ADMIN_ONLY) for name, text in specs
                    if name not in known)


def add_admin_menu(*entries: tuple[str, str]) -> None:
    """Add admin menu buttons (label marked with N_, action)."""
    known = {e.action for e in MENU[Role.ADMIN]}
    MENU[Role.ADMIN].extend(MenuEntry(label, action) for label, action in entries
                            if action not in known)
