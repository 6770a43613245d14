"""Shopkeeper: /receive (arrivals, unknown ids, refusing a damaged parcel) and /parcels.

Flow ``receive`` (docs/flows/receive.md), state in ``flow_state``:

* ``ids`` — waiting for tracking ids (one per line);
* ``unknown`` — asking the customer's mobile for each id not in any manifest (``queue``);
* ``refuse_id`` / ``refuse_reason`` — refusing a damaged parcel.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import outbox
from bot.domain import FlowState
from bot.handlers import start
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import Who, h, services, who
from bot.handlers.parcel_texts import (
    REFUSE_REASON_BUTTONS,
    REFUSE_REASON_LABELS,
    TRACKING_REASONS,
    id_list,
    status_label,
    tracking_hint,
)
from bot.handlers.router import Flow, register_flow, show_menu, start_flow
from bot.i18n import Translator
from bot.i18n.formatting import format_date, format_number
from bot.services import arrival, users
from bot.services.arrival import (
    NOTE_MAX,
    REFUSE_REASONS,
    NotAllowed,
    Outcome,
    ReceiveReport,
    RefuseCheck,
    Refused,
    RefuseProblem,
    Registered,
    RegisterProblem,
    Shelf,
)
from bot.validation import PhoneError, mask_mobile

Context = ContextTypes.DEFAULT_TYPE
FLOW = "receive"
FEATURE = "recv"
PRIVATE = filters.ChatType.PRIVATE
WAITING_PAGE = 25

async def _send(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


def not_shopkeeper_text(w: Who) -> str:
    return w._("This is for approved partner stores. If your store is not approved yet, "
               "you will get a message as soon as it is.")


def _full_text(w: Who, shelf: Shelf) -> str:
    return w._(
        "🚫 Your shelf is full. Places in use: {held}/{capacity}. Hand over or return "
        "parcels before you receive more."
    ).format(held=format_number(shelf.held, w.lang), capacity=format_number(shelf.store.capacity,
                                                                            w.lang))


def _refuse_markup(w: Who) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        w._("🚫 Refuse: damaged"), callback_data=pack(FEATURE, "refuse"))]])


# ------------------------------------------------------------------------------ /receive


async def receive_command(update: Update, context: Context) -> None:
    await begin(update, context, await who(update, context))


async def begin(update: Update, context: Context, w: Who) -> None:
    current = await arrival.shelf(services(context), w.user.user_id)
    if isinstance(current, NotAllowed):
        await show_menu(update, w, not_shopkeeper_text(w))
        return
    if current.full:
        await show_menu(update, w, _full_text(w, current))
        return
    await start_flow(context, w.user.user_id, FLOW, "ids")
    await _send(update, "\n\n".join([
        w._("📥 Send the tracking ids of the parcels the courier brought, one per line. "
            "Capital or small letters are both fine.\nExample:\nABC12345\nXYZ98765"),
        w._("Free places on your shelf: {free}/{capacity}.").format(
            free=format_number(current.free, w.lang),
            capacity=format_number(current.store.capacity, w.lang)),
        w._("📷 Or send a photo of the labels: I read their barcodes and QR codes."),
        w._("Is a parcel damaged? Do not accept it: press the button below. /cancel to stop."),
    ]), _refuse_markup(w))


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    assert message is not None
    text = message.text or ""
    if state.step == "unknown" and message.contact is not None:
        # A contact card from the phone book: the customer's number and name.
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        text = f"{contact.phone_number}\n{name}"
    steps = {
        "ids": on_ids,
        "scanned": on_ids,  # typed ids after a photo: received like any typed ids
        "unknown": on_unknown_phone,
        "refuse_id": on_refuse_id,
        "refuse_reason": on_refuse_note,
    }
    handler = steps.get(state.step)
    if handler is None:
        await users.leave_flow(services(context), w.user.user_id)
        await show_menu(update, w)
        return
    if not text.strip():
        await _send(update, w._("Please type your answer as text, or send /cancel to stop."))
        return
    await handler(update, context, w, state, text)


async def _leave(update: Update, context: Context, w: Who, text: str) -> None:
    await users.leave_flow(services(context), w.user.user_id)
    await show_menu(update, w, text)


async def on_ids(update: Update, context: Context, w: Who, state: FlowState, text: str) -> None:
    await record_ids(update, context, w, text)


async def record_ids(update: Update, context: Context, w: Who, text: str) -> None:
    """Record the arrival of the ids in ``text`` (typed, or read from photos) and answer."""
    svc = services(context)
    report = await arrival.receive(svc, w.user.user_id, text)
    if isinstance(report, NotAllowed):
        await _leave(update, context, w, not_shopkeeper_text(w))
        return
    if not report.results:
        await _send(update, "\n\n".join([
            _bad_lines_text(w.t, report), w._("Please send the tracking ids again.")]))
        return
    # The notices were queued in the outbox with the arrival; the sender delivers them.
    summary = render_report(w.t, report,
                            told=min(report.queued, len(report.ids(Outcome.ARRIVED))))
    unknown = report.ids(Outcome.UNKNOWN)
    if unknown:
        await start_flow(context, w.user.user_id, FLOW, "unknown", {"queue": unknown})
        await _send(update, summary)
        await ask_unknown(update, w, unknown)
        return
    await _leave(update, context, w, summary)


def _bad_lines_text(t: Translator, report: ReceiveReport) -> str:
    lines = [t.gettext("❌ Not tracking ids:")]
    for bad in report.bad_lines[:10]:
        lines.append(t.gettext("line {line}: {text} — {reason}").format(
            line=bad.line, text=h(bad.raw[:40]), reason=t.gettext(TRACKING_REASONS[bad.reason])))
    if len(report.bad_lines) > 10:
        lines.append(t.gettext("and {count} more").format(count=len(report.bad_lines) - 10))
    lines.append(tracking_hint(t))
    return "\n".join(lines)


def render_report(t: Translator, report: ReceiveReport, *, told: int) -> str:
    """What happened to each id of a /receive batch, grouped, most important first."""
    _ = t.gettext
    parts: list[str] = []
    arrived = report.ids(Outcome.ARRIVED)
    if arrived:
        parts.append(_("✅ Arrived ({count}): {ids}").format(
            count=len(arrived), ids=id_list(t, arrived)))
        parts.append(t.ngettext(
            "📨 Customers told now: {told}/{count}. The other one will be told as soon as they "
            "open the bot.",
            "📨 Customers told now: {told}/{count}. The others will be told as soon as they "
            "open the bot.", len(arrived) - told).format(told=told, count=len(arrived))
                     if told < len(arrived) else
                     _("📨 Every customer has been told, with their pickup code."))
    full = report.ids(Outcome.STORE_FULL)
    if full:
        parts.append(_("🚫 Not accepted, your shelf is full (places in use: {held}/{capacity}): "
                       "{ids}. Hand over or return parcels first.").format(
            held=format_number(report.held, t.lang),
            capacity=format_number(report.store.capacity, t.lang), ids=id_list(t, full)))
    already = report.ids(Outcome.ALREADY_ARRIVED)
    if already:
        parts.append(_("ℹ️ Already received earlier, nothing changed: {ids}").format(
            ids=id_list(t, already)))
    other = report.ids(Outcome.OTHER_STORE)
    if other:
        parts.append(_("⛔ Not for your store: {ids}. Do not keep them; give them back to the "
                       "courier.").format(ids=id_list(t, other)))
    closed = report.closed()
    if closed:
        entries = ", ".join(f"<code>{h(r.tracking_id)}</code> ({status_label(t, r.status or '')})"
                            for r in closed[:20])
        parts.append(_("📦 Already finished, nothing changed: {entries}").format(entries=entries))
    unknown = report.ids(Outcome.UNKNOWN)
    if unknown:
        parts.append(_("❓ Not in our list: {ids}. I will ask you for each customer's mobile "
                       "number.").format(ids=id_list(t, unknown)))
    if report.bad_lines:
        parts.append(_bad_lines_text(t, report))
    if report.too_many:
        parts.append(t.ngettext(
            "Only the first {limit} ids were read. Send the other {count} id in another message.",
            "Only the first {limit} ids were read. Send the other {count} ids in another message.",
            report.too_many).format(limit=arrival.MAX_IDS_PER_MESSAGE, count=report.too_many))
    return "\n\n".join(parts)


# ---------------------------------------------------------------------- unknown ids


def _skip_markup(w: Who, tracking_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        w._("⏭ Skip this parcel"), callback_data=pack(FEATURE, "skip", tracking_id))]])


async def ask_unknown(update: Update, w: Who, queue: list[str]) -> None:
    text = w._(
        "❓ <code>{tracking}</code> is not in our list. Type the customer's mobile number (or "
        "share their contact); add their name on a second line if you know it.\nExample:\n"
        "98765 43210\nPriya Sharma"
    ).format(tracking=h(queue[0]))
    if len(queue) > 1:
        text += "\n\n" + w.t.ngettext(
            "{count} more parcel after this one.", "{count} more parcels after this one.",
            len(queue) - 1,
        ).format(count=len(queue) - 1)
    await _send(update, text, _skip_markup(w, queue[0]))


def _phone_problem(w: Who, problem: PhoneError | RegisterProblem) -> str:
    if problem is RegisterProblem.NAME_TOO_LONG:
        return w._("The name is too long (at most 100 characters). Please try again.")
    if problem is PhoneError.NOT_INDIAN:
        return w._("That is not an Indian number. Type a 10-digit Indian mobile number, "
                   "for example 98765 43210.")
    return w._("That is not a mobile number. Type a 10-digit mobile number, "
               "for example 98765 43210.")


async def on_unknown_phone(
    update: Update, context: Context, w: Who, state: FlowState, text: str
) -> None:
    svc = services(context)
    queue: list[str] = list(state.data.get("queue") or [])
    if not queue:
        await _leave(update, context, w, w._("Done."))
        return
    result = await arrival.register_unknown(svc, w.user.user_id, queue[0], text)
    if result is RegisterProblem.NOT_SHOPKEEPER:
        await _leave(update, context, w, not_shopkeeper_text(w))
        return
    if not isinstance(result, Registered):
        await _send(update, _phone_problem(w, result), _skip_markup(w, queue[0]))
        return
    await _send(update, _registered_text(w, result, result.queued))
    if result.result.outcome is Outcome.STORE_FULL:
        rest = queue[1:]
        text = w._("Your shelf is full now.")
        if rest:
            text += " " + w._("Not accepted: {ids}.").format(ids=id_list(w.t, rest))
        await _leave(update, context, w, text)
        return
    await _next_unknown(update, context, w, queue[1:])


def _registered_text(w: Who, result: Registered, told: int) -> str:
    line = result.result
    tracking = f"<code>{h(line.tracking_id)}</code>"
    if line.outcome is Outcome.ARRIVED:
        text = w._("✅ {tracking} arrived.").format(tracking=tracking)
        if told:
            return text + " " + w._("The customer has been told.")
        return text + " " + w._("The customer will be told as soon as they open the bot.")
    if line.outcome is Outcome.STORE_FULL:
        return w._("🚫 {tracking} not accepted: your shelf is full.").format(tracking=tracking)
    if line.outcome is Outcome.ALREADY_ARRIVED:
        return w._("ℹ️ {tracking} was already received.").format(tracking=tracking)
    if line.outcome is Outcome.OTHER_STORE:
        return w._("⛔ {tracking} is not for your store. Give it back to the courier.").format(
            tracking=tracking)
    return w._("📦 {tracking} is already finished ({status}); nothing changed.").format(
        tracking=tracking, status=status_label(w.t, line.status or ""))


async def _next_unknown(update: Update, context: Context, w: Who, queue: list[str]) -> None:
    if queue:
        await start_flow(context, w.user.user_id, FLOW, "unknown", {"queue": queue})
        await ask_unknown(update, w, queue)
    else:
        await _leave(update, context, w, w._("All parcels are done."))


# -------------------------------------------------------------------------- refusing


async def on_refuse_id(
    update: Update, context: Context, w: Who, state: FlowState, text: str
) -> None:
    check = await arrival.check_refusable(services(context), w.user.user_id, text)
    tracking = f"<code>{h(check.tracking_id)}</code>"
    if check.check is RefuseCheck.BAD_ID:
        assert check.reason is not None
        await _send(update, w._("That is not a tracking id ({reason}). {hint}").format(
            reason=w._(TRACKING_REASONS[check.reason]), hint=tracking_hint(w.t)))
        return
    if check.check is RefuseCheck.REFUSABLE:
        await start_flow(context, w.user.user_id, FLOW, "refuse_reason",
                         {"tracking": check.tracking_id})
        buttons = [[InlineKeyboardButton(w._(REFUSE_REASON_BUTTONS[r]),
                                         callback_data=pack(FEATURE, "why", r))]
                   for r in REFUSE_REASONS]
        await _send(update, w._("What is wrong with {tracking}? Press a button, or type it in "
                                "a few words.").format(tracking=tracking),
                    InlineKeyboardMarkup(buttons))
        return
    texts = {
        RefuseCheck.NOT_SHOPKEEPER: not_shopkeeper_text(w),
        RefuseCheck.UNKNOWN: w._("{tracking} is not in our list. Do not accept it; give it "
                                 "back to the courier.").format(tracking=tracking),
        RefuseCheck.OTHER_STORE: w._("⛔ {tracking} is not for your store. Give it back to the "
                                     "courier.").format(tracking=tracking),
        RefuseCheck.ALREADY_ARRIVED: w._("{tracking} was already received, so it cannot be "
                                         "refused now. If it is damaged, keep it aside and "
                                         "tell us.").format(tracking=tracking),
        RefuseCheck.CLOSED: w._("{tracking} is already finished; nothing changed.").format(
            tracking=tracking),
    }
    await _leave(update, context, w, texts[check.check])


async def on_refuse_note(
    update: Update, context: Context, w: Who, state: FlowState, text: str
) -> None:
    await _refuse(update, context, w, state, "other", text)


async def _refuse(
    update: Update, context: Context, w: Who, state: FlowState, reason: str, note: str
) -> None:
    svc = services(context)
    tracking_id = str(state.data.get("tracking", ""))
    result = await arrival.refuse(svc, w.user.user_id, tracking_id, reason, note)
    if result is RefuseProblem.NOTE_TOO_SHORT:
        await _send(update, w._("Please write a few words about what is wrong, for example: "
                                "box torn."))
        return
    if result is RefuseProblem.NOTE_TOO_LONG:
        await _send(update, w._("Please keep it shorter (at most {limit} characters).").format(
            limit=NOTE_MAX))
        return
    assert isinstance(result, Refused)
    tracking = f"<code>{h(tracking_id)}</code>"
    if result.check is not RefuseCheck.REFUSABLE:
        await _leave(update, context, w, w._(
            "{tracking} cannot be refused any more; nothing changed.").format(tracking=tracking))
        return
    # The admins' alert was queued in the outbox with the refusal.
    await _leave(update, context, w, w._(
        "🚫 {tracking} refused and recorded. Give it back to the courier. The customer will not "
        "be told it arrived.").format(tracking=tracking))


@outbox.renderer(arrival.REFUSED_ALERT)
async def render_refused_alert(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    t = ctx.t
    label = REFUSE_REASON_LABELS.get(payload["reason"])
    reason = t.gettext(label) if label else h(payload["note"])
    return outbox.OutMessage(t.gettext(
        "🚫 Store {code} ({store}) refused parcel <code>{tracking}</code> at arrival: "
        "{reason}.").format(
        code=h(payload["store_code"]), store=h(payload["store_name"]),
        tracking=h(payload["tracking_id"]), reason=reason))


# ---------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    svc = services(context)
    state = await users.current_flow(svc, w.user.user_id)
    in_flow = state is not None and state.flow == FLOW
    if cb is None:
        await query.answer(w._("This button has expired."))
        return
    if cb.action == "refuse":
        if await arrival.store_of(svc, w.user.user_id) is None:
            await query.answer(w._("This button has expired."))
            return
        await query.answer()
        await start_flow(context, w.user.user_id, FLOW, "refuse_id")
        await _send(update, w._("🚫 Type the tracking id of the damaged parcel."))
        return
    if cb.action == "skip" and in_flow and state is not None and state.step == "unknown":
        queue = list(state.data.get("queue") or [])
        if queue and queue[0] == cb.arg(0):
            await query.answer()
            await _send(update, w._("⏭ Skipped {tracking}: not recorded.").format(
                tracking=f"<code>{h(queue[0])}</code>"))
            await _next_unknown(update, context, w, queue[1:])
            return
    if cb.action == "page" and cb.int_arg(0) is not None:
        if await arrival.store_of(svc, w.user.user_id) is None:
            await query.answer(w._("This button has expired."))
            return
        await query.answer()
        await show_waiting(update, context, w, cb.int_arg(0) or 0)
        return
    if (cb.action == "why" and in_flow and state is not None and state.step == "refuse_reason"
            and cb.arg(0) in REFUSE_REASONS):
        await query.answer()
        await _refuse(update, context, w, state, cb.arg(0), "")
        return
    await query.answer(w._("This button has expired."))


# ---------------------------------------------------------------------------- /parcels


async def parcels_command(update: Update, context: Context) -> None:
    await show_waiting(update, context, await who(update, context))


def _short_name(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


async def show_waiting(update: Update, context: Context, w: Who, offset: int = 0) -> None:
    """The store's waiting parcels, a page of WAITING_PAGE at a time (one message stays short)."""
    result = await arrival.waiting(services(context), w.user.user_id)
    if isinstance(result, NotAllowed):
        await show_menu(update, w, not_shopkeeper_text(w))
        return
    shelf = result.shelf
    head = w._("📋 <b>{store}</b> — places in use: {held}/{capacity}.").format(
        store=h(shelf.store.name), held=format_number(shelf.held, w.lang),
        capacity=format_number(shelf.store.capacity, w.lang))
    if not result.parcels:
        await show_menu(update, w, head + "\n\n" + w._("No parcel is waiting for pickup."))
        return
    offset = min(max(offset, 0), (len(result.parcels) - 1) // WAITING_PAGE * WAITING_PAGE)
    page = result.parcels[offset : offset + WAITING_PAGE]
    lines = [head, "", w._("Waiting for pickup ({count}):").format(count=len(result.parcels))]
    for number, parcel in enumerate(page, start=offset + 1):
        who_for = h(_short_name(parcel.name)) if parcel.name else w._("customer")
        told = w._("✅ told") if parcel.told else w._("⏳ not told yet")
        lines.append(w._("{n}. <code>{tracking}</code> — {customer} {mobile} — last day "
                         "{date} — {told}").format(
            n=number, tracking=h(parcel.tracking_id), customer=who_for,
            mobile=mask_mobile(parcel.phone),
            date=format_date(parcel.last_day, w.lang) if parcel.last_day else "—", told=told))
    if any(not p.told for p in page):
        lines += ["", w._("⏳ not told yet: the customer has not opened the bot yet. They get the "
                          "notice with their pickup code as soon as they do.")]
    rest = len(result.parcels) - offset - len(page)
    if rest > 0:
        more = InlineKeyboardMarkup([[InlineKeyboardButton(
            w._("➡️ Next {count}").format(count=min(rest, WAITING_PAGE)),
            callback_data=pack(FEATURE, "page", offset + WAITING_PAGE))]])
        await _send(update, "\n".join(lines), more)
        return
    await show_menu(update, w, "\n".join(lines))


# ----------------------------------------------------------------------------- wiring


async def receive_action(update: Update, context: Context, w: Who) -> None:
    await begin(update, context, w)


async def parcels_action(update: Update, context: Context, w: Who) -> None:
    await show_waiting(update, context, w)


async def on_cancel(update: Update, context: Context, w: Who, state: FlowState) -> None:
    if state.step == "unknown":
        await _send(update, w._("Parcels already recorded as arrived stay recorded."))


register_flow(Flow(FLOW, on_input=on_input, on_cancel=on_cancel))
start.MENU_ACTIONS.update({"receive": receive_action, "parcels": parcels_action})


def register(app: Application) -> None:
    app.add_handler(CommandHandler("receive", receive_command, filters=PRIVATE))
    app.add_handler(CommandHandler("parcels", parcels_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))
