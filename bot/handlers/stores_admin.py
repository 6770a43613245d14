"""Admin: ``/stores`` — find stores (status, city, PIN prefix), page through them, open one,
suspend or reinstate it with a reason; and what a suspended store's shopkeeper is told."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot import outbox
from bot.domain import FlowState
from bot.handlers import start
from bot.handlers.admin_texts import add_admin_commands, add_admin_menu, store_status
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import Who, h, services, who
from bot.handlers.earnings import month_name
from bot.handlers.parcel_texts import id_list
from bot.handlers.router import Flow, register_flow, show_menu, start_flow
from bot.handlers.store_views import format_mobile
from bot.i18n import N_, Translator
from bot.i18n.formatting import format_datetime, format_money, format_number
from bot.services import earnings as earnings_service
from bot.services import store_admin as svc_stores
from bot.services import users
from bot.services.store_admin import (
    FilterError,
    Problem,
    ReasonError,
    StoreCard,
    StoreFilter,
    StorePage,
)

Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
FEATURE = "stores"
REASON_FLOW = "store_reason"
GUARD_GROUP = -1
# Strict: a decimal number without sign or leading zeros, at most 9 digits.
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,8})$")
ACTIONS = {"sus": "suspended", "rei": "reinstated"}

FILTER_PROBLEMS = {
    FilterError.UNKNOWN_WORD: N_("I do not know “{word}”."),
    FilterError.BAD_CITY: N_("“{word}” is not a city name."),
    FilterError.BAD_PIN: N_("“{word}” is not the start of a PIN code (1 to 6 digits)."),
}


def number(text: str) -> int | None:
    return int(text) if _NUMBER.match(text) else None


def _not_admin(w: Who) -> str:
    return w._("I do not know that command. Send /help to see what I can do.")


def _stores_help(t: Translator) -> str:
    return t.gettext(
        "Filters: <code>approved</code>, <code>suspended</code>, <code>pending</code>, "
        "<code>rejected</code>, <code>city NAME</code>, <code>pin DIGITS</code>, in any "
        "combination. For example: <code>/stores suspended city Pune</code> or "
        "<code>/stores pin 411</code>.")


def filter_text(t: Translator, f: StoreFilter) -> str:
    parts = []
    if f.status:
        parts.append(store_status(t, f.status))
    if f.city:
        parts.append(t.gettext("city {city}").format(city=h(f.city)))
    if f.pin:
        parts.append(t.gettext("PIN {pin}…").format(pin=h(f.pin)))
    return ", ".join(parts) if parts else t.gettext("all stores")


def page_text(t: Translator, p: StorePage) -> str:
    lines = [
        t.ngettext("🏪 <b>Stores</b> ({filter}): {count} store",
                   "🏪 <b>Stores</b> ({filter}): {count} stores", p.total).format(
            filter=filter_text(t, p.filter), count=format_number(p.total, t.lang)),
    ]
    if p.total == 0:
        lines += ["", t.gettext("No store matches."), "", _stores_help(t)]
        return "\n".join(lines)
    lines.append(t.gettext("Page {page} of {pages}").format(
        page=format_number(p.page + 1, t.lang), pages=format_number(p.pages, t.lang)))
    lines.append("")
    for s in p.stores:
        lines.append(t.gettext("{code} {shop} — {status}, PIN {pin}, places in use "
                               "{held}/{capacity}").format(
            code=h(s.code or "—"), shop=h(s.name), status=store_status(t, s.status),
            pin=h(s.pin_code), held=format_number(s.held, t.lang),
            capacity=format_number(s.capacity, t.lang)))
    return "\n".join(lines)


def page_markup(t: Translator, p: StorePage) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(f"{s.code or '—'} {s.name}"[:60],
                                  callback_data=pack(FEATURE, "open", p.rev, p.page, s.id))]
            for s in p.stores]
    nav = []
    if p.page > 0:
        nav.append(InlineKeyboardButton(t.gettext("◀️ Previous"),
                                        callback_data=pack(FEATURE, "pg", p.rev, p.page - 1)))
    if p.page + 1 < p.pages:
        nav.append(InlineKeyboardButton(t.gettext("Next ▶️"),
                                        callback_data=pack(FEATURE, "pg", p.rev, p.page + 1)))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows) if rows else None


def card_text(t: Translator, c: StoreCard, tz) -> str:  # noqa: ANN001 - tzinfo
    _ = t.gettext
    lang = t.lang
    lines = [
        _("🏪 <b>{shop}</b> ({code}) — {status}").format(
            shop=h(c.name), code=h(c.code or "—"), status=store_status(t, c.status)),
        _("👤 {owner}, {mobile}").format(owner=h(c.owner_name), mobile=h(format_mobile(c.mobile))),
        _("📍 {address}, PIN {pin}").format(address=h(c.address), pin=h(c.pin_code)),
        _("💳 UPI id: {upi}").format(upi=h(c.upi_id)) if c.upi_id
        else _("💳 No UPI id yet: payouts wait until the shopkeeper gives one."),
        _("🗄 Places in use on the shelf: {held}/{capacity}").format(
            held=format_number(c.held, lang), capacity=format_number(c.capacity, lang)),
        _("📦 Expected: {expected} · handed over: {picked} · returned: {returned}").format(
            expected=format_number(c.parcels.get("expected", 0), lang),
            picked=format_number(c.parcels.get("picked_up", 0), lang),
            returned=format_number(c.parcels.get("returned", 0), lang)),
        _("💰 {month} — handed over: {count}, {amount}").format(
            month=month_name(earnings_service.MonthTotal(c.month, 0, 0), lang),
            count=format_number(c.month_parcels, lang),
            amount=format_money(c.month_paise, lang)),
    ]
    if c.last_change is not None:
        template = (_("⛔ Suspended {when}: {reason}") if c.last_change.action == "suspended"
                    else _("✅ Reinstated {when}: {reason}"))
        lines.append(template.format(when=format_datetime(c.last_change.at, lang, tz),
                                     reason=h(c.last_change.reason)))
    if c.waiting:
        heading = (_("Parcels to re-route ({count}):") if c.status == "suspended"
                   else _("Parcels expected or waiting ({count}):"))
        lines += ["", heading.format(count=format_number(c.waiting_total, lang)),
                  id_list(t, c.waiting)]
        if c.waiting_total > len(c.waiting):
            lines.append(_("and {count} more").format(
                count=format_number(c.waiting_total - len(c.waiting), lang)))
    return "\n".join(lines)


def card_markup(t: Translator, c: StoreCard, rev: int | None, page: int | None
                ) -> InlineKeyboardMarkup:
    rows = []
    if c.status == "approved":
        rows.append([InlineKeyboardButton(t.gettext("⛔ Suspend"),
                                          callback_data=pack(FEATURE, "sus", c.id))])
    elif c.status == "suspended":
        rows.append([InlineKeyboardButton(t.gettext("✅ Reinstate"),
                                          callback_data=pack(FEATURE, "rei", c.id))])
    if rev is not None and page is not None:
        rows.append([InlineKeyboardButton(t.gettext("◀️ Back to the list"),
                                          callback_data=pack(FEATURE, "pg", rev, page))])
    return InlineKeyboardMarkup(rows)


# ------------------------------------------------------------------------------ commands


async def stores_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await show_stores(update, context, w, list(context.args or []))


async def show_stores(update: Update, context: Context, w: Who, words: list[str]) -> None:
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    if not svc.settings.is_admin(w.user.user_id):
        await show_menu(update, w, _not_admin(w))
        return
    parsed = svc_stores.parse_filter(words)
    if isinstance(parsed, tuple):
        problem, word = parsed
        await chat.send_message("\n\n".join([
            w._(FILTER_PROBLEMS[problem]).format(word=h(word)), _stores_help(w.t)]))
        return
    result = await svc_stores.first_page(svc, w.user.user_id, parsed)
    if isinstance(result, Problem):
        await show_menu(update, w, _not_admin(w))
        return
    await chat.send_message(page_text(w.t, result), reply_markup=page_markup(w.t, result))


async def stores_menu_action(update: Update, context: Context, w: Who) -> None:
    await show_stores(update, context, w, [])


# ------------------------------------------------------------------------------- buttons


async def stores_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    svc = services(context)
    cb = parse(query.data)
    expired = w._("This button has expired.")
    if cb is None or not svc.settings.is_admin(w.user.user_id):
        await query.answer(expired)
        return
    nums = [number(a) for a in cb.args]
    if any(n is None for n in nums):
        await query.answer(expired)
        return
    if cb.action == "pg" and len(nums) == 2:
        result = await svc_stores.list_page(svc, w.user.user_id, nums[0], nums[1])
        if isinstance(result, Problem):
            await query.answer(expired)
            return
        await query.answer()
        await query.edit_message_text(page_text(w.t, result),
                                      reply_markup=page_markup(w.t, result))
    elif cb.action == "open" and len(nums) == 3:
        card = await svc_stores.store_card(svc, w.user.user_id, nums[2])
        if isinstance(card, Problem):
            await query.answer(expired)
            return
        await query.answer()
        await query.edit_message_text(card_text(w.t, card, svc.settings.tz),
                                      reply_markup=card_markup(w.t, card, nums[0], nums[1]))
    elif cb.action in ACTIONS and len(nums) == 1:
        action = ACTIONS[cb.action]
        card = await svc_stores.can_change(svc, w.user.user_id, nums[0], action)
        if isinstance(card, Problem):
            await query.answer(expired)
            return
        await query.answer()
        await start_flow(context, w.user.user_id, REASON_FLOW, "reason",
                         {"store_id": card.id, "action": action})
        chat = update.effective_chat
        assert chat is not None
        ask = (w._("⛔ Why is {shop} ({code}) being suspended? Write the reason in one message: "
                   "the shopkeeper will read it. /cancel to stop.") if action == "suspended"
               else w._("✅ Reinstating {shop} ({code}). Write a short note for the shopkeeper "
                        "(for example: “Thank you, all settled”). /cancel to stop."))
        await chat.send_message(ask.format(shop=h(card.name), code=h(card.code)))
    else:
        await query.answer(expired)


async def on_reason(update: Update, context: Context, w: Who, state: FlowState) -> None:
    svc = services(context)
    chat = update.effective_chat
    message = update.effective_message
    assert chat is not None and message is not None
    store_id, action = state.data.get("store_id"), state.data.get("action")
    if not isinstance(store_id, int) or action not in ACTIONS.values():
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w)
        return
    result = await svc_stores.change_status(svc, w.user.user_id, store_id, action,
                                            message.text or "")
    if result is ReasonError.TOO_SHORT or result is ReasonError.TOO_LONG:
        await chat.send_message(w._(
            "Please write the reason in {min} to {max} characters, for example: “Parcels "
            "handed over without the customer's code”.").format(
            min=svc_stores.REASON_MIN, max=svc_stores.REASON_MAX))
        return
    await users.leave_flow(svc, w.user.user_id)
    if result is Problem.NOT_ADMIN:
        await show_menu(update, w, _not_admin(w))
        return
    if isinstance(result, Problem):
        await show_menu(update, w, w._("Nothing changed: the store is no longer in that state "
                                       "(another admin may have done it)."))
        return
    assert isinstance(result, StoreCard)
    done = (w._("⛔ {code} is suspended. The shopkeeper is being told why.")
            if action == "suspended"
            else w._("✅ {code} is active again. The shopkeeper is being told."))
    await chat.send_message(done.format(code=h(result.code)))
    await chat.send_message(card_text(w.t, result, svc.settings.tz),
                            reply_markup=card_markup(w.t, result, None, None))


# ------------------------------------------------------- what the shopkeeper is told


@outbox.renderer(svc_stores.STATUS_KIND)
async def render_status_change(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
    notice = await svc_stores.change_notice(ctx.svc, int(payload.get("change_id", 0)))
    if notice is None or not notice.still_so:
        return None  # changed back since: the newer message says how things stand
    _ = ctx.t.gettext
    if notice.action == "suspended":
        text = _("⛔ Your partner store <b>{shop}</b> ({code}) has been suspended.\n"
                 "Reason: {reason}\n\n"
                 "Until it is reinstated you cannot receive parcels or hand them over. Please "
                 "contact the programme team.")
    else:
        text = _("✅ Your partner store <b>{shop}</b> ({code}) is active again: you can "
                 "receive parcels and hand them over.\nNote from the team: {reason}")
    return outbox.OutMessage(text.format(shop=h(notice.name), code=h(notice.code),
                                         reason=h(notice.reason)))


def suspended_text(t: Translator, s: svc_stores.Suspension) -> str:
    if not s.reason:  # suspended before reasons were recorded
        return t.gettext("Your partner store <b>{shop}</b> ({code}) is suspended. Please contact "
                         "the programme team.").format(shop=h(s.name), code=h(s.code))
    return t.gettext(
        "⛔ Your partner store <b>{shop}</b> ({code}) is suspended: {reason}\n"
        "You cannot receive parcels or hand them over until it is reinstated. Please contact "
        "the programme team.").format(shop=h(s.name), code=h(s.code), reason=h(s.reason))


async def suspended_guard(update: Update, context: Context) -> None:
    """Before the store commands: a shopkeeper whose store is suspended is told why.

    The services refuse a suspended store anyway (they serve approved stores only); this only
    replaces their general "for approved stores" answer with the reason."""
    user = update.effective_user
    if user is None:
        return
    suspension = await svc_stores.suspension_of(services(context), user.id)
    if suspension is None:
        return
    w = await who(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer(suspended_text(w.t, suspension)
                                           .replace("<b>", "").replace("</b>", "")[:190],
                                           show_alert=True)
    else:
        await show_menu(update, w, suspended_text(w.t, suspension))
    raise ApplicationHandlerStop


# Receiving and handing over (and "My store"); /earnings keeps its own answer: money already
# earned is not what a suspension stops.
STORE_COMMANDS = ["receive", "pickup", "parcels", "mystore"]
# The shopkeeper's buttons: menu entries, the parcel screen (not the customer's "not me", pk:nm),
# and receiving.
STORE_BUTTONS = (r"^1:menu:(receive|pickup|parcels|mystore)$", r"^1:pk:(ok|all|rest|nf|no):",
                 r"^1:recv:")

register_flow(Flow(REASON_FLOW, on_input=on_reason))
start.MENU_ACTIONS["stores"] = stores_menu_action
add_admin_commands(("stores", N_("Find stores, suspend or reinstate one")))
add_admin_menu((N_("🏪 Stores"), "stores"))


def register(app: Application) -> None:
    app.add_handler(CommandHandler(STORE_COMMANDS, suspended_guard, filters=PRIVATE),
                    group=GUARD_GROUP)
    for buttons in STORE_BUTTONS:
        app.add_handler(CallbackQueryHandler(suspended_guard, pattern=buttons), group=GUARD_GROUP)
    app.add_handler(CommandHandler("stores", stores_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(stores_button, pattern=pattern(FEATURE)))
