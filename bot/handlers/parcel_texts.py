"""Words for parcels shared by the shopkeeper, customer and admin screens."""

from __future__ import annotations

from bot.handlers.context import h
from bot.i18n import N_, Translator
from bot.validation import TrackingError

STATUS_LABELS = {
    "expected": N_("on its way to the store"),
    "arrived": N_("waiting at the store"),
    "picked_up": N_("handed over"),
    "to_return": N_("due back to the courier"),
    "returned": N_("returned to the courier"),
    "refused": N_("refused at the store"),
}

EVENT_LABELS = {
    "expected": N_("expected (manifest)"),
    "arrived": N_("arrived at the store"),
    "refused": N_("refused at arrival"),
    "code_issued": N_("pickup code issued"),
    "notified": N_("customer told"),
    "notice_failed": N_("notice not delivered"),
    "linked": N_("customer linked their number"),
    "extended": N_("hold extended"),
    "reminded": N_("customer reminded of the last day"),
    "expired": N_("last day over: to return"),
    "returned": N_("returned to the courier"),
}

REFUSE_REASON_LABELS = {
    "damaged": N_("damaged"),
    "wet": N_("wet"),
    "opened": N_("opened or tampered with"),
}

REFUSE_REASON_BUTTONS = {
    "damaged": N_("📦 Damaged"),
    "wet": N_("💧 Wet"),
    "opened": N_("🔓 Opened or tampered with"),
}

TRACKING_REASONS = {
    TrackingError.EMPTY: N_("empty"),
    TrackingError.TOO_SHORT: N_("too short"),
    TrackingError.TOO_LONG: N_("too long"),
    TrackingError.BAD_CHARACTERS: N_("only letters, digits and - are allowed"),
}

LIST_LIMIT = 20


def status_label(t: Translator, status: str) -> str:
    label = STATUS_LABELS.get(status)
    return t.gettext(label) if label else status


def event_label(t: Translator, event: str) -> str:
    label = EVENT_LABELS.get(event)
    return t.gettext(label) if label else event


def id_list(t: Translator, ids: list[str], limit: int = LIST_LIMIT) -> str:
    """``<code>A</code>, <code>B</code>`` … with "and N more" past ``limit``."""
    shown = ", ".join(f"<code>{h(i)}</code>" for i in ids[:limit])
    if len(ids) > limit:
        shown += " " + t.gettext("and {count} more").format(count=len(ids) - limit)
    return shown


def tracking_hint(t: Translator) -> str:
    return t.gettext("A tracking id has 8–30 letters, digits or dashes, for example ABC12345.")
