"""Customers: *collect a parcel*, /myparcels, linking by contact, deep links, new code, extend.

Flow ``link`` (docs/flows/link.md): one step, ``contact``, waiting for the customer's own contact
(``data.token``: the deep-link token they came with, if any).
"""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.domain import FlowState
from bot.handlers import start
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.commands import set_chat_commands
from bot.handlers.context import Who, h, services, who
from bot.handlers.notices import (
    MASK,
    code_line,
    last_day_line,
    qr_markup,
    send_secret,
    store_block,
)
from bot.handlers.parcel_texts import status_label
from bot.handlers.router import Flow, register_flow, show_menu, start_flow
from bot.handlers.show_qr import new_code_button
from bot.i18n.formatting import format_weekday_date
from bot.services import customers, users
from bot.services import notices as notices_service
from bot.services.customers import Extended, LinkProblem, MyParcel, NewCode, ParcelProblem
from bot.services.parcel_models import ParcelStatus
from bot.validation import mask_mobile

Context = ContextTypes.DEFAULT_TYPE
FLOW = "link"
FEATURE = "myp"
PRIVATE = filters.ChatType.PRIVATE
TOKEN = re.compile(r"p_[A-Za-z0-9_-]{16,62}")
MAX_PARCELS_SHOWN = 10


async def _send(update: Update, text: str, markup=None) -> None:  # noqa: ANN001
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


def _contact_keyboard(w: Who) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(w._("📱 Share my number"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True,
    )


# --------------------------------------------------------------------------- linking


async def ask_contact(update: Update, context: Context, w: Who, token: str = "") -> None:
    await start_flow(context, w.user.user_id, FLOW, "contact", {"token": token} if token else {})
    text = w._(
        "📦 To find your parcels, I need your mobile number. Press the button "
        "«📱 Share my number» below: Telegram sends me the number of your own account. "
        "I use it only to find the parcels sent to you."
    )
    if w.user.language is None:
        text += "\n\n" + w._("To change the language, send /language.")
    await _send(update, text + "\n\n" + w._("/cancel to stop."), _contact_keyboard(w))


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    assert message is not None
    contact = message.contact
    if contact is None:
        await _send(update, w._(
            "Please press the «📱 Share my number» button below. A typed number is not enough: "
            "sharing shows that the number is yours. /cancel to stop."), _contact_keyboard(w))
        return
    svc = services(context)
    result = await customers.link_contact(
        svc, w.user.user_id, contact.user_id, contact.phone_number, w.lang)
    if result is LinkProblem.NOT_OWN_CONTACT:
        await _send(update, w._(
            "That is someone else's contact. Please share your own number with the "
            "«📱 Share my number» button below."), _contact_keyboard(w))
        return
    if result is LinkProblem.NOT_INDIAN_MOBILE:
        await _send(update, w._(
            "Your Telegram account's number is not an Indian mobile number, so I cannot find "
            "parcels for it. Parcels are matched by the Indian mobile number (+91) given to the "
            "shop."), ReplyKeyboardRemove())
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w)
        return
    await users.leave_flow(svc, w.user.user_id)
    w = await who(update, context)  # now a customer (and maybe with a language)
    await _send(update, w._("✅ Your number {mobile} is linked. I will tell you here when a "
                            "parcel for it arrives.").format(mobile=mask_mobile(result.phone)),
                ReplyKeyboardRemove())
    await set_chat_commands(context.bot, w.user.chat_id, w.user.menu_roles, w.lang)
    # Notices of parcels already waiting were queued in the outbox with the link.
    token = str(state.data.get("token") or "")
    if token and not await customers.token_is_mine(svc, w.user.user_id, token):
        await _send(update, w._("I found no parcel for your number from that link. If you "
                                "think this is wrong, ask the sender which number they used."))
    await show_my_parcels(update, context, w, send_pending=False)


async def on_cancel(update: Update, context: Context, w: Who, state: FlowState) -> None:
    await _send(update, w._("Your number was not shared."), ReplyKeyboardRemove())


async def deep_link(update: Update, context: Context, w: Who, payload: str) -> bool:
    """``/start p_…``: a parcel's link from an SMS or a printed slip starts linking at once."""
    if not TOKEN.fullmatch(payload):
        return False
    svc = services(context)
    if await customers.token_is_mine(svc, w.user.user_id, payload):
        await show_my_parcels(update, context, w)
    else:
        # Not linked, or linked to another number: the contact must show the parcel's number.
        await ask_contact(update, context, w, payload)
    return True


# ------------------------------------------------------------------------ /myparcels


async def myparcels_command(update: Update, context: Context) -> None:
    await collect(update, context, await who(update, context))


async def collect(update: Update, context: Context, w: Who) -> None:
    """*Collect a parcel* / /myparcels: the parcels list, or linking first."""
    if await customers.linked_phone(services(context), w.user.user_id) is None:
        await ask_contact(update, context, w)
        return
    await show_my_parcels(update, context, w)


