"""First contact and settings: /start, language choice, role menu, /help, /language, /cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.callbacks import pack, parse
from bot.handlers.commands import commands_for, set_chat_commands
from bot.handlers.context import Who, h, services, who
from bot.handlers.router import FLOWS, show_menu
from bot.i18n import LANGUAGE_NAMES, languages_for, translator
from bot.services import users

Context = ContextTypes.DEFAULT_TYPE
MenuAction = Callable[[Update, Context, Who], Awaitable[None]]
StartPayloadHandler = Callable[[Update, Context, Who, str], Awaitable[bool]]

# Menu button actions by name (see menus.MENU). Features replace or add entries.
MENU_ACTIONS: dict[str, MenuAction] = {}
# Handlers for /start <payload> (deep links); the first that returns True took it.
START_PAYLOAD_HANDLERS: list[StartPayloadHandler] = []


def language_keyboard(tg_language: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(LANGUAGE_NAMES[lang], callback_data=pack("lang", "set", lang))]
         for lang in languages_for(tg_language)]
    )


async def start(update: Update, context: Context) -> None:
    w = await who(update, context)
    payload = context.args[0] if context.args else ""
    if payload:
        for handler in START_PAYLOAD_HANDLERS:
            if await handler(update, context, w, payload):
                return
    if w.user.language is None:
        await ask_language(update, w, greet=True)
        return
    await show_menu(update, w, w._("Hello, {name}!").format(name=h(w.user.first_name)))


async def ask_language(update: Update, w: Who, *, greet: bool) -> None:
    chat = update.effective_chat
    assert chat is not None
    if greet:
        text = w._(
            "Namaste, {name}! I am the Kirana Partner Bot: I help neighbourhood stores "
            "hand over parcels, and customers collect them.\n\nPlease choose your language."
        ).format(name=h(w.user.first_name))
    else:
        text = w._("Please choose your language.")
    await chat.send_message(text, reply_markup=language_keyboard(w.user.tg_language))


async def language_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await ask_language(update, w, greet=False)


async def language_chosen(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    lang = cb.arg(0) if cb else ""
    if not await users.choose_language(services(context), w.user.user_id, lang):
        await query.answer(w._("This button has expired."))
        return
    t = translator(lang)
    await query.answer()
    await query.edit_message_text(t.gettext("Language: {language} ✓").format(
        language=LANGUAGE_NAMES[lang]))
    w = await who(update, context)
    await set_chat_commands(context.bot, w.user.chat_id, w.user.menu_roles, lang)
    await show_menu(update, w)


async def help_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    lines = [w._("Here is what I can do for you:"), ""]
    for spec in commands_for(w.user.menu_roles):
        lines.append(f"/{spec.name} — {w._(spec.description)}")
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("\n".join(lines))


async def cancel_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    svc = services(context)
    state = await users.current_flow(svc, w.user.user_id)
    if state is None:
        await show_menu(update, w, w._("There is nothing to cancel."))
        return
    flow = FLOWS.get(state.flow)
    if flow is not None and flow.on_cancel is not None:
        await flow.on_cancel(update, context, w, state)
    await users.leave_flow(svc, w.user.user_id)
    w = await who(update, context)  # the role may have changed
    await show_menu(update, w, w._("Cancelled. Nothing was saved."))


async def menu_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    action = MENU_ACTIONS.get(cb.action if cb else "")
    if action is None:
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    await action(update, context, w)


async def coming_soon(update: Update, context: Context, w: Who) -> None:
    await show_menu(update, w, w._("This is coming soon. We will let you know when it is ready."))


MENU_ACTIONS.update({"store": coming_soon, "collect": coming_soon})
