"""Admin: ``/stats`` (figures and a 30-day chart) and ``/track TRACKING_ID`` (a parcel's history)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.charts import ChartLabels
from bot.domain import FlowState
from bot.handlers import start
from bot.handlers.admin_texts import add_admin_commands, add_admin_menu, one_decimal, store_status
from bot.handlers.context import SERVICES_KEY, Who, h, services, who
from bot.handlers.parcel_texts import (
    EVENT_LABELS,
    TRACKING_REASONS,
    status_label,
    tracking_hint,
)
from bot.handlers.router import Flow, register_flow, show_menu, start_flow
from bot.i18n import N_, Translator
from bot.i18n.formatting import (
    format_date,
    format_datetime,
    format_number,
    format_time,
    format_weekday_date,
)
from bot.services import stats as stats_service
from bot.services import track as track_service
from bot.services import users
from bot.services.track import Actor, Track, TrackProblem
from bot.validation import TrackingError

Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
TRACK_FLOW = "track"
MESSAGE_LIMIT = 3800

STORE_ORDER = ("approved", "suspended", "pending", "rejected")
PARCEL_ORDER = ("expected", "arrived", "picked_up", "to_return", "returned", "refused")

# Events /parcel does not name yet (the handover's); others fall back to the stored name.
MORE_EVENT_LABELS = {
    "picked_up": N_("handed over to the customer"),
    "not_found": N_("shop could not find it"),
    "handover_disputed": N_("customer said it was not them"),
}


def _not_admin_text(w: Who) -> str:
    return w._("I do not know that command. Send /help to see what I can do.")


# ------------------------------------------------------------------------------- /stats


def _by_status(t: Translator, counts: dict[str, int], order: Sequence[str], label) -> str:  # noqa: ANN001
    keys = [k for k in order if counts.get(k)] + sorted(k for k in counts if k not in order)
    if not keys:
        return t.gettext("none")
    return " · ".join(f"{h(label(t, k))} {format_number(counts[k], t.lang)}" for k in keys)


def stats_text(t: Translator, s: stats_service.Stats, tz) -> str:  # noqa: ANN001 - tzinfo
    _ = t.gettext
    lang = t.lang
    lines = [
        _("📊 <b>The network</b> — {when}").format(when=format_datetime(s.now, lang, tz)),
        "",
        _("🏪 <b>Stores:</b> {counts}").format(
            counts=_by_status(t, s.stores, STORE_ORDER, store_status)),
        _("📦 <b>Parcels:</b> {counts}").format(
            counts=_by_status(t, s.parcels, PARCEL_ORDER, status_label)),
        _("🤝 <b>Handed over:</b> today {today} · this week {week} · this month {month}").format(
            today=format_number(s.handovers_today, lang),
            week=format_number(s.handovers_week, lang),
            month=format_number(s.handovers_month, lang)),
    ]
    if s.waits_counted:
        lines.append(t.ngettext(
            "⏱ <b>Wait from arrival to handover</b> (last 30 days, {count} parcel): "
            "average {avg} days · 90% within {p90} days",
            "⏱ <b>Wait from arrival to handover</b> (last 30 days, {count} parcels): "
            "average {avg} days · 90% within {p90} days",
            s.waits_counted,
        ).format(count=format_number(s.waits_counted, lang),
                 avg=one_decimal(s.wait_avg_days, lang),
                 p90=one_decimal(s.wait_p90_days, lang)))
    else:
        lines.append(_("⏱ <b>Wait from arrival to handover:</b> no handovers in the last 30 days"))
    lines.append(_("🗄 <b>Shelves:</b> {full} · {near}").format(
        full=t.ngettext("{count} store full", "{count} stores full", s.stores_full).format(
            count=format_number(s.stores_full, lang)),
        near=t.ngettext("{count} store nearly full ({percent}%+)",
                        "{count} stores nearly full ({percent}%+)", s.stores_near).format(
            count=format_number(s.stores_near, lang), percent=stats_service.NEAR_PERCENT)))
    for shelf in s.fullest:
        lines.append(_("   {code} {shop}: {held} of {capacity} places").format(
            code=h(shelf.code), shop=h(shelf.name), held=format_number(shelf.held, lang),
            capacity=format_number(shelf.capacity, lang)))
    lines.append(_("📨 <b>Messages to others:</b> {waiting} waiting to be sent · "
                   "{failed} not delivered in the last 7 days").format(
        waiting=format_number(s.messages_waiting, lang),
        failed=format_number(s.undelivered, lang)))
    return "\n".join(lines)


def chart_labels(t: Translator, d: stats_service.DailySeries) -> ChartLabels:
    days = d.days
    return ChartLabels(
        title=t.gettext("Parcels arrived and handed over, day by day"),
        arrived=t.gettext("Arrived"),
        handed_over=t.gettext("Handed over"),
        period=t.gettext("{first} to {last}").format(
            first=format_date(days[0], t.lang), last=format_date(days[-1], t.lang)),
    )


async def chart_png(t: Translator, d: stats_service.DailySeries) -> bytes:
    """The chart, drawn in a worker thread: the event loop keeps serving everyone else."""
    return await asyncio.to_thread(_render, d, chart_labels(t, d))


def _render(d: stats_service.DailySeries, labels: ChartLabels) -> bytes:
    from bot.charts.daily import render_daily_chart  # Pillow drawing: loaded at the first chart

    return render_daily_chart(d.days, d.arrivals, d.handovers, labels)


async def stats_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await show_stats(update, context, w)


async def show_stats(update: Update, context: Context, w: Who) -> None:
    svc = services(context)
    daily = await stats_service.daily(svc, w.user.user_id)
    if isinstance(daily, stats_service.NotAdmin):
        await show_menu(update, w, _not_admin_text(w))
        return
    chart = asyncio.create_task(chart_png(w.t, daily))  # drawn while the figures are counted
    try:
        result = await stats_service.stats(svc, w.user.user_id)
        assert isinstance(result, stats_service.Stats)
        chat = update.effective_chat
        assert chat is not None
        await chat.send_message(stats_text(w.t, result, svc.settings.tz))
        png = await chart
    finally:
        chart.cancel()  # no-op once done; never leave it running after a failure
    await chat.send_photo(png, caption=w._("📈 The last 30 days: parcels arrived (blue) and "
                                           "handed over (orange) each day."))


# ------------------------------------------------------------------------------- /track


def actor_text(t: Translator, actor: Actor, code: str, actor_id: int | None) -> str:
    if actor is Actor.SYSTEM:
        return t.gettext("system")
    if actor is Actor.ADMIN:
        return t.gettext("admin")
    if actor is Actor.STORE:
        return t.gettext("store {code}").format(code=h(code))
    if actor is Actor.CUSTOMER:
        return t.gettext("customer")
    return t.gettext("user {id}").format(id=actor_id)


def event_text(t: Translator, event: str) -> str:
    label = EVENT_LABELS.get(event) or MORE_EVENT_LABELS.get(event)
    return t.gettext(label) if label else event


def when_text(t: Translator, moment, tz) -> str:  # noqa: ANN001
    """``Sat, 28 Nov, 6:30 pm`` — the day and a 12-hour time, in the programme's time zone."""
    local = moment.astimezone(tz)
    return t.gettext("{day}, {time}").format(
        day=format_weekday_date(local.date(), t.lang), time=format_time(moment, t.lang, tz))


