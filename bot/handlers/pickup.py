"""The handover at the counter: /pickup, the code, the parcel screen, the customer's receipt.

Flow (docs/flows/pickup.md): /pickup or the menu → flow ``pickup``/``code`` → the shopkeeper
types the code → parcel screen with buttons (``1:pk:<action>:<screen id>``) → handed over /
all / can't find it / cancel. The customer's receipt carries ``1:pk:nm:<parcel id>`` ("not
you?"). Every rule is in :mod:`bot.services.pickup`; this module parses and renders.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import outbox
from bot.clock import from_db
from bot.domain import FlowState, MessageRef
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import Who, h, services, who
from bot.handlers.router import Flow, register_flow, show_menu, start_flow
from bot.handlers.start import MENU_ACTIONS
from bot.handlers.store_views import format_mobile
from bot.i18n import Translator
from bot.i18n.formatting import format_datetime, format_money, format_number, format_time
from bot.services import lockout, pickup, users
from bot.services.context import Services
from bot.services.pickup import Parcel, Scope, Store

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FEATURE = "pk"
FLOW = "pickup"
STEP_CODE = "code"
# Button action -> handover scope.
SCOPES = {"ok": Scope.ONE, "all": Scope.ALL, "rest": Scope.REST}


# ------------------------------------------------------------------------------ texts


def ask_code_text(t: Translator) -> str:
    return t.gettext(
        "📦 <b>Hand over a parcel</b>\n\n"
        "Ask the customer for their pickup code and type it here: 6 digits, e.g. 482 917.\n"
        "Send /cancel to stop."
    )


def locked_text(t: Translator, svc: Services, locked: pickup.Locked) -> str:
    return t.gettext(
        "🔒 Too many wrong codes. Code entry at your store is locked until {time}.\n"
        "Ask the customer to check the code in their chat with this bot."
    ).format(time=format_time(locked.until, t.lang, svc.settings.tz))


def store_line(t: Translator, store: Store) -> str:
    return t.gettext("Store: {shop} ({code}) · {owner}, {mobile}").format(
        shop=h(store.name), code=h(store.code), owner=h(store.owner_name),
        mobile=format_mobile(store.mobile),
    )


def customer_line(t: Translator, parcel: Parcel) -> str:
    return t.gettext("Customer: {name}, {phone}").format(
        name=h(parcel.customer_name) if parcel.customer_name else "—",
        phone=format_mobile(parcel.customer_phone),
    )


def waited_text(t: Translator, days: int, *, short: bool = False) -> str:
    """How long a parcel has waited: "arrived today", never "for 0 days"."""
    if days <= 0:
        return t.gettext("arrived today") if short else t.gettext("Arrived at your shop today")
    if short:
        return t.ngettext("{days} day at your shop", "{days} days at your shop", days).format(
            days=format_number(days, t.lang))
    return t.ngettext("At your shop for {days} day", "At your shop for {days} days", days).format(
        days=format_number(days, t.lang))


def parcel_screen(t: Translator, found: pickup.Found) -> str:
    p = found.parcel
    lines = [
        t.gettext("📦 <b>Parcel found</b>"),
        t.gettext("Tracking id: {tracking}").format(tracking=f"<code>{h(p.masked_tracking)}</code>"),
    ]
    if p.customer_name:
        lines.append(t.gettext("Customer: {name}").format(name=h(p.customer_name)))
    lines.append(t.gettext("Mobile number ending in: {last4}").format(last4=p.mobile_last4))
    lines.append(waited_text(t, found.days))
    if found.others:
        lines += ["", t.gettext("This customer has more parcels waiting here:")]
        for other, days in found.others:
            waited = waited_text(t, days, short=True)
            lines.append(f"• <code>{h(other.masked_tracking)}</code> ({waited})")
    lines += ["", t.gettext("Check the name and mobile number with the customer. Handed over?")]
    return "\n".join(lines)


def parcel_screen_markup(t: Translator, found: pickup.Found) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(t.gettext("✅ Handed over"),
                                  callback_data=pack(FEATURE, "ok", found.check_id))]]
    if found.others:
        rows.append([InlineKeyboardButton(
            t.gettext("✅ Hand over all {count}").format(
                count=format_number(1 + len(found.others), t.lang)),
            callback_data=pack(FEATURE, "all", found.check_id))])
    rows.append([InlineKeyboardButton(t.gettext("🔍 Can't find it"),
                                      callback_data=pack(FEATURE, "nf", found.check_id))])
    rows.append([InlineKeyboardButton(t.gettext("✖️ Cancel"),
                                      callback_data=pack(FEATURE, "no", found.check_id))])
    return InlineKeyboardMarkup(rows)


def next_parcel_button(t: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(t.gettext("📦 Next parcel"), callback_data=pack("menu", "pickup"))]


def handed_over_text(t: Translator, done: pickup.HandedOver) -> str:
    lines = [t.gettext("✅ <b>Handed over</b>")]
    lines += [f"• <code>{h(p.masked_tracking)}</code>" for p in done.parcels]
    name = done.parcels[0].customer_name
    if name:
        lines.append(t.gettext("Customer: {name}").format(name=h(name)))
    lines.append(t.gettext("{amount} added to your earnings.").format(
        amount=format_money(done.total_paise, t.lang)))
    if done.still_waiting:
        lines += ["", t.gettext("Still waiting here for this customer: {count}").format(
            count=format_number(len(done.still_waiting), t.lang))]
        lines += [f"• <code>{h(p.masked_tracking)}</code>" for p in done.still_waiting]
    return "\n".join(lines)


def handed_over_markup(t: Translator, done: pickup.HandedOver) -> InlineKeyboardMarkup:
    rows = []
    if done.still_waiting:
        rows.append([InlineKeyboardButton(
            t.gettext("✅ Hand these over too ({count})").format(
                count=format_number(len(done.still_waiting), t.lang)),
            callback_data=pack(FEATURE, "rest", done.check_id))])
    rows.append(next_parcel_button(t))
    return InlineKeyboardMarkup(rows)


def receipt_text(t: Translator, svc: Services, done: pickup.HandedOver) -> str:
    lines = [t.gettext("✅ <b>Your parcel was handed over</b>")]
    lines += [f"• <code>{h(p.tracking_id)}</code>" for p in done.parcels]
    lines += [
        t.gettext("Store: {shop}").format(shop=h(done.store.name)),
        t.gettext("Time: {time}").format(time=format_datetime(done.at, t.lang, svc.settings.tz)),
        "",
        t.gettext("Not you? Tell us with the button below."),
    ]
    return "\n".join(lines)


def receipt_markup(t: Translator, done: pickup.HandedOver) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        t.gettext("🚩 Not me? Tell us"), callback_data=pack(FEATURE, "nm", done.parcels[0].id))]])


def tracking_lines(parcels: list[Parcel]) -> list[str]:
    return [f"• <code>{h(p.tracking_id)}</code>" for p in parcels]


# ---------------------------------------------------------------------------- outbox kinds
# Queued by bot/services/pickup.py in the transaction of the change; rendered when sent.


@outbox.renderer(pickup.RECEIPT)
async def render_receipt(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    """The customer's proof of handover, in their language, with "not you?"."""
    done = pickup.HandedOver(
        store=pickup.Store.from_payload(payload["store"]),
        parcels=[pickup.Parcel.from_payload(p) for p in payload["parcels"]],
        at=from_db(payload["at"]), fee_paise=0, customer_user_id=ctx.chat_id, check_id=0)
    return outbox.OutMessage(receipt_text(ctx.t, ctx.svc, done),
                             reply_markup=receipt_markup(ctx.t, done))


