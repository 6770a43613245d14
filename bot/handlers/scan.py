"""Photos of parcel labels (/receive, *📷 Scan labels*) and of a customer's pickup-code QR (/pickup).

Flow (docs/flows/receive.md, docs/flows/pickup.md):

* In flow ``receive`` at step ``ids`` (or ``scanned``), a photo — or a picture sent as a file —
  is decoded in the background (:class:`bot.scan.worker.Scanner`); its tracking ids are added
  to the list kept at step ``scanned`` (``data``: ``scan_ids``, ``others``, ``rev`` — a random
  number naming the newest list —, ``list_msg``), and the list is shown, each id marked, with *✅ Receive these N*
  (``1:scan:ok:<rev>``) and *✖ Cancel* (``1:scan:no:<rev>``). Receiving goes through
  :func:`bot.handlers.receive.record_ids`, the path of typed ids.
* In flow ``pickup`` at step ``code``, the one pickup code in the photo goes through
  :func:`bot.handlers.pickup.check_code`, like a typed code (same lockout).
* Photos are downloaded (the largest size Telegram offers), decoded and dropped: never kept.
"""

from __future__ import annotations

import logging
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.domain import FlowState, Role
from bot.handlers import manifest_upload, receive, router, start
from bot.handlers import pickup as pickup_handlers
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.context import SERVICES_KEY, Who, services, who
from bot.handlers.parcel_texts import id_list
from bot.handlers.router import show_menu, start_flow
from bot.i18n import N_, Translator
from bot.i18n.formatting import format_number
from bot.scan.decode import Code, ImageProblem, Limits
from bot.scan.worker import Scanner, Timeout
from bot.services import arrival, label_scan, users
from bot.services.arrival import NotAllowed
from bot.services.label_scan import Mark, Preview

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FEATURE = "scan"
STEP_SCANNED = "scanned"
SCANNER_KEY = "scanner"
# bot_data key of the durable inbox (bot/inbox, when merged): updates handled per chat.
INBOX_KEY = "kirana.inbox"
PRIVATE = filters.ChatType.PRIVATE
PICTURES = filters.UpdateType.MESSAGE & PRIVATE & (filters.PHOTO | filters.Document.IMAGE)


def scanner(context: Context) -> Scanner:
    return services(context).extras[SCANNER_KEY]


# ------------------------------------------------------------------------------- texts


