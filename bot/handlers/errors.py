"""The last line of defence: log the failure, tell the user something short, never a trace."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.handlers.context import services
from bot.i18n import translator
from bot.storage import users as users_repo

log = logging.getLogger(__name__)


def _is_repeated_button_press(error: object) -> bool:
    """Telegram refuses a second answer to one button press (the same update delivered twice,
    or an answer after Telegram's deadline). The user already got the first answer."""
    return isinstance(error, BadRequest) and "query is too old" in error.message.lower()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if _is_repeated_button_press(context.error):
        log.info("button press answered already: %s", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        lang = None
        if update.effective_user is not None:
            lang = await users_repo.language_of(services(context).db, update.effective_user.id)
        _ = translator(lang or (update.effective_user.language_code
                                if update.effective_user else None)).gettext
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError:
                pass  # already answered, or too old
        await update.effective_chat.send_message(
            _("Sorry, something went wrong on our side. Please try again.")
        )
    except Exception:  # noqa: BLE001 - reporting the error must not raise another
        log.exception("could not tell the user about the error")
