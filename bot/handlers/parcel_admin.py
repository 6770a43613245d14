"""Admin: ``/parcel TRACKING_ID`` — a parcel's details, status, store, deep link and history."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.domain import FlowState
from bot.handlers import start
from bot.handlers.context import Who, h, h_cut, services, who
from bot.handlers.parcel_texts import TRACKING_REASONS, event_label, status_label, tracking_hint
from bot.handlers.router import Flow, answer_unknown, register_flow, show_menu, start_flow
from bot.handlers.store_views import format_mobile
from bot.i18n import Translator
from bot.i18n.formatting import format_date, format_datetime
from bot.services import parcel_admin, users
from bot.services.manifest_import import deep_link
from bot.services.parcel_admin import LookupProblem, ParcelDetails
from bot.validation import TrackingError

Context = ContextTypes.DEFAULT_TYPE
FLOW = "parcel_lookup"
PRIVATE = filters.ChatType.PRIVATE


async def parcel_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    if not services(context).settings.is_admin(w.user.user_id):
        # Admin commands do nothing for others: the same answer as an unknown command.
        await answer_unknown(update, w)
        return
    if context.args:
        await _lookup(update, context, w, " ".join(context.args), in_flow=False)
    else:
        await ask_tracking(update, context, w)


async def ask_tracking(update: Update, context: Context, w: Who) -> None:
    await start_flow(context, w.user.user_id, FLOW, "id")
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(w._("🔎 Type the tracking id of the parcel. /cancel to stop."))


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    assert message is not None
    await _lookup(update, context, w, message.text or "", in_flow=True)


async def _lookup(update: Update, context: Context, w: Who, text: str, *, in_flow: bool) -> None:
    svc = services(context)
    result = await parcel_admin.parcel_details(svc, w.user.user_id, text)
    chat = update.effective_chat
    assert chat is not None
    if result is LookupProblem.NOT_ADMIN:
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, w._("This is for admins only."))
        return
    if isinstance(result, TrackingError):
        await chat.send_message(w._("That is not a tracking id ({reason}). {hint}").format(
            reason=w._(TRACKING_REASONS[result]), hint=tracking_hint(w.t)))
        if not in_flow:
            await start_flow(context, w.user.user_id, FLOW, "id")
        return
    if result is LookupProblem.NOT_FOUND:
        await chat.send_message(w._("No parcel has this tracking id. Try another one, or "
                                    "/cancel."))
        if not in_flow:
            await start_flow(context, w.user.user_id, FLOW, "id")
        return
    assert isinstance(result, ParcelDetails)
    await users.leave_flow(svc, w.user.user_id)
    await chat.send_message(render_details(w.t, result, context.bot.username or "",
                                           svc.settings.tz),
                            disable_web_page_preview=True)


def _details_text(details: dict, limit: int = 100) -> str:
    text = ", ".join(f"{k}={v}" for k, v in sorted(details.items()))
    return h_cut(text, limit)


def render_details(t: Translator, d: ParcelDetails, bot_username: str, tz) -> str:  # noqa: ANN001
    _ = t.gettext
    p, s = d.parcel, d.store
    lines = [
        _("📦 <b>{tracking}</b> — {status}").format(
            tracking=h(p.tracking_id), status=status_label(t, p.status)),
        _("🏪 Store: {store} ({code})").format(store=h(s.name), code=h(s.code)),
        _("👤 Customer: {name}, {mobile}").format(
            name=h(p.name or "—"), mobile=h(format_mobile(p.phone))),
    ]
    if p.arrived_at:
        lines.append(_("📥 Arrived: {when}").format(when=format_datetime(p.arrived_at, t.lang, tz)))
    if p.last_day:
        day = format_date(p.last_day, t.lang)
        lines.append(_("📅 Last day: {date} (extended)").format(date=day) if p.extended
                     else _("📅 Last day: {date}").format(date=day))
    if p.status == "arrived":
        lines.append(_("📨 Customer told: {when}").format(
            when=format_datetime(p.notified_at, t.lang, tz)) if p.notified_at
            else _("📨 Customer not told yet (they have not opened the bot)."))
    if p.link_token and bot_username:
        lines.append(_("🔗 Deep link: {link}").format(link=h(deep_link(bot_username, p.link_token))))
    lines += ["", _("History ({shown} of {total}):").format(shown=len(d.events),
                                                             total=d.events_total)]
    for event in d.events:
        actor = str(event.actor_id) if event.actor_id is not None else _("system")
        entry = f"{format_datetime(event.at, t.lang, tz)} — {h(event_label(t, event.event))} — {actor}"
        if event.details:
            entry += f" — <i>{_details_text(event.details)}</i>"
        lines.append(entry)
    return "\n".join(lines)


async def find_action(update: Update, context: Context, w: Who) -> None:
    if not services(context).settings.is_admin(w.user.user_id):
        await answer_unknown(update, w)
        return
    await ask_tracking(update, context, w)


register_flow(Flow(FLOW, on_input=on_input))
start.MENU_ACTIONS["find_parcel"] = find_action


def register(app: Application) -> None:
    app.add_handler(CommandHandler("parcel", parcel_command, filters=PRIVATE))