def too_large_text(t: Translator, limits: Limits) -> str:
    return t.gettext(
        "📷 This picture is too large for me: at most {mb} MB and {mp} megapixels. Send it as "
        "an ordinary photo (not as a file), or type the ids."
    ).format(mb=format_number(limits.max_bytes // (1024 * 1024), t.lang),
             mp=format_number(limits.max_pixels // 1_000_000, t.lang))


def problem_text(t: Translator, problem: ImageProblem | Timeout, limits: Limits) -> str:
    if problem is ImageProblem.TOO_LARGE:
        return too_large_text(t, limits)
    if problem is ImageProblem.NOT_AN_IMAGE:
        return t.gettext("📷 I could not open this picture. Please send it as a photo.")
    return t.gettext("📷 Reading this photo took too long. Send a closer photo of the labels, "
                     "or type the ids.")


def others_text(t: Translator, count: int) -> str:
    return t.ngettext("{count} other code ignored (not a tracking id).",
                      "{count} other codes ignored (not tracking ids).", count).format(
        count=format_number(count, t.lang))


def no_id_text(t: Translator, others: int) -> str:
    lines = [t.gettext(
        "📷 I found no tracking id in this photo. Hold the phone steady, fill the frame with "
        "the label, use good light — and send the photo again. Or type the ids.")]
    if others:
        lines.append(others_text(t, others))
    return "\n".join(lines)


def preview_text(t: Translator, preview: Preview, others: int, dropped: int) -> str:
    _ = t.gettext
    total = len(preview.marks)
    parts = [t.ngettext("📷 <b>{count} tracking id read</b>", "📷 <b>{count} tracking ids read</b>",
                        total).format(count=format_number(total, t.lang))]
    groups = [
        (Mark.EXPECTED, N_("✅ Expected here: {ids}")),
        (Mark.UNKNOWN, N_("❓ Not in our list (I will ask for each customer's mobile): {ids}")),
        (Mark.OTHER_STORE, N_("⛔ For another store, do not keep them: {ids}")),
        (Mark.ALREADY_HERE, N_("ℹ️ Already here: {ids}")),
        (Mark.FINISHED, N_("📦 Already finished: {ids}")),
    ]
    for mark, label in groups:
        ids = preview.ids(mark)
        if ids:
            parts.append(_(label).format(ids=id_list(t, ids)))
    if others:
        parts.append(others_text(t, others))
    if dropped:
        parts.append(_("Only the first {limit} ids are kept. Receive these, then send the "
                       "other photos.").format(limit=label_scan.MAX_IDS))
    if preview.receivable:
        parts.append(_("Send more photos to add to this list, or press a button."))
    else:
        parts.append(_("Nothing here to receive."))
    return "\n\n".join(parts)


def preview_markup(t: Translator, preview: Preview, rev: int) -> InlineKeyboardMarkup:
    rows = []
    count = len(preview.receivable)
    if count:
        rows.append([InlineKeyboardButton(
            t.ngettext("✅ Receive {count} parcel", "✅ Receive these {count}", count).format(
                count=format_number(count, t.lang)),
            callback_data=pack(FEATURE, "ok", rev))])
    rows.append([InlineKeyboardButton(t.gettext("✖ Cancel"),
                                      callback_data=pack(FEATURE, "no", rev))])
    return InlineKeyboardMarkup(rows)


# ------------------------------------------------------------------------------ photos


def _mode(state: FlowState | None) -> str | None:
    if state is None:
        return None
    if state.flow == receive.FLOW and state.step in ("ids", STEP_SCANNED):
        return "receive"
    if state.flow == pickup_handlers.FLOW and state.step == pickup_handlers.STEP_CODE:
        return "pickup"
    return None


async def on_picture(update: Update, context: Context) -> None:
    """A photo or an image file: decode it in the background if a flow expects one."""
    message = update.effective_message
    assert message is not None
    w = await who(update, context)
    svc = services(context)
    mode = _mode(await users.current_flow(svc, w.user.user_id))
    if mode is None:  # a picture nobody asked for
        if Role.SHOPKEEPER in w.user.roles:
            await show_menu(update, w, w._(
                "📷 To read parcel labels, press «📷 Scan labels» first. To read a customer's "
                "pickup-code QR, press «📦 Hand over a parcel» first."))
        elif message.document is not None:
            await manifest_upload.on_document(update, context)  # as before this feature
        else:
            await router.route_message(update, context)
        return
    limits = scanner(context).limits
    if message.photo:
        best = message.photo[-1]  # Telegram lists the sizes smallest first
        file_id, size, pixels = best.file_id, best.file_size, best.width * best.height
    else:
        assert message.document is not None
        file_id, size, pixels = message.document.file_id, message.document.file_size, 0
    if (size or 0) > limits.max_bytes or pixels > limits.max_pixels:
        await message.reply_text(too_large_text(w.t, limits))
        return

    async def job() -> None:
        try:
            await _scan(update, context, mode, file_id)
        except Exception:
            log.exception("could not scan a photo of user %s", w.user.user_id)
            await message.reply_text(
                w._("Sorry, something went wrong on our side. Please try again."))

    if INBOX_KEY in context.application.bot_data:
        # Updates are handled chat by chat in parallel, each finished only once handled (the
        # durable inbox): decoding in this update's turn blocks no one else, and a restart
        # replays a photo whose answer was not sent yet.
        await scanner(context).run(w.user.user_id, job)
    else:
        # PTB handles one update at a time: answer from a background job, so that everyone
        # else's updates go on while the photo is read. (A kill -9 during those seconds loses
        # that answer; the shopkeeper sends the photo again.)
        scanner(context).spawn(w.user.user_id, job)


async def _download(context: Context, file_id: str, limit: int) -> bytes | None:
    try:
        telegram_file = await context.bot.get_file(file_id)
        if (telegram_file.file_size or 0) > limit:
            return None
        return bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download a photo: %s", exc)
        return None


async def _scan(update: Update, context: Context, mode: str, file_id: str) -> None:
    message = update.effective_message
    assert message is not None
    the_scanner = scanner(context)
    data = await _download(context, file_id, the_scanner.limits.max_bytes)
    w = await who(update, context)
    if data is None:
        await message.reply_text(w._("📷 I could not get this photo from Telegram. Please send "
                                     "it again."))
        return
    result = await the_scanner.read(data)
    del data  # the photo is not kept
    # The user may have moved on (/cancel, another photo's list) while it was being read.
    state = await users.current_flow(services(context), w.user.user_id)
    if _mode(state) != mode or state is None:
        return
    if isinstance(result, ImageProblem | Timeout):
        await message.reply_text(problem_text(w.t, result, the_scanner.limits))
    elif mode == "pickup":
        await _pickup_code(update, context, w, result)
    else:
        await _add_to_list(update, context, w, state, result)


async def _pickup_code(update: Update, context: Context, w: Who, codes: list[Code]) -> None:
    message = update.effective_message
    assert message is not None
    found = label_scan.pickup_codes(codes)
    if not found:
        await message.reply_text(w._(
            "📷 I found no pickup code in this photo. Ask the customer to open the code's QR "
            "in their chat with this bot (🔳 Show as QR) and hold it steady — or type the 6 "
            "digits."))
    elif len(found) > 1:
        await message.reply_text(w._("📷 This photo shows more than one pickup code. "
                                     "Photograph one code at a time."))
    else:
        await pickup_handlers.check_code(update, context, w, found[0])


async def _add_to_list(
    update: Update, context: Context, w: Who, state: FlowState, codes: list[Code]
) -> None:
    message = update.effective_message
    assert message is not None
    svc = services(context)
    read = label_scan.sort_codes(codes)
    if not read.ids:
        await message.reply_text(no_id_text(w.t, read.other_codes))
        return
    earlier = state.data if state.step == STEP_SCANNED else {}
    ids, dropped = label_scan.merge_ids(list(earlier.get("scan_ids") or []), read.ids)
    others = int(earlier.get("others") or 0) + read.other_codes
    preview = await label_scan.preview(svc, w.user.user_id, ids)
    if isinstance(preview, NotAllowed):
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, receive.not_shopkeeper_text(w))
        return
    rev = secrets.randbelow(2**31)  # this list's buttons, and no earlier list's, work
    await _drop_buttons(context, message.chat_id, earlier.get("list_msg"))
    shown = await message.reply_text(preview_text(w.t, preview, others, dropped),
                                     reply_markup=preview_markup(w.t, preview, rev))
    await start_flow(context, w.user.user_id, receive.FLOW, STEP_SCANNED, {
        "scan_ids": ids, "others": others, "rev": rev, "list_msg": shown.message_id})


async def _drop_buttons(context: Context, chat_id: int, message_id: object) -> None:
    """The previous list's buttons go: only the newest list can be received."""
    if not isinstance(message_id, int):
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except TelegramError as exc:
        log.info("could not remove the old scan list's buttons: %s", exc)


# ----------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    w = await who(update, context)
    svc = services(context)
    cb = parse(query.data)
    state = await users.current_flow(svc, w.user.user_id)
    current = (state is not None and state.flow == receive.FLOW and state.step == STEP_SCANNED
               and cb is not None and cb.int_arg(0) == state.data.get("rev"))
    if cb is None or not current or cb.action not in ("ok", "no") or state is None:
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    await _edit_away_buttons(query.message)
    if cb.action == "no":
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, w._("✖ Nothing was received."))
        return
    ids = list(state.data.get("scan_ids") or [])
    preview = await label_scan.preview(svc, w.user.user_id, ids)
    receivable = [] if isinstance(preview, NotAllowed) else preview.receivable
    if not receivable:
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, w._("Nothing here to receive."))
        return
    await start_flow(context, w.user.user_id, receive.FLOW, "ids")
    await receive.record_ids(update, context, w, "\n".join(receivable))


