"""/returns: the parcels a shopkeeper gives back to the courier, *returned* per parcel or all.

Buttons: ``1:ret:one:<parcel id>`` and ``1:ret:all:<ms>`` where ``ms`` is the moment the
screen was shown (milliseconds since the epoch): *all returned* marks only what was listed.
After a press the screen is redrawn with what is left.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.handlers import start
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import Who, h, services, who
from bot.handlers.holding_texts import weekday_date
from bot.handlers.router import show_menu
from bot.i18n.formatting import format_number
from bot.services import returns
from bot.services.returns import NotAStore, Returned, ReturnsList

Context = ContextTypes.DEFAULT_TYPE
FEATURE = "ret"
PRIVATE = filters.ChatType.PRIVATE


def _not_shopkeeper(w: Who) -> str:
    return w._("Returns are shown to approved partner stores only.")


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def screen(w: Who, result: ReturnsList) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list and its buttons; (text, None) when nothing is due back."""
    if not result.items:
        return w._("↩️ Nothing to give back to the courier right now."), None
    n = result.total
    lines = [
        w.t.ngettext("↩️ <b>{count} parcel to give back to the courier</b>",
                     "↩️ <b>{count} parcels to give back to the courier</b>", n)
        .format(count=format_number(n, w.lang)),
        "",
    ]
    for number, item in enumerate(result.items, start=1):
        customer = h(_short(item.customer_name)) if item.customer_name else w._("customer")
        last = weekday_date(w.t, item.last_day.isoformat()) if item.last_day else "—"
        lines.append(w._("{n}. <code>{tracking}</code> — {customer} — last day was {date}")
                     .format(n=number, tracking=h(item.tracking_id), customer=customer,
                             date=last))
    if n > len(result.items):
        lines.append(w._("and {count} more").format(count=n - len(result.items)))
    lines += ["", w._("When the courier takes a parcel, press «✅ Returned» under it, or "
                      "«✅ All returned» when they take all of those listed.")]
    shown_ms = math.ceil(result.shown_at.timestamp() * 1000)
    rows = [[InlineKeyboardButton(
        w._("✅ Returned · {tracking}").format(tracking=item.tracking_id),
        callback_data=pack(FEATURE, "one", item.id))] for item in result.items]
    rows.append([InlineKeyboardButton(
        w._("✅ All returned ({count})").format(count=len(result.items)),
        callback_data=pack(FEATURE, "all", shown_ms))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def returns_command(update: Update, context: Context) -> None:
    await show_returns(update, context, await who(update, context))


async def show_returns(update: Update, context: Context, w: Who) -> None:
    result = await returns.returns_of(services(context), w.user.user_id)
    if isinstance(result, NotAStore):
        await show_menu(update, w, _not_shopkeeper(w))
        return
    text, markup = screen(w, result)
    if markup is None:
        await show_menu(update, w, text)
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


def _done_text(w: Who, done: Returned) -> str:
    n = len(done.tracking_ids)
    return w.t.ngettext("✅ {count} parcel returned to the courier.",
                        "✅ {count} parcels returned to the courier.", n).format(
        count=format_number(n, w.lang))


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    cb = parse(query.data)
    number = cb.int_arg(0) if cb is not None else None
    svc = services(context)
    if cb is None or number is None or not 0 <= number < 2**62 or cb.action not in ("one", "all"):
        await query.answer(w._("This button has expired."))
        return
    if cb.action == "one":
        result = await returns.mark_returned(svc, w.user.user_id, number)
    else:
        try:
            shown_at = datetime.fromtimestamp(number / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            await query.answer(w._("This button has expired."))
            return
        result = await returns.mark_all_returned(svc, w.user.user_id, shown_at)
    if not isinstance(result, Returned):
        await query.answer(w._("This button has expired."))
        return
    await query.answer(_done_text(w, result))
    fresh = await returns.returns_of(svc, w.user.user_id)
    if isinstance(fresh, ReturnsList):
        text, markup = screen(w, fresh)
        text = _done_text(w, result) + "\n\n" + text
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:  # the screen is too old to edit: send it anew
            if "not modified" not in exc.message:
                chat = update.effective_chat
                assert chat is not None
                await chat.send_message(text, reply_markup=markup)


async def returns_action(update: Update, context: Context, w: Who) -> None:
    await show_returns(update, context, w)


start.MENU_ACTIONS["returns"] = returns_action


def register(app: Application) -> None:
    app.add_handler(CommandHandler("returns", returns_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))
