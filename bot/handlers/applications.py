"""Store applications, the admins' side (SPEC §3): the card, approve / reject, /applications.

Every admin gets each new application (all fields, with a map link when the shop shared its
location) with *approve* / *reject*. *Reject* asks that admin for the reason (a small flow,
kept in ``flow_state`` like any other). The shopkeeper is told the outcome in their language.
The cards and the outcome are outbox messages (kinds ``application.card`` and
``application.outcome``) queued with the submission and the decision.
"""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import outbox
from bot.domain import FlowState, Role
from bot.handlers import router, start
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.commands import EVERYONE, commands_for, set_chat_commands
from bot.handlers.context import SERVICES_KEY, Who, h, services, who
from bot.handlers.delivery import deliver
from bot.handlers.menus import menu_markup
from bot.handlers.notices import maps_line
from bot.handlers.router import Flow, answer_unknown, show_menu
from bot.handlers.store_views import detail_lines
from bot.i18n import Translator, translator
from bot.i18n.formatting import format_datetime
from bot.services import approval, users
from bot.services.approval import Decision, Outcome
from bot.services.context import Services
from bot.storage.stores import Store
from bot.validation import TextError

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FEATURE = "apl"
REJECT_FLOW = "store_reject"


async def _translator_for(svc: Services, user_id: int) -> Translator:
    profile = await users.profile(svc, user_id)
    if profile is None:
        return translator(None)
    return translator(profile.language or profile.tg_language)


async def _first_name(svc: Services, user_id: int) -> str:
    profile = await users.profile(svc, user_id)
    return profile.first_name if profile is not None else str(user_id)


def decision_markup(t: Translator, store_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("✅ Approve"), callback_data=pack(FEATURE, "ok", store_id)),
        InlineKeyboardButton(t.gettext("❌ Reject"), callback_data=pack(FEATURE, "no", store_id)),
    ]])


def card_text(t: Translator, svc: Services, store: Store, applicant: str) -> str:
    lines = [
        t.gettext("📝 <b>Partner store application #{number}</b>").format(number=store.id),
        "",
        *detail_lines(t, store.details, admin=True),
        "",
        t.gettext("Applicant: {name} (Telegram id <code>{user_id}</code>)").format(
            name=h(applicant), user_id=store.owner_user_id),
        t.gettext("Sent: {when}").format(
            when=format_datetime(store.created_at, t.lang, svc.settings.tz)),
    ]
    return "\n".join(lines)


def outcome_line(t: Translator, svc: Services, store: Store, decider: str | None) -> str:
    name = h(decider or str(store.decided_by))
    when = (format_datetime(store.decided_at, t.lang, svc.settings.tz)
            if store.decided_at else "")
    if store.status == "rejected":
        return t.gettext("❌ Rejected by {name}, {when}. Reason: {reason}").format(
            name=name, when=when, reason=h(store.reject_reason or ""))
    return t.gettext("✅ Approved by {name}, {when}. Store code: <b>{code}</b>").format(
        name=name, when=when, code=store.code or "")


def already_decided_text(t: Translator, store: Store, decider: str | None) -> str:
    name = decider or str(store.decided_by)
    if store.status == "rejected":
        return t.gettext("Already decided: rejected by {name}.").format(name=name)
    return t.gettext("Already decided: approved by {name}.").format(name=name)


async def _send_card(bot: Bot, svc: Services, chat_id: int, t: Translator, store: Store,
                     applicant: str) -> Message | None:
    sent = await deliver(bot, svc, chat_id, card_text(t, svc, store, applicant),
                         reply_markup=decision_markup(t, store.id))
    if sent is not None:
        await approval.card_shown(svc, store.id, chat_id, sent.message_id)
    if sent is not None and store.details.has_location:
        try:
            await bot.send_location(chat_id, latitude=store.details.latitude,
                                    longitude=store.details.longitude)
        except TelegramError as exc:  # the pin is a help; the card with the buttons arrived
            log.warning("map pin of application %s to %s not sent: %s", store.id, chat_id, exc)
    return sent


