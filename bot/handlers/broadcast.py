"""Admin broadcasts (SPEC §8): /broadcast to compose and send, /broadcasts to see recent ones.

Compose flow (state in flow_state, so a restart loses nothing; see docs/flows/broadcast.md):

    text ──▶ versions ──▶ audience ──▶ (city | pin | lang) ──▶ preview ──▶ send | cancel
               ▲  │
               └──┘ version (one per language, optional)

Every button carries the draft's token: a button from an older draft, or forged data from
someone else, changes nothing and is answered "this button has expired".
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.domain import FlowState
from bot.handlers import broadcast_views as views
from bot.handlers import router
from bot.handlers.callbacks import Callback, pack, parse, pattern
from bot.handlers.context import SERVICES_KEY, Who, h_cut, services, who
from bot.handlers.start import MENU_ACTIONS
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.i18n.formatting import format_datetime, format_number
from bot.jobs.broadcast_sender import BroadcastSender, get_sender
from bot.services import audiences, users
from bot.services import broadcast as service
from bot.services.audiences import Audience, AudienceKind
from bot.services.broadcast import BASE, Counts
from bot.validation import Invalid

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FLOW = "broadcast"
FEATURE = views.FEATURE
PRIVATE = filters.ChatType.PRIVATE


# --------------------------------------------------------------------------- entry points


async def broadcast_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await begin(update, context, w)


async def begin(update: Update, context: Context, w: Who) -> None:
    if not service.may_broadcast(services(context), w.user.user_id):
        await router.answer_unknown(update, w)
        return
    state = await router.start_flow(
        context, w.user.user_id, FLOW, "text", {"draft": service.new_draft_token(), "texts": {}})
    await _ask_text(update, w, state)


async def list_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await show_recent(update, context, w)


async def show_recent(update: Update, context: Context, w: Who) -> None:
    svc = services(context)
    found = await service.recent(svc, w.user.user_id)
    if isinstance(found, service.Refusal):
        await router.answer_unknown(update, w)
        return
    chat = update.effective_chat
    assert chat is not None
    if not found:
        await chat.send_message(w._("No notices have been sent yet. Send /broadcast to write one."))
        return
    status_names = {
        "sending": w._("sending"),
        "stopping": w._("stopping"),
        "done": w._("finished"),
        "stopped": w._("stopped"),
    }
    blocks = [w._("<b>Recent notices</b>")]
    for item in found:
        when = format_datetime(item.created_at, w.lang, svc.settings.tz)
        head = f"<b>#{item.broadcast_id}</b> · {when} · {views.audience_label(w.t, item.audience)}"
        status = w.t.ngettext(
            "{status}, {total} recipient", "{status}, {total} recipients", item.total
        ).format(
            status=status_names.get(item.status, item.status),
            total=format_number(item.total, w.lang))
        final = item.status in ("done", "stopped")
        blocks.append(f"{head}\n{status}\n{views.counts_text(w.t, item.counts, final=final)}")
    await chat.send_message("\n\n".join(blocks))


# --------------------------------------------------------------------------- free text


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    svc = services(context)
    if not service.may_broadcast(svc, w.user.user_id):
        await users.leave_flow(svc, w.user.user_id)
        await router.show_menu(update, w)
        return
    if state.step in ("text", "version"):
        await _take_text(update, context, w, state)
    elif state.step == "city":
        await _take_city(update, context, w, state)
    elif state.step == "pin":
        await _take_pin(update, context, w, state)
    else:
        await _reply(update, w._("Please use the buttons below."))
        await _show_step(update, context, w, state)


async def _take_text(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    assert message is not None
    if not message.text:
        await _reply(update, w._("Please send the notice as a text message."))
        await _ask_text(update, w, state)
        return
    problem = service.check_text(message.text)
    if problem == service.TextProblem.TOO_LONG:
        await _reply(update, w._(
            "This notice is too long: {length} characters. Please keep it under {limit} "
            "characters and send it again."
        ).format(length=format_number(len(message.text), w.lang),
                 limit=format_number(service.MAX_TEXT_LENGTH, w.lang)))
        await _ask_text(update, w, state)
        return
    if problem == service.TextProblem.EMPTY:
        await _ask_text(update, w, state)
        return
    texts = dict(state.data.get("texts", {}))
    key = state.data.get("lang", BASE) if state.step == "version" else BASE
    texts[key] = message.text_html
    data = {k: v for k, v in state.data.items() if k != "lang"}
    data["texts"] = texts
    state = await router.start_flow(context, w.user.user_id, FLOW, "versions", data)
    await _show_versions(update, w, state, saved=True)


async def _take_city(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    parsed = audiences.parse_city(message.text or "" if message else "")
    if isinstance(parsed, Invalid):
        reasons = {
            audiences.CityError.TOO_SHORT: w._("A city name needs at least 2 letters, e.g. <i>Pune</i>."),
            audiences.CityError.TOO_LONG: w._("That is too long for a city name. Write just the city, e.g. <i>Nagpur</i>."),
            audiences.CityError.NO_LETTER: w._("A city name needs letters, e.g. <i>Nashik</i>."),
            audiences.CityError.TOO_MANY: w._("Please give at most 5 spellings, e.g. <i>Pune / पुणे</i>."),
        }
        await _reply(update, reasons[parsed.reason])
        await _show_step(update, context, w, state)
        return
    await _preview(update, context, w, state, Audience(AudienceKind.CITY, parsed.value))


async def _take_pin(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    parsed = audiences.parse_pin_prefix(message.text or "" if message else "")
    if isinstance(parsed, Invalid):
        reasons = {
            audiences.PinPrefixError.EMPTY: w._("Please type the first digits of the PIN code, e.g. <code>411</code>."),
            audiences.PinPrefixError.NOT_DIGITS: w._("Please type digits only, e.g. <code>4110</code>."),
            audiences.PinPrefixError.TOO_LONG: w._("A PIN code has 6 digits: type at most 6, e.g. <code>411038</code>."),
            audiences.PinPrefixError.BAD_FIRST_DIGIT: w._("A PIN code does not start with 0, e.g. <code>440</code>."),
        }
        await _reply(update, reasons[parsed.reason])
        await _show_step(update, context, w, state)
        return
    await _preview(update, context, w, state, Audience(AudienceKind.PIN, parsed.value))


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    if cb is None:
        await query.answer(w._("This button has expired."))
        return
    if cb.action == "stop":
        await _stop_pressed(update, context, w, cb)
        return
    svc = services(context)
    state = await users.current_flow(svc, w.user.user_id)
    draft = cb.args[-1] if cb.args else ""
    if (
        not service.may_broadcast(svc, w.user.user_id)
        or state is None
        or state.flow != FLOW
        or state.data.get("draft") != draft
    ):
        await query.answer(w._("This button has expired."))
        return
    handlers = {
        "ver": _version_pressed,
        "aud": _audience_pressed,
        "a": _audience_kind_pressed,
        "l": _language_pressed,
        "send": _send_pressed,
        "cancel": _cancel_pressed,
    }
    handler = handlers.get(cb.action)
    if handler is None:
        await query.answer(w._("This button has expired."))
        return
    await handler(update, context, w, state, cb)


async def _version_pressed(update: Update, context: Context, w: Who, state: FlowState,
                           cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    lang = cb.arg(0)
    if lang not in LANGUAGES or BASE not in state.data.get("texts", {}):
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    state = await router.start_flow(
        context, w.user.user_id, FLOW, "version", {**state.data, "lang": lang})
    await _ask_text(update, w, state)


async def _audience_pressed(update: Update, context: Context, w: Who, state: FlowState,
                            cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    if BASE not in state.data.get("texts", {}):
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    state = await router.start_flow(context, w.user.user_id, FLOW, "audience", state.data)
    await _show_step(update, context, w, state)


async def _audience_kind_pressed(update: Update, context: Context, w: Who, state: FlowState,
                                 cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    kind = cb.arg(0)
    if BASE not in state.data.get("texts", {}) or kind not in set(AudienceKind):
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    step = {AudienceKind.CITY: "city", AudienceKind.PIN: "pin",
            AudienceKind.LANGUAGE: "lang"}.get(AudienceKind(kind))
    if step is not None:
        state = await router.start_flow(context, w.user.user_id, FLOW, step, state.data)
        await _show_step(update, context, w, state)
        return
    await _preview(update, context, w, state, Audience(AudienceKind(kind)))


async def _language_pressed(update: Update, context: Context, w: Who, state: FlowState,
                            cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    lang = cb.arg(0)
    if state.step != "lang" or lang not in LANGUAGES:
        await query.answer(w._("This button has expired."))
        return
    await query.answer()
    await _preview(update, context, w, state, Audience(AudienceKind.LANGUAGE, lang))


async def _send_pressed(update: Update, context: Context, w: Who, state: FlowState,
                        cb: Callback) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    audience = _audience_of(state)
    if state.step != "preview" or audience is None:
        await query.answer(w._("This button has expired."))
        return
    svc = services(context)
    result = await service.create(
        svc,
        admin_id=w.user.user_id,
        draft=state.data["draft"],
        texts=state.data.get("texts", {}),
        audience=audience,
        progress_chat_id=query.message.chat.id,
        progress_message_id=query.message.message_id,
    )
    if result == service.Refusal.NOBODY:
        await query.answer()
        await _reply(update, w._("Nobody in this audience can get the notice now."))
        state = await router.start_flow(context, w.user.user_id, FLOW, "audience", state.data)
        await _show_step(update, context, w, state)
        return
    if not isinstance(result, service.Created):
        await query.answer(w._("This button has expired."))
        return
    # The work first: the sender is woken before anything is said to Telegram, so a failed
    # or slow answer to the button never leaves a broadcast created and not sent.
    sender = get_sender(svc)
    if sender is not None:
        sender.wake()
    await query.answer(w._("Sending has started."))
    counts = Counts(blocked=result.skipped_blocked, left=result.total - result.skipped_blocked)
    await query.edit_message_text(
        views.progress_text(w.t, result.broadcast_id, counts, stopping=False,
                            waits_for=result.waits_for),
        reply_markup=views.stop_keyboard(w.t, result.broadcast_id),
    )


async def _cancel_pressed(update: Update, context: Context, w: Who, state: FlowState,
                          cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await users.leave_flow(services(context), w.user.user_id)
    await query.edit_message_reply_markup(None)
    w = await who(update, context)
    await router.show_menu(update, w, w._("Cancelled. Nothing was sent."))


async def _stop_pressed(update: Update, context: Context, w: Who, cb: Callback) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    broadcast_id = cb.int_arg(0)
    if broadcast_id is None:
        await query.answer(w._("This button has expired."))
        return
    result = await service.request_stop(svc, w.user.user_id, broadcast_id)
    if result == service.StopResult.FINISHED:
        await query.answer(w._("This notice has already been sent to everyone."))
        return
    if result != service.StopResult.STOPPING:
        await query.answer(w._("This button has expired."))
        return
    # Halt the sender before anything else (a slow answer must not let notices keep going).
    sender = get_sender(svc)
    if sender is not None:
        sender.request_stop(broadcast_id)
    await query.answer(w._("Stopping. Messages already on their way will still arrive."))
    summary = await service.summary(svc, broadcast_id)
    if summary is not None and summary.status == "stopping":
        try:
            await query.edit_message_text(
                views.progress_text(w.t, broadcast_id, summary.counts, stopping=True))
        except BadRequest as exc:
            log.info("could not show stopping state: %s", exc.message)


# --------------------------------------------------------------------------- steps


def _audience_of(state: FlowState) -> Audience | None:
    raw = state.data.get("audience")
    if not isinstance(raw, dict):
        return None
    return Audience.parse(str(raw.get("kind", "")), str(raw.get("arg", "")))


async def _reply(update: Update, text: str, **kwargs: object) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, **kwargs)  # type: ignore[arg-type]


def _button(text: str, action: str, *args: object) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text, callback_data=pack(FEATURE, action, *args))]


async def _ask_text(update: Update, w: Who, state: FlowState) -> None:
    if state.step == "version":
        lang = state.data.get("lang", "en")
        text = w._(
            "Send the <b>{language}</b> version of the notice. Readers of {language} will get "
            "it instead of the first text."
        ).format(language=LANGUAGE_NAMES.get(lang, lang))
    else:
        text = w._(
            "📢 <b>New notice</b>\n\nWrite the notice as one message. You can add a version in "
            "English, Hindi or Marathi next; each person gets the version in their language, or "
            "this text when there is none.\n\nSend /cancel to stop."
        )
    await _reply(update, text)


async def _show_versions(update: Update, w: Who, state: FlowState, *, saved: bool) -> None:
    texts = state.data.get("texts", {})
    draft = state.data["draft"]
    marks = " · ".join(
        f"{LANGUAGE_NAMES[lang]} {'✓' if lang in texts else '—'}" for lang in LANGUAGES)
    lines = [w._("Text saved ✓") if saved else w._("Your notice so far:")]
    lines.append(w._("Language versions: {languages}").format(languages=marks))
    lines.append(w._(
        "Add a version for readers of another language, or choose who gets the notice."))
    rows = []
    for lang in LANGUAGES:
        label = (w._("✏️ Change the {language} version") if lang in texts
                 else w._("➕ Add a {language} version"))
        rows.append(_button(label.format(language=LANGUAGE_NAMES[lang]), "ver", lang, draft))
    rows.append(_button(w._("👥 Choose who gets it ➜"), "aud", draft))
    await _reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def _show_step(update: Update, context: Context, w: Who, state: FlowState) -> None:
    draft = state.data.get("draft", "")
    if state.step in ("text", "version"):
        await _ask_text(update, w, state)
    elif state.step == "versions":
        await _show_versions(update, w, state, saved=False)
    elif state.step == "audience":
        rows = [
            _button(w._("🏪 All approved stores"), "a", AudienceKind.STORES.value, draft),
            _button(w._("🏙 Stores in a city"), "a", AudienceKind.CITY.value, draft),
            _button(w._("📮 Stores by PIN code"), "a", AudienceKind.PIN.value, draft),
            _button(w._("🗣 Stores by language"), "a", AudienceKind.LANGUAGE.value, draft),
            _button(w._("🙋 All linked customers"), "a", AudienceKind.CUSTOMERS.value, draft),
        ]
        await _reply(update, w._("Who should get this notice?"),
                     reply_markup=InlineKeyboardMarkup(rows))
    elif state.step == "city":
        await _reply(update, w._(
            "Type the city as it is written in store addresses, e.g. <i>Pune</i>. For several "
            "spellings, separate them with /, e.g. <i>Pune / पुणे</i>."))
    elif state.step == "pin":
        await _reply(update, w._(
            "Type a PIN code or its first digits, e.g. <i>411</i> for every PIN code starting "
            "with 411, or <i>411038</i>."))
    elif state.step == "lang":
        rows = [_button(LANGUAGE_NAMES[lang], "l", lang, draft) for lang in LANGUAGES]
        await _reply(update, w._("Stores whose owner reads which language?"),
                     reply_markup=InlineKeyboardMarkup(rows))
    elif state.step == "preview":
        audience = _audience_of(state)
        if audience is not None:
            await _preview(update, context, w, state, audience)


async def _preview(update: Update, context: Context, w: Who, state: FlowState,
                   audience: Audience) -> None:
    svc = services(context)
    counted = await service.preview(svc, w.user.user_id, audience)
    if isinstance(counted, service.Refusal):
        await router.show_menu(update, w)
        return
    data = {**state.data, "audience": {"kind": audience.kind.value, "arg": audience.arg}}
    label = views.audience_label(w.t, audience)
    if counted.total == 0:
        text = w._("Nobody in <b>{audience}</b> can get the notice.").format(audience=label)
        if counted.blocked:
            text += "\n" + w.t.ngettext(
                "{count} person blocked the bot.", "{count} people blocked the bot.",
                counted.blocked,
            ).format(
                count=format_number(counted.blocked, w.lang))
        await _reply(update, text)
        state = await router.start_flow(context, w.user.user_id, FLOW, "audience", data)
        await _show_step(update, context, w, state)
        return
    state = await router.start_flow(context, w.user.user_id, FLOW, "preview", data)
    texts = data.get("texts", {})
    for lang in LANGUAGES:
        if not counted.by_language.get(lang):
            continue
        head = w.t.ngettext(
            "👁 <i>Preview: what {count} {language} reader will get</i>",
            "👁 <i>Preview: what {count} {language} readers will get</i>",
            counted.by_language[lang]).format(
            count=format_number(counted.by_language[lang], w.lang),
            language=LANGUAGE_NAMES[lang])
        try:
            await _reply(update, f"{head}\n\n{views.notice_text(texts, lang)}")
        except BadRequest as exc:
            log.info("preview refused by Telegram: %s", exc.message)
            await _reply(update, w._(
                "Telegram did not accept this text ({reason}). Please write the notice again."
            ).format(reason=h_cut(exc.message)))
            state = await router.start_flow(context, w.user.user_id, FLOW, "text",
                                            {"draft": data["draft"], "texts": {}})
            await _ask_text(update, w, state)
            return
    by_language = " · ".join(
        f"{LANGUAGE_NAMES[lang]} {format_number(counted.by_language.get(lang, 0), w.lang)}"
        for lang in LANGUAGES)
    lines = [
        w._("📢 <b>Ready to send</b>"),
        w._("Audience: {audience}").format(audience=label),
        w._("Recipients: <b>{total}</b> ({by_language})").format(
            total=format_number(counted.total, w.lang), by_language=by_language),
    ]
    if counted.blocked:
        lines.append(w.t.ngettext(
            "{count} more person blocked the bot and will be skipped.",
            "{count} more people blocked the bot and will be skipped.",
            counted.blocked,
        ).format(
            count=format_number(counted.blocked, w.lang)))
    draft = data["draft"]
    rows = [
        _button(w.t.ngettext("✅ Send to {total} person", "✅ Send to {total} people",
                             counted.total).format(total=format_number(counted.total, w.lang)),
                "send", draft),
        _button(w._("👥 Change the audience"), "aud", draft),
        _button(w._("✖ Cancel"), "cancel", draft),
    ]
    await _reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


# --------------------------------------------------------------------------- wiring


async def _menu_broadcast(update: Update, context: Context, w: Who) -> None:
    await begin(update, context, w)


async def _menu_recent(update: Update, context: Context, w: Who) -> None:
    await show_recent(update, context, w)


router.register_flow(router.Flow(FLOW, on_input=on_input))
MENU_ACTIONS.update({"broadcast": _menu_broadcast, "broadcasts": _menu_recent})


def register(app: Application) -> None:
    app.add_handler(CommandHandler("broadcast", broadcast_command, filters=PRIVATE))
    app.add_handler(CommandHandler("broadcasts", list_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(FEATURE)))


async def on_startup(app: Application) -> None:
    svc = app.bot_data[SERVICES_KEY]
    sender = BroadcastSender(
        app.bot,
        svc,
        concurrency=svc.settings.broadcast_concurrency,
        progress_seconds=svc.settings.broadcast_progress_seconds,
    )
    svc.extras["broadcast_sender"] = sender
    await sender.start()


async def on_shutdown(app: Application) -> None:
    svc = app.bot_data.get(SERVICES_KEY)
    sender = get_sender(svc) if svc is not None else None
    if sender is not None:
        await sender.close()
