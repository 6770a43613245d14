"""Customers: *🔳 Show as QR* — the pickup code as a QR picture the shopkeeper can photograph.

Buttons (``1:qr:<action>:<parcel id>[:<sealed code>]``):

* ``show`` — on the arrival notice and the new-code message: the code that message showed,
  sealed in the button (:mod:`bot.services.code_qr`), drawn as a QR if it still works.
* ``new`` — in /myparcels, where no code can be shown again (codes are not stored): a new code
  is issued (the old one stops working, as with *🔑 New code*) and sent as a QR.

The picture is drawn for the reply and never stored.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import Who, h, services, who
from bot.handlers.notices import code_line, last_day_line
from bot.i18n import Translator
from bot.scan.qr import qr_png
from bot.services import code_qr, customers
from bot.services.code_qr import QrProblem, ShownCode
from bot.services.customers import NewCode, ParcelProblem

Context = ContextTypes.DEFAULT_TYPE
FEATURE = "qr"


def new_code_button(t: Translator, parcel_id: int, tracking_id: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t.gettext("🔳 New code as QR · {tracking}").format(tracking=tracking_id),
        callback_data=pack(FEATURE, "new", parcel_id))


def _counter_line(w: Who, store: str) -> str:
    return w._("Show this picture at the counter of {store}: the shopkeeper can scan it "
               "instead of typing the code.").format(store=h(store))


async def _send_qr(update: Update, code: str, caption: str) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_photo(InputFile(qr_png(code), filename="pickup-code.png"), caption=caption)


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    svc = services(context)
    cb = parse(query.data)
    parcel_id = cb.int_arg(0) if cb is not None else None
    if cb is None or parcel_id is None or cb.action not in ("show", "new"):
        await query.answer(w._("This button has expired."))
        return
    if cb.action == "show":
        shown = await code_qr.code_to_show(svc, w.user.user_id, parcel_id, cb.arg(1))
        if isinstance(shown, ShownCode):
            await query.answer()
            await _send_qr(update, shown.code, "\n".join([
                w._("🔳 Pickup code for <b>{tracking}</b>").format(tracking=h(shown.tracking_id)),
                code_line(w.t, shown.code), _counter_line(w, shown.store_name)]))
            return
        answers = {
            QrProblem.NOT_YOURS: w._("This button has expired."),
            QrProblem.REPLACED: w._("This code was replaced by a newer one. Use the newest "
                                    "code, or get a new one with /myparcels."),
            QrProblem.NOT_WAITING: w._("This parcel is no longer waiting at the store."),
        }
        await query.answer(answers[shown], show_alert=shown is QrProblem.REPLACED)
        return
    result = await customers.new_code(svc, w.user.user_id, parcel_id)
    if isinstance(result, NewCode):
        await query.answer()
        lines = [w._("🔑 New pickup code for <b>{tracking}</b>. The old code no longer works.")
                 .format(tracking=h(result.parcel.tracking_id)), code_line(w.t, result.code)]
        if result.parcel.last_day:
            lines.append(last_day_line(w.t, result.parcel.last_day))
        lines.append(_counter_line(w, result.store.name))
        await _send_qr(update, result.code, "\n".join(lines))
        return
    await query.answer(w._("This parcel is no longer waiting at the store.")
                       if result is ParcelProblem.NOT_WAITING else w._("This button has expired."))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))