@outbox.renderer(approval.CARD, on_sent=approval.card_sent)
async def render_card(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    """An application card for an admin; nothing once the application is decided."""
    store = await approval.store(ctx.svc, payload["store_id"])
    if store is None or store.status != "pending":
        return None
    applicant = await _first_name(ctx.svc, store.owner_user_id)
    text = card_text(ctx.t, ctx.svc, store, applicant)
    d = store.details
    if d.has_location:
        text += "\n" + maps_line(ctx.t, d.latitude, d.longitude)
    return outbox.OutMessage(text, reply_markup=decision_markup(ctx.t, store.id))


@outbox.renderer(approval.OWNER_OUTCOME)
async def render_owner_outcome(
    ctx: outbox.RenderContext, payload: dict
) -> outbox.OutMessage | None:
    """The decision, to the shopkeeper, in their language."""
    store = await approval.store(ctx.svc, payload["store_id"])
    if store is None or store.status not in ("approved", "rejected"):
        return None
    t = ctx.t
    profile = await users.profile(ctx.svc, store.owner_user_id)
    roles = profile.menu_roles if profile else (Role.NEWCOMER,)
    shop = h(store.details.shop_name)
    if store.status == "rejected":
        text = t.gettext(
            "Sorry, your application for <b>{shop}</b> was not approved.\n"
            "Reason: {reason}\n\n"
            "You may apply again: send /register or tap <b>{button}</b>. Your earlier "
            "answers will be filled in, so you only change what is needed."
        ).format(shop=shop, reason=h(store.reject_reason or ""),
                 button=t.gettext("🏪 Run a partner store"))
    else:
        own = [c for c in commands_for(Role.SHOPKEEPER) if c.roles != EVERYONE]
        commands = "\n".join(f"/{c.name} — {t.gettext(c.description)}" for c in own)
        text = t.gettext(
            "🎉 Congratulations! <b>{shop}</b> is now a partner store.\n"
            "Your store code: <b>{code}</b>\n\n"
            "Commands for your store:\n{commands}\n\n"
            "/help shows all commands."
        ).format(shop=shop, code=store.code or "", commands=commands)
    return outbox.OutMessage(text, reply_markup=menu_markup(roles, t))


async def set_owner_commands(bot: Bot, svc: Services, store: Store) -> None:
    """After the decision the shopkeeper's command menu follows (not a message): approved, the
    store commands; rejected, /register again (it was hidden while the application waited)."""
    if store.status not in ("approved", "rejected"):
        return
    profile = await users.profile(svc, store.owner_user_id)
    if profile is None:
        return
    t = translator(profile.language or profile.tg_language)
    try:
        await set_chat_commands(bot, profile.chat_id, profile.menu_roles, t.lang)
    except TelegramError as exc:  # the menu is a help; /help lists the commands too
        log.warning("commands of %s not set: %s", store.owner_user_id, exc)


# ------------------------------------------------------------------------------- admins


async def _mark_card(bot: Bot, svc: Services, chat_id: int, message_id: int | None,
                     t: Translator, decision: Decision) -> None:
    """Show the outcome on the admin's card and take its buttons away."""
    store = decision.store
    if message_id is None or store is None:
        return
    applicant = await _first_name(svc, store.owner_user_id)
    text = (card_text(t, svc, store, applicant) + "\n\n"
            + outcome_line(t, svc, store, decision.decider_name))
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                    reply_markup=None)
    except TelegramError as exc:  # an old or already updated card; the decision stands
        log.info("card %s in chat %s not updated: %s", message_id, chat_id, exc)


async def show_decision_on_cards(bot: Bot, svc: Services, decision: Decision,
                                 pressed: tuple[int, int | None]) -> None:
    """Put the decision on every admin's card of the application (and on the one pressed)."""
    store = decision.store
    assert store is not None
    done = set()
    for chat_id, message_id in await approval.cards_to_update(svc, store.id):
        await _mark_card(bot, svc, chat_id, message_id, await _translator_for(svc, chat_id),
                         decision)
        done.add((chat_id, message_id))
    if pressed not in done:
        chat_id, message_id = pressed
        await _mark_card(bot, svc, chat_id, message_id, await _translator_for(svc, chat_id),
                         decision)


async def _leave_reject_flow(svc: Services, admin_id: int, store_id: int) -> None:
    """An admin who pressed reject, then approve (or saw it decided), is not asked for a reason."""
    state = await users.current_flow(svc, admin_id)
    if state is not None and state.flow == REJECT_FLOW and state.data.get("store_id") == store_id:
        await users.leave_flow(svc, admin_id)


