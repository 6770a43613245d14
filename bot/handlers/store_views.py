"""How a store's details read, for the shopkeeper's summary, the admins' card and "My store"."""

from __future__ import annotations

from datetime import time

from bot.handlers.context import h
from bot.i18n import N_, Translator, formatting
from bot.services.onboarding import Step, all_day
from bot.storage.stores import Store, StoreDetails

FIELD_LABELS: dict[Step, str] = {
    Step.SHOP_NAME: N_("Shop name"),
    Step.OWNER_NAME: N_("Owner's name"),
    Step.MOBILE: N_("Mobile number"),
    Step.ADDRESS: N_("Address"),
    Step.PIN_CODE: N_("PIN code"),
    Step.LOCATION: N_("Location"),
    Step.HOURS: N_("Opening hours"),
    Step.CAPACITY: N_("Capacity (parcels)"),
    Step.UPI_ID: N_("UPI id"),
}
FIELD_ICONS: dict[Step, str] = {
    Step.SHOP_NAME: "🏪",
    Step.OWNER_NAME: "👤",
    Step.MOBILE: "📱",
    Step.ADDRESS: "🏠",
    Step.PIN_CODE: "📮",
    Step.LOCATION: "📍",
    Step.HOURS: "🕘",
    Step.CAPACITY: "📦",
    Step.UPI_ID: "💳",
}


def format_mobile(e164: str) -> str:
    """``+919822012345`` → ``+91 98220 12345`` (how Indians write and read it)."""
    if e164.startswith("+91") and len(e164) == 13:
        return f"+91 {e164[3:8]} {e164[8:]}"
    return e164


def hours_range(lang: str, opens_at: str, closes_at: str) -> str:
    """Stored ``HH:MM`` hours (``24:00`` = midnight) as the shop says them.

    ``("09:00", "21:00")`` → mr ``सकाळी 9 ते रात्री 9``.
    """
    return formatting.format_hours(_wall_clock(opens_at), _wall_clock(closes_at), lang)


def _wall_clock(hh_mm: str) -> time:
    return time.max if hh_mm == "24:00" else time.fromisoformat(hh_mm)


def format_hours(t: Translator, opens_at: str, closes_at: str) -> str:
    if all_day(opens_at, closes_at):
        return t.gettext("Open 24 hours")
    return hours_range(t.lang, opens_at, closes_at)


def field_value(t: Translator, step: Step, d: StoreDetails, *, admin: bool = False) -> str:
    """One field, ready for an HTML message (user text escaped)."""
    if step is Step.SHOP_NAME:
        return f"<b>{h(d.shop_name)}</b>"
    if step is Step.OWNER_NAME:
        return h(d.owner_name)
    if step is Step.MOBILE:
        number = format_mobile(d.mobile)
        if not admin:
            return number
        note = (t.gettext("own Telegram number ✓") if d.mobile_verified
                else t.gettext("typed, not checked"))
        return f"{number} ({note})"
    if step is Step.ADDRESS:
        return h(d.address)
    if step is Step.PIN_CODE:
        return d.pin_code
    if step is Step.LOCATION:
        if not d.has_location:
            return t.gettext("not shared")
        return t.gettext("map pin below") if admin else t.gettext("shared ✓")
    if step is Step.HOURS:
        return format_hours(t, d.opens_at, d.closes_at)
    if step is Step.CAPACITY:
        return str(d.capacity)
    if step is Step.UPI_ID:
        return h(d.upi_id) if d.upi_id else t.gettext("not given")
    raise ValueError(step)


def detail_lines(t: Translator, d: StoreDetails, *, admin: bool = False) -> list[str]:
    return [
        f"{FIELD_ICONS[step]} {t.gettext(FIELD_LABELS[step])}: {field_value(t, step, d, admin=admin)}"
        for step in FIELD_LABELS
    ]


def my_store_text(t: Translator, store: Store) -> str:
    d = store.details
    return t.gettext(
        "🏪 <b>{shop}</b>\n"
        "Store code: <b>{code}</b>\n"
        "🏠 {address}, {pin_code}\n"
        "🕘 Opening hours: {hours}\n"
        "📦 Capacity (parcels): {capacity}\n"
        "📱 Mobile number: {mobile}\n"
        "💳 UPI id: {upi}"
    ).format(
        shop=h(d.shop_name),
        code=store.code or "",
        address=h(d.address),
        pin_code=d.pin_code,
        hours=format_hours(t, d.opens_at, d.closes_at),
        capacity=d.capacity,
        mobile=format_mobile(d.mobile),
        upi=h(d.upi_id) if d.upi_id else t.gettext("not given"),
    )
