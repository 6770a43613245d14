"""Admin: ``/payouts 2026-11`` (the month's CSV) and ``/payouts 2026-11 paid``; and the
shopkeeper's statement message (outbox kind ``payout.statement``)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import outbox
from bot.handlers import start
from bot.handlers.admin_texts import add_admin_commands, add_admin_menu
from bot.handlers.context import Who, h, services, who
from bot.handlers.earnings import month_name
from bot.handlers.router import show_menu
from bot.i18n import N_, Translator
from bot.i18n.formatting import format_datetime, format_money, format_number
from bot.services import payouts
from bot.services.earnings import MonthTotal, month_start
from bot.services.payouts import MarkedPaid, MonthError, Payouts, Problem

Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
NO_UPI_LISTED = 15

MONTH_PROBLEMS = {
    MonthError.BAD_FORMAT: N_("Please give the month as year-month, for example "
                              "<code>/payouts {example}</code>."),
    MonthError.FUTURE: N_("That month has not begun yet. For example: "
                          "<code>/payouts {example}</code>."),
    MonthError.NOT_ENDED: N_("A month can be marked paid only once it is over. For example: "
                             "<code>/payouts {example} paid</code>."),
}


def _month(t: Translator, month) -> str:  # noqa: ANN001 - date
    return month_name(MonthTotal(month, 0, 0), t.lang)


def summary_text(t: Translator, p: Payouts, tz) -> str:  # noqa: ANN001 - tzinfo
    _ = t.gettext
    lang = t.lang
    stores = len(p.rows) + len(p.no_upi)
    lines = [
        _("💸 <b>Payouts — {month}</b>").format(month=_month(t, p.month)),
        t.ngettext("{stores} store, {parcels} parcels handed over, {amount} in all.",
                   "{stores} stores, {parcels} parcels handed over, {amount} in all.",
                   stores).format(stores=format_number(stores, lang),
                                  parcels=format_number(p.parcels, lang),
                                  amount=format_money(p.paise, lang)),
        t.ngettext("To pay by UPI: {count} store, {amount} (file {file}).",
                   "To pay by UPI: {count} stores, {amount} (file {file}).", len(p.rows)).format(
            count=format_number(len(p.rows), lang), amount=format_money(p.payable_paise, lang),
            file=h(csv_name(p, no_upi=False))),
    ]
    if not p.ended:
        lines.append(_("⚠️ This month is not over yet: the figures will still grow, and "
                       "shopkeepers get their statements once it ends."))
    elif p.new_statements:
        lines.append(t.ngettext(
            "📨 {count} shopkeeper is being sent their statement.",
            "📨 {count} shopkeepers are being sent their statements.",
            p.new_statements).format(count=format_number(p.new_statements, lang)))
    if p.paid_at is not None:
        lines.append(_("✅ Marked paid {when}.").format(when=format_datetime(p.paid_at, lang, tz)))
    if p.no_upi:
        lines += ["", t.ngettext(
            "⚠️ {count} store has no UPI id ({amount}), listed in {file}:",
            "⚠️ {count} stores have no UPI id ({amount}), listed in {file}:",
            len(p.no_upi)).format(count=format_number(len(p.no_upi), lang),
                                  amount=format_money(p.no_upi_paise, lang),
                                  file=h(csv_name(p, no_upi=True)))]
        for r in p.no_upi[:NO_UPI_LISTED]:
            lines.append(f"{h(r.code)} {h(r.shop_name)} — {h(r.owner_name)}, {h(r.mobile)} — "
                         f"{format_money(r.paise, lang)}")
        if len(p.no_upi) > NO_UPI_LISTED:
            lines.append(_("and {count} more").format(
                count=format_number(len(p.no_upi) - NO_UPI_LISTED, lang)))
    if stores == 0:
        lines = lines[:1] + [_("No parcels were handed over in that month.")]
    return "\n".join(lines)


def csv_name(p: Payouts, *, no_upi: bool) -> str:
    return f"payouts-{p.key}{'-no-upi' if no_upi else ''}.csv"


def default_month(svc) -> str:  # noqa: ANN001 - Services
    today = svc.clock.now().astimezone(svc.settings.tz).date()
    return payouts.month_key(month_start(today, 1))


async def payouts_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await show_payouts(update, context, w, list(context.args or []))


async def payouts_menu_action(update: Update, context: Context, w: Who) -> None:
    await show_payouts(update, context, w, [])


async def show_payouts(update: Update, context: Context, w: Who, args: list[str]) -> None:
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    if not svc.settings.is_admin(w.user.user_id):
        await show_menu(update, w, w._("I do not know that command. Send /help to see what I "
                                       "can do."))
        return
    example = default_month(svc)
    month_text = args[0] if args else example
    paid = len(args) == 2 and args[1].lower() == "paid"
    month = payouts.parse_month(month_text)
    if isinstance(month, MonthError) or len(args) > 2 or (len(args) == 2 and not paid):
        await chat.send_message(w._(MONTH_PROBLEMS[MonthError.BAD_FORMAT]).format(
            example=example))
        return
    if paid:
        result = await payouts.mark_paid(svc, w.user.user_id, month)
    else:
        result = await payouts.payouts_for_admin(svc, w.user.user_id, month)
    if result is Problem.NOT_ADMIN:
        await show_menu(update, w, w._("I do not know that command. Send /help to see what I "
                                       "can do."))
        return
    if isinstance(result, MonthError):
        await chat.send_message(w._(MONTH_PROBLEMS[result]).format(example=example))
        return
    tz = svc.settings.tz
    if isinstance(result, MarkedPaid):
        p = result.payouts
        if result.first_time:
            head = w.t.ngettext(
                "✅ {month} is marked paid: {amount} for {parcels} parcel. Its ledger is now "
                "closed.",
                "✅ {month} is marked paid: {amount} for {parcels} parcels. Its ledger is now "
                "closed.", p.parcels).format(month=_month(w.t, p.month),
                                             amount=format_money(p.paise, w.lang),
                                             parcels=format_number(p.parcels, w.lang))
        else:
            head = w._("{month} was already marked paid on {when}. Nothing changed.").format(
                month=_month(w.t, p.month), when=format_datetime(result.paid_at, w.lang, tz))
        await chat.send_message(head)
        return
    assert isinstance(result, Payouts)
    await chat.send_message(summary_text(w.t, result, tz))
    if result.rows:
        await chat.send_document(InputFile(payouts.to_csv(result.rows),
                                           filename=csv_name(result, no_upi=False)))
    if result.no_upi:
        await chat.send_document(InputFile(payouts.to_csv(result.no_upi),
                                           filename=csv_name(result, no_upi=True)))


@outbox.renderer(payouts.STATEMENT_KIND)
async def render_statement(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    s = await payouts.statement(ctx.svc, str(payload.get("month", "")),
                                int(payload.get("store_id", 0)))
    if s is None:
        return None
    t = ctx.t
    values = {"amount": format_money(s.paise, t.lang), "month": _month(t, s.month),
              "code": h(s.code), "upi": h(s.upi_id or "")}
    if s.upi_id:
        text = t.ngettext(
            "💸 Your statement for {month} ({code}): {amount} for {count} parcel handed over "
            "will be paid to {upi}.",
            "💸 Your statement for {month} ({code}): {amount} for {count} parcels handed over "
            "will be paid to {upi}.", s.parcels)
    else:
        text = t.ngettext(
            "💸 Your statement for {month} ({code}): {amount} for {count} parcel handed over. "
            "We do not have your UPI id yet: please send it to the programme team so that we "
            "can pay you.",
            "💸 Your statement for {month} ({code}): {amount} for {count} parcels handed over. "
            "We do not have your UPI id yet: please send it to the programme team so that we "
            "can pay you.", s.parcels)
    return outbox.OutMessage(text.format(count=format_number(s.parcels, t.lang), **values))


start.MENU_ACTIONS["payouts"] = payouts_menu_action
add_admin_commands(("payouts", N_("Monthly payouts to stores (CSV); mark a month paid")))
add_admin_menu((N_("💸 Payouts"), "payouts"))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("payouts", payouts_command, filters=PRIVATE))
