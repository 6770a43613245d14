"""Sending arrival notices (and anything else carrying a pickup code) to customers.

A message with a pickup code must never be written down anywhere readable: not in the
``undelivered`` table, not in logs. :func:`send_secret` sends with the same retries as
``delivery.deliver`` but records a copy with the code masked when the message is lost.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot.handlers.callbacks import pack
from bot.handlers.context import h
from bot.handlers.delivery import send_with_retries
from bot.i18n import Translator, translator
from bot.i18n.formatting import format_date
from bot.services import code_qr
from bot.services import notices as notices_service
from bot.services.codes import code_key
from bot.services.context import Services
from bot.services.notices import Notice
from bot.services.parcel_models import StoreInfo
from bot.storage import users as users_repo

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
    return f"{store.opens_at}–{store.closes_at}"


def store_block(t: Translator, store: StoreInfo) -> str:
    """Store name, address and opening hours, as customers see them."""
    return t.gettext("🏪 <b>{store}</b>\n{address}, {pin}\n🕘 Opening hours: {hours}").format(
        store=h(store.name), address=h(store.address), pin=h(store.pin_code),
        hours=store_hours(t, store))


def code_line(t: Translator, code: str) -> str:
    return t.gettext("🔑 Pickup code: <code>{code}</code>").format(code=code)


def last_day_line(t: Translator, last_day: date) -> str:
    return t.gettext("📅 Last day to collect: <b>{date}</b>").format(
        date=format_date(last_day, t.lang))


def qr_markup(t: Translator, svc: Services, parcel_id: int, code: str) -> InlineKeyboardMarkup:
    """*🔳 Show as QR* (bot/handlers/show_qr.py) under a message showing ``code``, sealed in."""
    token = code_qr.seal(code_key(svc.settings), parcel_id, code)
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        t.gettext("🔳 Show as QR"), callback_data=pack("qr", "show", parcel_id, token))]])


def render_notice(t: Translator, notice: Notice, code: str) -> str:
    return "\n\n".join([
        t.gettext("📦 Your parcel <b>{tracking}</b> has arrived!").format(
            tracking=h(notice.tracking_id)),
        store_block(t, notice.store),
        code_line(t, code) + "\n" + last_day_line(t, notice.last_day),
        t.gettext("Say this code at the counter to collect your parcel. Do not share it with "
                  "anyone else. /myparcels shows all your parcels."),
    ])


async def send_location(bot: Bot, chat_id: int, store: StoreInfo) -> None:
    """The store's map pin; a convenience, so a failure is logged and not retried."""
    if not store.has_location:
        return
    try:
        await bot.send_location(chat_id, latitude=store.latitude, longitude=store.longitude)
    except TelegramError as exc:
        log.warning("store location to chat %s not delivered: %s", chat_id, exc)


async def send_notices(bot: Bot, svc: Services, notices: list[Notice]) -> tuple[int, int]:
    """Send claimed notices (one message each, plus each store's map pin once).

    Returns (sent, failed).
    """
    sent = failed = 0
    pinned: set[tuple[int, int]] = set()
    for notice in notices:
        lang = await users_repo.language_of(svc.db, notice.user_id)
        t = translator(lang)
        message, error = await send_secret(
            bot, svc, notice.user_id, render_notice(t, notice, notice.code),
            redacted=render_notice(t, notice, MASK),
            reply_markup=qr_markup(t, svc, notice.parcel_id, notice.code))
        if message is None:
            failed += 1
            await notices_service.notice_failed(svc, notice, error)
            continue
        sent += 1
        await notices_service.notice_delivered(svc, notice)
        if (notice.user_id, notice.store.id) not in pinned:
            pinned.add((notice.user_id, notice.store.id))
            await send_location(bot, notice.user_id, notice.store)
    return sent, failed


async def notify_customers(bot: Bot, svc: Services, phones: list[str]) -> tuple[int, int]:
    """Send every waiting arrival notice of these customers that can be sent now."""
    sent = failed = 0
    for phone in phones:
        s, f = await send_notices(bot, svc, await notices_service.claim_notices(svc, phone))
        sent, failed = sent + s, failed + f
    return sent, failed
