"""The holding period's messages as people read them, rendered from an outbox payload.

Each renderer takes the recipient's :class:`Translator` (chosen when the message is sent, so a
language changed in between is honoured) and the JSON payload the service queued, and returns
HTML. They are registered with the outbox at import; only the reminder reads the database at
send time (a parcel collected meanwhile is left out; all collected → nothing is sent).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from bot import outbox
from bot.handlers.context import h
from bot.handlers.parcel_texts import id_list
from bot.i18n import Translator
from bot.i18n.formatting import format_money, format_number, format_weekday_date
from bot.services import holding_messages as kinds


def _store_block(t: Translator, store: dict) -> str:
    if store.get("opens") == "00:00" and store.get("closes") == "24:00":
        hours = t.gettext("open 24 hours")
    else:
        hours = f"{store.get('opens', '')}–{store.get('closes', '')}"
    return t.gettext("🏪 <b>{store}</b>\n{address}, {pin}\n🕘 Opening hours: {hours}").format(
        store=h(store.get("name", "")), address=h(store.get("address", "")),
        pin=h(store.get("pin", "")), hours=hours)


def weekday_date(t: Translator, iso: str) -> str:
    """The last day with its weekday: ``Sat, 5 Dec`` / ``शनि, 5 दिस॰`` / ``शनि, 5 डिसें``."""
    return format_weekday_date(date.fromisoformat(iso), t.lang)


def render_reminder(t: Translator, payload: dict) -> str:
    tracking = list(payload["tracking"])
    n = len(tracking)
    head = t.ngettext(
        "⏰ Reminder: your parcel {tracking} is waiting for you.",
        "⏰ Reminder: your parcels {tracking} are waiting for you.", n,
    ).format(tracking=id_list(t, tracking))
    return "\n\n".join([
        head,
        _store_block(t, payload["store"]),
        t.gettext("📅 Last day to collect: <b>{date}</b>").format(
            date=weekday_date(t, payload["last_day"])),
        t.gettext("Say your pickup code at the counter. Lost it? Get a new one in /myparcels "
                  "(the old one stops working)."),
    ])


def render_expired(t: Translator, payload: dict) -> str:
    tracking = list(payload["tracking"])
    n = len(tracking)
    return "\n\n".join([
        t.ngettext(
            "⌛ Your parcel {tracking} was not collected in time. It goes back to the sender.",
            "⌛ Your parcels {tracking} were not collected in time. They go back to the sender.",
            n,
        ).format(tracking=id_list(t, tracking)),
        t.gettext("🏪 {store}").format(store=h(payload["store"].get("name", ""))),
    ])


def render_returns_due(t: Translator, payload: dict) -> str:
    tracking = list(payload["tracking"])
    n = len(tracking)
    return "\n\n".join([
        t.ngettext(
            "↩️ {count} parcel was not collected in time. Give it back to the courier:",
            "↩️ {count} parcels were not collected in time. Give them back to the courier:", n,
        ).format(count=format_number(n, t.lang)),
        id_list(t, tracking),
        t.gettext("When the courier has taken them, mark them in /returns."),
    ])


def render_returned(t: Translator, payload: dict) -> str:
    tracking = list(payload["tracking"])
    n = len(tracking)
    return t.ngettext(
        "↩️ Your parcel {tracking} has gone back to the sender from {store}.",
        "↩️ Your parcels {tracking} have gone back to the sender from {store}.", n,
    ).format(tracking=id_list(t, tracking), store=h(payload["store"].get("name", "")))


def render_summary(t: Translator, payload: dict) -> str:
    lang = t.lang
    waiting, due = int(payload["waiting"]), int(payload["due_today"])
    to_return, handed = int(payload["to_return"]), int(payload["handed_over"])
    lines = [
        t.gettext("☀️ <b>Good morning! {store}, {date}</b>").format(
            store=h(payload.get("store", "")), date=weekday_date(t, payload["day"])),
        "",
        t.ngettext("📦 {count} parcel waiting for pickup", "📦 {count} parcels waiting for pickup",
                   waiting).format(count=format_number(waiting, lang)),
    ]
    if due:
        lines.append(t.ngettext(
            "📅 {count} of them: today is the last day",
            "📅 {count} of them: today is the last day", due,
        ).format(count=format_number(due, lang)))
    if to_return:
        lines.append(t.ngettext(
            "↩️ {count} parcel to give back to the courier: /returns",
            "↩️ {count} parcels to give back to the courier: /returns", to_return,
        ).format(count=format_number(to_return, lang)))
    lines.append(t.ngettext(
        "✅ Yesterday: {count} parcel handed over, {amount} earned",
        "✅ Yesterday: {count} parcels handed over, {amount} earned", handed,
    ).format(count=format_number(handed, lang),
             amount=format_money(int(payload["earned_paise"]), lang)))
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Translator, dict], str]] = {
    kinds.REMINDER: render_reminder,
    kinds.EXPIRED: render_expired,
    kinds.RETURNS_DUE: render_returns_due,
    kinds.RETURNED: render_returned,
    kinds.SUMMARY: render_summary,
}


async def _still_waiting(ctx: outbox.RenderContext, payload: dict) -> dict | None:
    """A reminder about parcels that were collected meanwhile says only what still waits."""
    ids = [int(i) for i in payload.get("parcel_ids", [])]
    if not ids:
        return payload
    rows = await ctx.svc.db.fetchall(
        "SELECT tracking_id FROM parcels WHERE id IN (SELECT value FROM json_each(?)) "
        "AND status = 'arrived' ORDER BY tracking_id", (json.dumps(ids),))
    if not rows:
        return None
    return {**payload, "tracking": [r[0] for r in rows]}


def _register(kind: str, render: Callable[[Translator, dict], str]) -> None:
    async def send_time(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
        if kind == kinds.REMINDER:
            fresh = await _still_waiting(ctx, payload)
            if fresh is None:
                return None  # all collected since: nothing to remind of (the row is dropped)
            payload = fresh
        return outbox.OutMessage(render(ctx.t, payload))

    outbox.register(kind, send_time)


for _kind, _render in RENDERERS.items():
    _register(_kind, _render)