def track_messages(t: Translator, tr: Track, tz) -> list[str]:  # noqa: ANN001
    """The history, split into messages under Telegram's length limit."""
    _ = t.gettext
    head = [
        _("🧭 <b>{tracking}</b> — {status}").format(
            tracking=h(tr.parcel.tracking_id), status=status_label(t, tr.parcel.status)),
        _("🏪 Store: {store} ({code})").format(store=h(tr.store_name), code=h(tr.store_code)),
        t.ngettext("{count} event, oldest first:", "{count} events, oldest first:",
                   len(tr.events)).format(count=format_number(len(tr.events), t.lang)),
        "",
    ]
    lines = []
    for e in tr.events:
        lines.append(_("{when} — {event} — {who}").format(
            when=when_text(t, e.event.at, tz), event=h(event_text(t, e.event.event)),
            who=actor_text(t, e.actor, e.store_code, e.event.actor_id)))
        if e.event.details:
            text = ", ".join(f"{k}: {v}" for k, v in sorted(e.event.details.items()))
            lines[-1] += f" <i>({h(text[:120])})</i>"
    if not lines:
        lines.append(_("No events recorded."))
    messages, current = [], "\n".join(head)
    for line in lines:
        if len(current) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    messages.append(current)
    return messages


async def track_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    if not services(context).settings.is_admin(w.user.user_id):
        await show_menu(update, w, _not_admin_text(w))
        return
    if context.args:
        await _track(update, context, w, " ".join(context.args), in_flow=False)
    else:
        await start_flow(context, w.user.user_id, TRACK_FLOW, "id")
        chat = update.effective_chat
        assert chat is not None
        await chat.send_message(w._("🧭 Type the tracking id of the parcel to follow. "
                                    "/cancel to stop."))


async def on_track_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    assert message is not None
    await _track(update, context, w, message.text or "", in_flow=True)


async def _track(update: Update, context: Context, w: Who, text: str, *, in_flow: bool) -> None:
    svc = services(context)
    result = await track_service.track(svc, w.user.user_id, text)
    chat = update.effective_chat
    assert chat is not None
    if result is TrackProblem.NOT_ADMIN:
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, _not_admin_text(w))
        return
    if isinstance(result, TrackingError) or result is TrackProblem.NOT_FOUND:
        if isinstance(result, TrackingError):
            reply = w._("That is not a tracking id ({reason}). {hint}").format(
                reason=w._(TRACKING_REASONS[result]), hint=tracking_hint(w.t))
        else:
            reply = w._("No parcel has this tracking id. Try another one, or /cancel.")
        if not in_flow:
            await start_flow(context, w.user.user_id, TRACK_FLOW, "id")
        await chat.send_message(reply)
        return
    assert isinstance(result, Track)
    await users.leave_flow(svc, w.user.user_id)
    for text_part in track_messages(w.t, result, svc.settings.tz):
        await chat.send_message(text_part)


register_flow(Flow(TRACK_FLOW, on_input=on_track_input))
start.MENU_ACTIONS["stats"] = show_stats
add_admin_commands(
    ("stats", N_("Figures of the network, with a chart")),
    ("track", N_("A parcel's whole history")),
)
add_admin_menu((N_("📊 Network figures"), "stats"))


async def on_shutdown(app: Application) -> None:
    svc = app.bot_data.get(SERVICES_KEY)
    if svc is not None and (report_reader := svc.extras.pop(stats_service.READER_KEY, None)):
        await report_reader.close()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("stats", stats_command, filters=PRIVATE))
    app.add_handler(CommandHandler("track", track_command, filters=PRIVATE))