@outbox.renderer(pickup.LOCK_ALERT)
async def render_lock_alert(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    t, svc = ctx.t, ctx.svc
    return outbox.OutMessage("\n".join([
        t.gettext("🔒 <b>Code entry locked</b>"),
        store_line(t, pickup.Store.from_payload(payload["store"])),
        t.ngettext(
            "Wrong pickup codes within {minutes} minute: {count}. Code entry at this store "
            "is locked until {time}.",
            "Wrong pickup codes within {minutes} minutes: {count}. Code entry at this store "
            "is locked until {time}.", int(lockout.WINDOW.total_seconds() // 60)).format(
            count=format_number(lockout.MAX_WRONG_CODES, t.lang),
            minutes=format_number(int(lockout.WINDOW.total_seconds() // 60), t.lang),
            time=format_datetime(from_db(payload["until"]), t.lang, svc.settings.tz)),
    ]))


@outbox.renderer(pickup.NOT_FOUND_ALERT)
async def render_not_found_alert(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    t, svc = ctx.t, ctx.svc
    p = pickup.Parcel.from_payload(payload["parcel"])
    lines = [t.gettext("🔍 <b>Parcel not found at the counter</b>"), *tracking_lines([p]),
             customer_line(t, p), store_line(t, pickup.Store.from_payload(payload["store"]))]
    if p.arrived_at is not None:
        lines.append(t.gettext("Arrived: {time}").format(
            time=format_datetime(p.arrived_at, t.lang, svc.settings.tz)))
    lines.append(t.gettext("The shopkeeper could not find it. It stays recorded as arrived."))
    return outbox.OutMessage("\n".join(lines))


@outbox.renderer(pickup.DISPUTE_ALERT)
async def render_dispute_alert(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    t, svc = ctx.t, ctx.svc
    parcels = [pickup.Parcel.from_payload(p) for p in payload["parcels"]]
    first = parcels[0]
    lines = [t.gettext("🚩 <b>A customer says they did not collect their parcel</b>"),
             *tracking_lines(parcels), customer_line(t, first),
             store_line(t, pickup.Store.from_payload(payload["store"]))]
    if first.picked_up_at is not None:
        lines.append(t.gettext("Handed over: {time}").format(
            time=format_datetime(first.picked_up_at, t.lang, svc.settings.tz)))
    return outbox.OutMessage("\n".join(lines))


# ---------------------------------------------------------------------------- handlers


async def answer(query: CallbackQuery, text: str | None = None, *,
                 show_alert: bool = False) -> None:
    """Answer a button press; a repeated update's query was answered already, and that is fine."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        log.info("callback query %s not answered: %s", query.id, exc.message)


async def pickup_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await start_pickup(update, context, w)


async def start_pickup(update: Update, context: Context, w: Who) -> None:
    """/pickup and the menu button: ask for the code (unless the store may not, or is locked)."""
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    result = await pickup.begin(svc, w.user.user_id)
    if isinstance(result, pickup.NotAStore):
        await show_menu(update, w, w._("Only an approved partner store can hand over parcels."))
    elif isinstance(result, pickup.Locked):
        await chat.send_message(locked_text(w.t, svc, result))
    else:
        await start_flow(context, w.user.user_id, FLOW, STEP_CODE)
        await chat.send_message(ask_code_text(w.t))


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    """A message while the bot waits for a code."""
    chat = update.effective_chat
    message = update.effective_message
    assert chat is not None
    text = message.text if message is not None else None
    if not text:
        await chat.send_message(w._("Please type the 6-digit pickup code, e.g. 482 917."))
        return
    await check_code(update, context, w, text)


async def check_code(update: Update, context: Context, w: Who, text: str) -> None:
    """A code typed (or read from the customer's QR): the parcel screen, or why not."""
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    # The message counts a wrong code once, however often it is handled (a replay after a kill).
    typed = MessageRef(chat.id, message.message_id) if message is not None else None
    result = await pickup.look_up_code(svc, w.user.user_id, text, typed)
    if isinstance(result, pickup.BadCode):
        await chat.send_message(w._(
            "A pickup code has 6 digits, e.g. 482 917. Please type it again, or send /cancel."))
    elif isinstance(result, pickup.NoParcel):
        reply = w._("❌ No parcel with this code here.\n"
                    "Check the code with the customer and type it again, or send /cancel.")
        if result.tries_left <= 2:
            reply += "\n\n" + w.t.ngettext(
                "Careful: wrong codes left before code entry is locked for {minutes} minute: "
                "{count}.",
                "Careful: wrong codes left before code entry is locked for {minutes} minutes: "
                "{count}.", int(lockout.LOCK_FOR.total_seconds() // 60)).format(
                count=format_number(result.tries_left, w.lang),
                minutes=format_number(int(lockout.LOCK_FOR.total_seconds() // 60), w.lang))
        await chat.send_message(reply)
    elif isinstance(result, pickup.Locked):
        await users.leave_flow(svc, w.user.user_id)
        reply = locked_text(w.t, svc, result)
        if result.new:
            reply = w._("❌ No parcel with this code here.") + "\n\n" + reply
        await chat.send_message(reply)  # the admins' alert was queued with the lock
    elif isinstance(result, pickup.NotAStore):
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, w._("Only an approved partner store can hand over parcels."))
    else:
        await users.leave_flow(svc, w.user.user_id)
        await chat.send_message(parcel_screen(w.t, result),
                                reply_markup=parcel_screen_markup(w.t, result))


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    cb = parse(query.data)
    target = cb.int_arg(0) if cb is not None else None
    if cb is None or target is None:
        await answer(query, w._("This button has expired."))
        return
    if cb.action in SCOPES:
        await _hand_over(update, context, w, target, SCOPES[cb.action])
    elif cb.action in ("no", "nf"):
        await _close(update, context, w, target, not_found=cb.action == "nf")
    elif cb.action == "nm":
        await _dispute(update, context, w, target)
    else:
        await answer(query, w._("This button has expired."))


async def _hand_over(update: Update, context: Context, w: Who, check_id: int,
                     scope: Scope) -> None:
    svc = services(context)
    query = update.callback_query
    assert query is not None
    result = await pickup.hand_over(svc, w.user.user_id, check_id, scope)
    if isinstance(result, pickup.AlreadyHandedOver):
        await answer(query, w._("This parcel was already handed over."))
    elif isinstance(result, pickup.Expired):
        await answer(query, w._("This button has expired."))
    elif isinstance(result, pickup.NotAStore):
        await answer(query, w._("Only an approved partner store can hand over parcels."),
                           show_alert=True)
    elif isinstance(result, pickup.Stale):
        await answer(query)
        await query.edit_message_text(
            w._("This parcel can no longer be handed over with that code: it got a new code or "
                "is no longer waiting here. Ask the customer for their current code."),
            reply_markup=InlineKeyboardMarkup([next_parcel_button(w.t)]))
    else:
        # Handed over and paid, and the customer's receipt queued in the outbox, all in one
        # transaction: whatever Telegram does now, the receipt goes out.
        await answer(query, w._("Handed over ✓"))
        await _show(update, handed_over_text(w.t, result), handed_over_markup(w.t, result))


async def _show(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    """Replace the pressed screen; if it cannot be edited, send the result as a new message."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:
        log.warning("could not edit the parcel screen: %s", exc)
        await chat.send_message(text, reply_markup=markup)


async def _close(update: Update, context: Context, w: Who, check_id: int, *,
                 not_found: bool) -> None:
    svc = services(context)
    query = update.callback_query
    assert query is not None
    if not_found:
        result = await pickup.report_not_found(svc, w.user.user_id, check_id)
    else:
        result = await pickup.cancel(svc, w.user.user_id, check_id)
    if isinstance(result, pickup.Expired):
        await answer(query, w._("This button has expired."))
        return
    await answer(query)
    markup = InlineKeyboardMarkup([next_parcel_button(w.t)])
    if not_found:
        await query.edit_message_text(
            w._("🔍 Noted: parcel {tracking} could not be found. We have told the programme "
                "team. The parcel stays recorded as arrived at your shop; if it turns up, ask "
                "the customer for the code again.").format(
                tracking=f"<code>{h(result.parcel.masked_tracking)}</code>"),
            reply_markup=markup)  # the admins' alert was queued with the record
    else:
        await query.edit_message_text(
            w._("✖️ Not handed over. Nothing was changed."), reply_markup=markup)


async def _dispute(update: Update, context: Context, w: Who, parcel_id: int) -> None:
    svc = services(context)
    query = update.callback_query
    assert query is not None
    result = await pickup.dispute(svc, w.user.user_id, parcel_id)
    if isinstance(result, pickup.Expired):
        await answer(query, w._("This button has expired."))
        return
    if not result.first:
        await answer(query, w._("You have already told us. Our team will contact you."))
        return
    await answer(query)
    await query.edit_message_reply_markup(reply_markup=None)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(w._(
        "Thank you for telling us. Our team will look into it and contact you soon."))
    # The admins' alert was queued with the report (the first one only).


def register(app: Application) -> None:
    app.add_handler(CommandHandler("pickup", pickup_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))


register_flow(Flow(FLOW, on_input=on_input))
MENU_ACTIONS["pickup"] = start_pickup
