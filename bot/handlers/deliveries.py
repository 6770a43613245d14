"""/undelivered (admins): messages to others waiting, and those that could not be delivered."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.handlers.context import services, who
from bot.handlers.router import show_menu
from bot.i18n.formatting import format_number
from bot.services import deliveries

Context = ContextTypes.DEFAULT_TYPE


async def undelivered_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    result = await deliveries.summary(services(context), w.user.user_id)
    if result is None:  # admin commands do nothing for others: as an unknown command
        await show_menu(update, w, w._("I do not know that command. Send /help to see what I "
                                       "can do."))
        return
    n = lambda value: format_number(value, w.lang)  # noqa: E731
    text = "\n".join([
        w._("📮 <b>Messages to others</b> (notices, receipts, alerts)"),
        w._("Waiting to be sent: {count}").format(count=n(result.waiting)),
        w._("Not delivered in the last 7 days: {count}").format(
            count=n(result.blocked + result.failed)),
        w._("· blocked the bot: {count}").format(count=n(result.blocked)),
        w._("· failed after retries: {count}").format(count=n(result.failed)),
    ])
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("undelivered", undelivered_command,
                                   filters=filters.ChatType.PRIVATE))