async def button_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    svc = services(context)
    store_id = cb.int_arg(0) if cb else None
    if cb is None or store_id is None or cb.action not in ("ok", "no"):
        await query.answer(w._("This button has expired."))
        return
    if cb.action == "ok":
        decision = await approval.approve(svc, w.user.user_id, store_id)
    else:
        decision = await approval.ask_reject(svc, w.user.user_id, store_id)
    card_id = query.message.message_id if query.message is not None else None

    if decision.outcome is Outcome.NOT_ADMIN:  # forged: a stale button, nothing to learn
        await query.answer(w._("This button has expired."))
        return
    if decision.outcome is Outcome.NOT_FOUND:
        await query.answer(w._("This button has expired."))
        return
    store = decision.store
    assert store is not None
    if decision.outcome is Outcome.ALREADY_DECIDED:
        await query.answer(already_decided_text(w.t, store, decision.decider_name),
                           show_alert=True)
        await _leave_reject_flow(svc, w.user.user_id, store.id)
        await _mark_card(context.bot, svc, w.user.chat_id, card_id, w.t, decision)
        return
    if decision.outcome is Outcome.APPROVED:
        await query.answer(w._("Approved."))
        await _leave_reject_flow(svc, w.user.user_id, store.id)
        await show_decision_on_cards(context.bot, svc, decision, (w.user.chat_id, card_id))
        await set_owner_commands(context.bot, svc, store)  # their message is in the outbox
        return
    # ASK_REASON
    await query.answer()
    await router.start_flow(context, w.user.user_id, REJECT_FLOW, "reason",
                            {"store_id": store.id, "card_message_id": card_id})
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(reason_prompt(w, store))


def reason_prompt(w: Who, store: Store) -> str:
    return w._(
        "Why is <b>{shop}</b> (#{number}) not approved? Write the reason in one message; "
        "the shopkeeper will read it.\n/cancel if you changed your mind."
    ).format(shop=h(store.details.shop_name), number=store.id)


async def on_reason(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    svc = services(context)
    store_id = int(state.data.get("store_id", 0))
    card_id = state.data.get("card_message_id")
    if message.text is None:
        await chat.send_message(w._("Please write the reason as a text message, "
                                    "or send /cancel."))
        return
    decision = await approval.reject(svc, w.user.user_id, store_id, message.text)
    if decision.outcome is Outcome.BAD_REASON:
        problem = (w._("Please write a reason of at least 3 characters, "
                       "e.g. <i>The address is incomplete.</i>")
                   if decision.reason is TextError.TOO_SHORT
                   else w._("Please keep the reason under 300 characters, "
                            "e.g. <i>The address is incomplete.</i>"))
        assert decision.store is not None
        await chat.send_message(f"⚠️ {problem}\n\n{reason_prompt(w, decision.store)}")
        return
    await users.leave_flow(svc, w.user.user_id)
    if decision.outcome is Outcome.NOT_ADMIN:
        await show_menu(update, w, w._("Only admins can do that."))
        return
    if decision.outcome is Outcome.NOT_FOUND:
        await show_menu(update, w, w._("This application no longer exists."))
        return
    store = decision.store
    assert store is not None
    if decision.outcome is Outcome.ALREADY_DECIDED:
        await _mark_card(context.bot, svc, w.user.chat_id, card_id, w.t, decision)
        await show_menu(update, w, already_decided_text(w.t, store, decision.decider_name))
        return
    await show_decision_on_cards(context.bot, svc, decision, (w.user.chat_id, card_id))
    await set_owner_commands(context.bot, svc, store)  # /register is theirs again
    await show_menu(update, w, w._(
        "❌ Application #{number} rejected. We told the shopkeeper."
    ).format(number=store.id))  # the shopkeeper's message was queued with the decision


async def list_pending(update: Update, context: Context, w: Who) -> None:
    """/applications and the admin menu's button: every application waiting, oldest first."""
    svc = services(context)
    listing = await approval.pending(svc, w.user.user_id)
    if listing is None:  # the same answer as an unknown command: nothing to learn from it
        await answer_unknown(update, w)
        return
    if listing.total == 0:
        await show_menu(update, w, w._("No applications are waiting for a decision."))
        return
    chat = update.effective_chat
    assert chat is not None
    header = w._("Applications waiting for a decision: {count}").format(count=listing.total)
    if listing.total > len(listing.shown):
        header += "\n" + w.t.ngettext(
            "Showing the oldest {shown}; decide it to see the next ones.",
            "Showing the oldest {shown}; decide these to see the next ones.",
            len(listing.shown)).format(shown=len(listing.shown))
    await chat.send_message(header)
    for store in listing.shown:
        applicant = await _first_name(svc, store.owner_user_id)
        await _send_card(context.bot, svc, chat.id, w.t, store, applicant)


async def applications_command(update: Update, context: Context) -> None:
    await list_pending(update, context, await who(update, context))


async def on_startup(app: Application) -> None:
    """Notices owed from before the outbox, or sent while no admin was configured."""
    svc: Services = app.bot_data[SERVICES_KEY]
    queued = await approval.queue_owed_notices(svc)
    if queued:
        log.info("queued %d owed application notice(s)", queued)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("applications", applications_command,
                                   filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(button_pressed, pattern=pattern(FEATURE)))


router.register_flow(Flow(REJECT_FLOW, on_input=on_reason))
start.MENU_ACTIONS["applications"] = list_pending
