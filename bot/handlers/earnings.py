"""/earnings: the shopkeeper's handovers and money, this month and last (SPEC §9)."""

from __future__ import annotations

from babel.dates import format_skeleton
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.handlers.context import Who, h, services, who
from bot.handlers.router import show_menu
from bot.handlers.start import MENU_ACTIONS
from bot.i18n import Translator
from bot.i18n.formatting import format_money, format_number, locale_for
from bot.services import earnings
from bot.validation import to_ascii_digits

Context = ContextTypes.DEFAULT_TYPE


def month_name(month: earnings.MonthTotal, lang: str) -> str:
    """``November 2026`` / ``नवंबर 2026`` / ``नोव्हेंबर 2026`` (Latin digits, as everywhere)."""
    return to_ascii_digits(format_skeleton("yMMMM", month.month, locale=locale_for(lang)))


def earnings_text(t: Translator, summary: earnings.Earnings) -> str:
    def block(heading: str, month: earnings.MonthTotal) -> list[str]:
        return [
            heading.format(month=month_name(month, t.lang)),
            t.gettext("Parcels handed over: {count}").format(
                count=format_number(month.parcels, t.lang)),
            t.gettext("Amount: {amount}").format(amount=format_money(month.paise, t.lang)),
        ]

    return "\n".join([
        t.gettext("💰 <b>Earnings — {shop} ({code})</b>").format(
            shop=h(summary.store.name), code=h(summary.store.code)),
        "",
        *block(t.gettext("<b>{month}</b> (this month)"), summary.this_month),
        "",
        *block(t.gettext("<b>{month}</b> (last month)"), summary.last_month),
        "",
        t.gettext("Fee now: {fee} per parcel handed over.").format(
            fee=format_money(summary.fee_paise, t.lang)),
    ])


async def earnings_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await show_earnings(update, context, w)


async def show_earnings(update: Update, context: Context, w: Who) -> None:
    result = await earnings.summary(services(context), w.user.user_id)
    if isinstance(result, earnings.Earnings):
        chat = update.effective_chat
        assert chat is not None
        await chat.send_message(earnings_text(w.t, result))
    else:
        await show_menu(update, w, w._("Earnings are shown to approved partner stores only."))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("earnings", earnings_command, filters=filters.ChatType.PRIVATE))


MENU_ACTIONS["earnings"] = show_earnings
