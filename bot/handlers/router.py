"""Where a message goes when no command matched: the user's current flow, or a hint and menu.

Flows keep their state in the database (``flow_state``), not in PTB's memory, so a restart
continues where the user was. A feature registers a :class:`Flow` by name; its ``on_input``
receives every non-command message of a user whose state names that flow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain import FlowState
from bot.handlers.context import Who, services, who
from bot.handlers.menus import menu_markup, menu_title
from bot.i18n import N_
from bot.services import users

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
InputHandler = Callable[[Update, Context, Who, FlowState], Awaitable[None]]
CancelHook = Callable[[Update, Context, Who, FlowState], Awaitable[None]]


@dataclass(frozen=True)
class Flow:
    name: str
    on_input: InputHandler
    # Called by /cancel before the state is forgotten (to drop drafts kept elsewhere).
    on_cancel: CancelHook | None = None


FLOWS: dict[str, Flow] = {}


def register_flow(flow: Flow) -> None:
    FLOWS[flow.name] = flow


async def start_flow(
    context: Context, user_id: int, flow: str, step: str, data: dict | None = None
) -> FlowState:
    """Put the user at ``step`` of ``flow`` (replacing any other flow they were in)."""
    state = FlowState(flow=flow, step=step, data=data or {})
    await users.save_flow(services(context), user_id, state)
    return state


async def show_menu(update: Update, w: Who, text: str | None = None) -> None:
    """Send the user's role menu, optionally after ``text``."""
    title = menu_title(w.user.main_role, w.t)
    body = f"{text}\n\n{title}" if text else title
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(body, reply_markup=menu_markup(w.user.menu_roles, w.t))


async def route_message(update: Update, context: Context) -> None:
    """Any private, non-command message: continue the user's flow, else hint and menu."""
    if update.effective_user is None or update.effective_message is None:
        return
    w = await who(update, context)
    state = await users.current_flow(services(context), w.user.user_id)
    if state is not None:
        flow = FLOWS.get(state.flow)
        if flow is not None:
            await flow.on_input(update, context, w, state)
            return
        log.warning("user %s is in unknown flow %r; clearing it", w.user.user_id, state.flow)
        await users.leave_flow(services(context), w.user.user_id)
    await show_menu(
        update,
        w,
        w._("Sorry, I did not understand that. Please use the buttons below, or send /help."),
    )


UNKNOWN_COMMAND = N_("I do not know that command. Send /help to see what I can do.")


async def unknown_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await answer_unknown(update, w)


async def answer_unknown(update: Update, w: Who) -> None:
    """The answer to a command we do not know, and to every admin command from a non-admin:
    the same words, so nobody learns which admin commands exist."""
    await show_menu(update, w, w._(UNKNOWN_COMMAND))


async def stale_button(update: Update, context: Context) -> None:
    """A button no handler claims (old message, old version, forged): answer and do nothing."""
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    await query.answer(w._("This button has expired."), show_alert=False)