async def _edit_away_buttons(message: object) -> None:
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramError as exc:
            log.info("could not remove the scan list's buttons: %s", exc)


# ------------------------------------------------------------------------------ wiring


async def scan_action(update: Update, context: Context, w: Who) -> None:
    """Store menu *📷 Scan labels*: /receive, asking for photos."""
    current = await arrival.shelf(services(context), w.user.user_id)
    if isinstance(current, NotAllowed):
        await show_menu(update, w, receive.not_shopkeeper_text(w))
        return
    if current.full:
        await receive.begin(update, context, w)  # says the shelf is full
        return
    await start_flow(context, w.user.user_id, receive.FLOW, "ids")
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("\n\n".join([
        w._("📷 Send a photo of the parcel labels: one label, or several at once. For the "
            "sharpest picture, send it as a file. I read every barcode and QR code and show "
            "you the tracking ids before anything is recorded."),
        w._("Free places on your shelf: {free} of {capacity}.").format(
            free=format_number(current.free, w.lang),
            capacity=format_number(current.store.capacity, w.lang)),
        w._("You can also type the ids, one per line. /cancel to stop."),
    ]))


async def on_startup(app: Application) -> None:
    svc = app.bot_data[SERVICES_KEY]
    settings = svc.settings
    limits = Limits(max_bytes=settings.scan_max_bytes,
                    max_pixels=int(settings.scan_max_megapixels * 1_000_000))
    svc.extras[SCANNER_KEY] = Scanner(
        limits, workers=settings.scan_workers, timeout=settings.scan_timeout_seconds,
        # PTB's own tasks: Application.stop() waits for them, so a photo being read when the
        # bot is told to stop is still answered.
        create_task=lambda coroutine: app.create_task(coroutine, name="scan"))


async def on_shutdown(app: Application) -> None:
    svc = app.bot_data.get(SERVICES_KEY)
    if svc is not None and SCANNER_KEY in svc.extras:
        await svc.extras.pop(SCANNER_KEY).close()


start.MENU_ACTIONS["scan"] = scan_action


def register(app: Application) -> None:
    app.add_handler(MessageHandler(PICTURES, on_picture))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))