def _parcel_text(w: Who, item: MyParcel) -> str:
    parcel, store = item.parcel, item.store
    tracking = h(parcel.tracking_id)
    if parcel.status is ParcelStatus.ARRIVED:
        lines = [w._("📦 <b>{tracking}</b> — waiting for you").format(tracking=tracking),
                 store_block(w.t, store)]
        if parcel.last_day:
            lines.append(last_day_line(w.t, parcel.last_day))
        return "\n".join(lines)
    if parcel.status is ParcelStatus.EXPECTED:
        return w._("🚚 <b>{tracking}</b> — on its way to {store}. I will tell you when it "
                   "arrives.").format(tracking=tracking, store=h(store.name))
    return w._("↩️ <b>{tracking}</b> — {status}").format(
        tracking=tracking, status=status_label(w.t, parcel.status))


def _parcel_buttons(w: Who, items: list[MyParcel]) -> InlineKeyboardMarkup | None:
    rows = []
    for item in items:
        if item.parcel.status is not ParcelStatus.ARRIVED:
            continue
        # Two buttons share a row on a phone: the id's last 4 characters (as on the parcel
        # screen at the counter) fit where a full 30-character id was cut off.
        tail = button_tail(item.parcel.tracking_id)
        row = [InlineKeyboardButton(
            w._("🔑 New code · {tracking}").format(tracking=tail),
            callback_data=pack(FEATURE, "code", item.parcel.id))]
        if item.can_extend:
            row.append(InlineKeyboardButton(
                w._("⏳ +3 days · {tracking}").format(tracking=tail),
                callback_data=pack(FEATURE, "ext", item.parcel.id)))
        rows.append(row)
        rows.append([new_code_button(w.t, item.parcel.id, tail)])
    return InlineKeyboardMarkup(rows) if rows else None


def button_tail(tracking_id: str) -> str:
    """``TRK10000001`` → ``…0001``: short enough for half a phone's width."""
    return "…" + tracking_id[-4:]


async def show_my_parcels(
    update: Update, context: Context, w: Who, *, send_pending: bool = True
) -> None:
    svc = services(context)
    phone = await customers.linked_phone(svc, w.user.user_id)
    if phone is not None and send_pending:
        await notices_service.queue_notices(svc, phone)  # those that failed before
    items = await customers.my_parcels(svc, w.user.user_id)
    if not items:
        await show_menu(update, w, w._(
            "You have no parcels right now. When a parcel for your number arrives at a partner "
            "store, I will send you its pickup code here."))
        return
    shown = items[:MAX_PARCELS_SHOWN]
    parts = [w._("<b>Your parcels</b>")] + [_parcel_text(w, item) for item in shown]
    if len(items) > len(shown):
        parts.append(w._("and {count} more").format(count=len(items) - len(shown)))
    if any(i.parcel.status is ParcelStatus.ARRIVED for i in shown):
        parts.append(w._("Lost your pickup code? Press «🔑 New code»: the old code stops "
                         "working. Need more time? «⏳ +3 days» keeps a parcel 3 days longer "
                         "(once per parcel)."))
    await _send(update, "\n\n".join(parts), _parcel_buttons(w, shown))


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    parcel_id = cb.int_arg(0) if cb else None
    if cb is None or parcel_id is None or cb.action not in ("code", "ext"):
        await query.answer(w._("This button has expired."))
        return
    svc = services(context)
    if cb.action == "code":
        result = await customers.new_code(svc, w.user.user_id, parcel_id)
        if isinstance(result, NewCode):
            await query.answer()
            await _send_new_code(update, context, w, result)
            return
    else:
        extended = await customers.extend(svc, w.user.user_id, parcel_id)
        if isinstance(extended, Extended):
            await query.answer()
            await _send(update, w._("⏳ Done: <b>{tracking}</b> will wait for you until {date}.")
                        .format(tracking=h(extended.parcel.tracking_id),
                                date=format_weekday_date(extended.parcel.last_day, w.lang)))
            return
        result = extended
    answers = {
        ParcelProblem.NOT_YOURS: w._("This button has expired."),
        ParcelProblem.NOT_WAITING: w._("This parcel is no longer waiting at the store."),
        ParcelProblem.ALREADY_EXTENDED: w._("You have already extended this parcel once."),
    }
    await query.answer(answers[result], show_alert=result is ParcelProblem.ALREADY_EXTENDED)


async def _send_new_code(update: Update, context: Context, w: Who, new: NewCode) -> None:
    def render(code: str) -> str:
        lines = [
            w._("🔑 New pickup code for <b>{tracking}</b>. The old code no longer works.")
            .format(tracking=h(new.parcel.tracking_id)),
            code_line(w.t, code),
        ]
        if new.parcel.last_day:
            lines.append(last_day_line(w.t, new.parcel.last_day))
        lines.append(w._("🏪 {store}").format(store=h(new.store.name)))
        return "\n".join(lines)

    svc = services(context)
    await send_secret(context.bot, svc, w.user.chat_id, render(new.code), redacted=render(MASK),
                      reply_markup=qr_markup(w.t, svc, new.parcel.id, new.code))


register_flow(Flow(FLOW, on_input=on_input, on_cancel=on_cancel))
start.MENU_ACTIONS["collect"] = collect
start.START_PAYLOAD_HANDLERS.append(deep_link)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("myparcels", myparcels_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))
