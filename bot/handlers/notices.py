"""Arrival notices (an outbox kind) and other messages carrying a pickup code.

A message with a pickup code must never be written down anywhere readable: not in the outbox,
not in logs. The arrival notice's renderer issues the code as the message goes out;
:func:`send_secret` (a reply carrying a new code) records only a masked copy if it is lost.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import outbox
from bot.handlers.callbacks import pack
from bot.handlers.context import h
from bot.handlers.delivery import send_with_retries
from bot.handlers.store_views import hours_range
from bot.i18n import Translator
from bot.i18n.formatting import format_weekday_date
from bot.services import code_qr
from bot.services import notices as notices_service
from bot.services.codes import code_key
from bot.services.context import Services
from bot.services.notices import Notice
from bot.services.parcel_models import StoreInfo

log = logging.getLogger(__name__)

MASK = "••••••"


async def send_secret(
    bot: Bot, svc: Services, chat_id: int, text: str, *, redacted: str, **kwargs: object
) -> tuple[Message | None, str]:
    """Send ``text``; on failure record ``redacted`` (never ``text``). Returns (message, error)."""
    return await send_with_retries(bot, svc, chat_id, text, record=redacted, **kwargs)


def store_hours(t: Translator, store: StoreInfo) -> str:
    if store.all_day:
        return t.gettext("open 24 hours")
    return hours_range(t.lang, store.opens_at, store.closes_at)


def store_block(t: Translator, store: StoreInfo) -> str:
    """Store name, address and opening hours, as customers see them."""
    return t.gettext("🏪 <b>{store}</b>\n{address}, {pin}\n🕘 Opening hours: {hours}").format(
        store=h(store.name), address=h(store.address), pin=h(store.pin_code),
        hours=store_hours(t, store))


def code_line(t: Translator, code: str) -> str:
    return t.gettext("🔑 Pickup code: <code>{code}</code>").format(code=code)


def last_day_line(t: Translator, last_day: date) -> str:
    return t.gettext("📅 Last day to collect: <b>{date}</b>").format(
        date=format_weekday_date(last_day, t.lang))


def maps_line(t: Translator, latitude: float, longitude: float) -> str:
    """A link that opens the store's map pin (one message instead of a message and a
    sendLocation: see docs/outbox.md)."""
    url = f"https://maps.google.com/?q={latitude:.6f},{longitude:.6f}"
    return t.gettext('📍 <a href="{url}">Open the store in Maps</a>').format(url=url)


def map_line(t: Translator, store: StoreInfo) -> str | None:
    if store.latitude is None or store.longitude is None:
        return None
    return maps_line(t, store.latitude, store.longitude)


def qr_markup(t: Translator, svc: Services, parcel_id: int, code: str) -> InlineKeyboardMarkup:
    """*🔳 Show as QR* (bot/handlers/show_qr.py) under a message showing ``code``, sealed in."""
    token = code_qr.seal(code_key(svc.settings), parcel_id, code)
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        t.gettext("🔳 Show as QR"), callback_data=pack("qr", "show", parcel_id, token))]])


def render_notice(t: Translator, notice: Notice, code: str) -> str:
    block = store_block(t, notice.store)
    pin = map_line(t, notice.store)
    if pin is not None:
        block += "\n" + pin
    return "\n\n".join([
        t.gettext("📦 Your parcel <b>{tracking}</b> has arrived!").format(
            tracking=h(notice.tracking_id)),
        block,
        code_line(t, code) + "\n" + last_day_line(t, notice.last_day),
        t.gettext("Say this code at the counter to collect your parcel. Do not share it with "
                  "anyone else. /myparcels shows all your parcels."),
    ])


def _notice_message(ctx: outbox.RenderContext, notice: Notice | None) -> outbox.OutMessage | None:
    if notice is None:
        return None
    return outbox.OutMessage(render_notice(ctx.t, notice, notice.code),
                             reply_markup=qr_markup(ctx.t, ctx.svc, notice.parcel_id, notice.code))


async def render_arrival_notices(
    ctxs: list[outbox.RenderContext], payloads: list[dict],
) -> list[outbox.OutMessage | None]:
    """Many notices at once: their codes issued in one transaction (the sender's groups)."""
    notices = await notices_service.issue_notices(
        ctxs[0].svc, [(p["parcel_id"], p["user_id"]) for p in payloads])
    return [_notice_message(ctx, n) for ctx, n in zip(ctxs, notices, strict=True)]


@outbox.renderer(notices_service.KIND, on_sent_many=notices_service.notices_sent,
                 on_failed=notices_service.notice_failed, render_many=render_arrival_notices)
async def render_arrival_notice(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    """The code is issued here, as the message goes out: the outbox never holds it."""
    notice = await notices_service.issue_notice(ctx.svc, payload["parcel_id"], payload["user_id"])
    return _notice_message(ctx, notice)
