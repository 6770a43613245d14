"""Store onboarding, the shopkeeper's side (SPEC §3): the questions, the summary, submit.

Entered from the newcomer menu (*run a partner store*) and /register. The answers live in the
``store_drafts`` table (``bot.services.onboarding``); ``flow_state`` only says that this
user's messages come here. Every question is one message with a reply keyboard (big buttons:
share my number, send location, presets, skip, keep, back) — the keyboard's buttons send their
label as text, which is matched in every language, so a keyboard left from before a language
change still works. The summary, the continue / start-over offer and the admins' buttons are
inline buttons.
"""

from __future__ import annotations

import logging
from datetime import tzinfo

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.domain import FlowState
from bot.handlers import router, start
from bot.handlers.callbacks import pack, parse, pattern
from bot.handlers.commands import set_chat_commands
from bot.handlers.context import Who, h, services, who
from bot.handlers.router import Flow, show_menu
from bot.handlers.store_views import (
    FIELD_ICONS,
    FIELD_LABELS,
    detail_lines,
    format_hours,
    format_mobile,
    hours_range,
    my_store_text,
)
from bot.i18n import LANGUAGES, N_, translator
from bot.i18n.formatting import format_date
from bot.services import onboarding, users
from bot.services.onboarding import (
    QUESTIONS,
    Command,
    ContactInput,
    Draft,
    Entry,
    Input,
    LocationInput,
    OtherInput,
    Problem,
    Status,
    Step,
    SubmitOutcome,
    TextInput,
)
from bot.validation import (
    CapacityError,
    HoursError,
    PhoneError,
    PinError,
    TextError,
    UpiError,
)

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FLOW = "onboarding"
FEATURE = "onb"

# Reply-keyboard buttons.
BACK = N_("⬅️ Back")
SKIP = N_("Skip ➡️")
KEEP = N_("✔️ Keep the current answer")
SHARE_NUMBER = N_("📱 Share my number")
SEND_LOCATION = N_("📍 Send location")
ALL_DAY = N_("🕛 Open 24 hours")
# Common hours, shown as the shop says them ("सकाळी 9 ते रात्री 9"); the hours parser reads
# the button's text back like anything typed.
HOURS_PRESETS = (("09:00", "21:00"), ("08:00", "22:00"), ("10:00", "20:00"), ("07:00", "23:00"))
CAPACITY_PRESETS = ("10", "20", "50")

QUESTION_TEXT: dict[Step, str] = {
    Step.SHOP_NAME: N_(
        "What is your shop's name, as on the signboard?\n"
        "For example: <i>Sharma Kirana Store</i>"),
    Step.OWNER_NAME: N_(
        "What is the shop owner's full name?\n"
        "For example: <i>Ramesh Sharma</i>"),
    Step.MOBILE: N_(
        "What is the shop's mobile number? Tap <b>{share}</b> below, or type it.\n"
        "For example: <code>98220 12345</code>"),
    Step.ADDRESS: N_(
        "What is the shop's address? Write the shop number, street, area and city.\n"
        "For example: <i>Shop 4, Shivaji Chowk, Kothrud, Pune</i>"),
    Step.PIN_CODE: N_(
        "What is the shop's PIN code?\n"
        "For example: <code>411038</code>"),
    Step.LOCATION: N_(
        "Where is the shop on the map? If you are at the shop now, tap "
        "<b>{location}</b>. You can also send a location with 📎 → Location, "
        "or tap <b>{skip}</b>."),
    Step.HOURS: N_(
        "When is the shop open? Tap a button, or type the hours.\n"
        "For example: <code>9-21</code>, <code>09:00-21:00</code> or <code>9am-9pm</code>"),
    Step.CAPACITY: N_(
        "How many parcels can the shop keep at one time? Tap a button, or type a number "
        "from 1 to 500.\n"
        "For example: <code>20</code>"),
    Step.UPI_ID: N_(
        "What is your UPI id for the monthly payouts? You can also skip this for now.\n"
        "For example: <code>ramesh@okaxis</code>"),
}

# A short reason with an example, for every way an answer can be wrong: by (step, reason),
# and by reason alone for the problems any question can have. (The validation reasons are
# StrEnums whose values repeat across enums, "empty" for one, so they are never keys alone.)
REASONS: dict[object, str] = {
    (Step.SHOP_NAME, TextError.TOO_SHORT): N_(
        "The shop name is too short: use at least 2 characters, "
        "e.g. <i>Sharma Kirana Store</i>."),
    (Step.SHOP_NAME, TextError.TOO_LONG): N_(
        "The shop name is too long: use at most 80 characters, "
        "e.g. <i>Sharma Kirana Store</i>."),
    (Step.OWNER_NAME, TextError.TOO_SHORT): N_(
        "The name is too short: write the full name, e.g. <i>Ramesh Sharma</i>."),
    (Step.OWNER_NAME, TextError.TOO_LONG): N_(
        "The name is too long: use at most 60 characters, e.g. <i>Ramesh Sharma</i>."),
    (Step.OWNER_NAME, TextError.NO_LETTER): N_(
        "A name needs letters, not only digits or signs, e.g. <i>Ramesh Sharma</i>."),
    (Step.ADDRESS, TextError.TOO_SHORT): N_(
        "The address is too short: write the shop number, street, area and city, "
        "e.g. <i>Shop 4, Shivaji Chowk, Kothrud, Pune</i>."),
    (Step.ADDRESS, TextError.TOO_LONG): N_(
        "The address is too long: use at most 200 characters, "
        "e.g. <i>Shop 4, Shivaji Chowk, Kothrud, Pune</i>."),
    (Step.MOBILE, PhoneError.EMPTY): N_(
        "Please send a mobile number, e.g. <code>98220 12345</code>."),
    (Step.MOBILE, PhoneError.NOT_DIGITS): N_(
        "A mobile number has only digits, e.g. <code>98220 12345</code>."),
    (Step.MOBILE, PhoneError.TOO_SHORT): N_(
        "That number is too short: an Indian mobile number has 10 digits, "
        "e.g. <code>98220 12345</code>."),
    (Step.MOBILE, PhoneError.TOO_LONG): N_(
        "That number is too long: an Indian mobile number has 10 digits, "
        "e.g. <code>98220 12345</code>."),
    (Step.MOBILE, PhoneError.NOT_INDIAN): N_(
        "Please give an Indian mobile number (+91), e.g. <code>98220 12345</code>."),
    (Step.MOBILE, PhoneError.NOT_MOBILE): N_(
        "That is not a mobile number: Indian mobile numbers start with 6, 7, 8 or 9, "
        "e.g. <code>98220 12345</code>."),
    (Step.MOBILE, Problem.NOT_OWN_CONTACT): N_(
        "That contact is not your own number. Tap <b>{share}</b> to share yours, "
        "or type the number, e.g. <code>98220 12345</code>."),
    (Step.PIN_CODE, PinError.EMPTY): N_(
        "Please send the 6-digit PIN code, e.g. <code>411038</code>."),
    (Step.PIN_CODE, PinError.NOT_SIX_DIGITS): N_(
        "A PIN code has exactly 6 digits, e.g. <code>411038</code>."),
    (Step.PIN_CODE, PinError.BAD_FIRST_DIGIT): N_(
        "A PIN code does not start with 0, e.g. <code>411038</code>."),
    (Step.LOCATION, Problem.EXPECTED_LOCATION): N_(
        "Please send the shop's location with <b>{location}</b> (or 📎 → Location), "
        "or tap <b>{skip}</b>."),
    (Step.LOCATION, Problem.OUTSIDE_INDIA): N_(
        "That location is outside India. Please send the shop's location again with "
        "<b>{location}</b>, or tap <b>{skip}</b>."),
    (Step.HOURS, HoursError.EMPTY): N_(
        "Please send the opening hours, e.g. <code>9-21</code> or <code>9am-9pm</code>."),
    (Step.HOURS, HoursError.BAD_FORMAT): N_(
        "I could not read those hours. Write the opening and closing time, "
        "e.g. <code>9-21</code>, <code>09:00-21:00</code> or <code>9am-9pm</code>."),
    (Step.HOURS, HoursError.BAD_TIME): N_(
        "That time does not exist: hours go from 0 to 24 and minutes from 00 to 59, "
        "e.g. <code>9:30-21:30</code>."),
    (Step.HOURS, HoursError.SPLIT_SHIFT): N_(
        "I can keep one opening and one closing time a day. Send when the shop opens first "
        "and closes last, e.g. <code>9-21</code>."),
    (Step.HOURS, HoursError.CLOSE_BEFORE_OPEN): N_(
        "The closing time must be after the opening time on the same day, "
        "e.g. <code>9-21</code>. A shop that never closes: tap <b>{all_day}</b>."),
    (Step.CAPACITY, CapacityError.NOT_NUMBER): N_(
        "Please send a whole number of parcels, e.g. <code>20</code>."),
    (Step.CAPACITY, CapacityError.TOO_SMALL): N_(
        "The shop must be able to keep at least 1 parcel, e.g. <code>20</code>."),
    (Step.CAPACITY, CapacityError.TOO_LARGE): N_(
        "That is too many: at most 500 parcels, e.g. <code>50</code>."),
    (Step.UPI_ID, UpiError.EMPTY): N_(
        "Please send your UPI id, e.g. <code>ramesh@okaxis</code>, or tap <b>{skip}</b>."),
    (Step.UPI_ID, UpiError.BAD_FORMAT): N_(
        "That does not look like a UPI id. It has the form name@bank, "
        "e.g. <code>ramesh@okaxis</code>."),
    Problem.EXPECTED_TEXT: N_("Please type your answer as a message."),
    Problem.CANNOT_SKIP: N_("This question cannot be skipped."),
    Problem.NOTHING_TO_KEEP: N_("There is no earlier answer to keep yet."),
    Problem.NO_PREVIOUS: N_("This is the first question."),
    Problem.USE_BUTTONS: N_(
        "Please use the buttons under the summary: ✏️ to change an answer, "
        "or ✅ to submit."),
}


def _button_names(w: Who) -> dict[str, str]:
    """Button labels that questions and reasons name, in the user's language."""
    return {"share": w._(SHARE_NUMBER), "location": w._(SEND_LOCATION), "skip": w._(SKIP),
            "all_day": w._(ALL_DAY)}


def reason_text(w: Who, step: Step, reason: object) -> str:
    message = REASONS.get((step, reason))
    if message is None and isinstance(reason, Problem):
        message = REASONS.get(reason)
    if message is None:  # every reason has a message (tested); never show an internal code
        log.error("no message for reason %r at step %s", reason, step)
        return w._("Please check your answer and try again.")
    return w._(message).format(**_button_names(w))


def _labels(label: str) -> set[str]:
    """A button's text in every language (a keyboard may predate a language change)."""
    return {translator(lang).gettext(label) for lang in LANGUAGES}


def input_of(message: Message) -> Input:
    """What the user sent, as the service understands it."""
    if message.text is not None:
        text = message.text.strip()
        if text in _labels(BACK):
            return Command.BACK
        if text in _labels(SKIP):
            return Command.SKIP
        if text in _labels(KEEP):
            return Command.KEEP
        if text in _labels(ALL_DAY):
            return TextInput("24x7")
        return TextInput(message.text)
    if message.contact is not None:
        return ContactInput(message.contact.phone_number, message.contact.user_id)
    if message.location is not None:
        return LocationInput(message.location.latitude, message.location.longitude)
    return OtherInput()


# --------------------------------------------------------------------------- rendering


def question_keyboard(w: Who, draft: Draft) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    step = Step(draft.step)
    rows: list[list[KeyboardButton | str]] = []
    if step is Step.MOBILE:
        rows.append([KeyboardButton(w._(SHARE_NUMBER), request_contact=True)])
    elif step is Step.LOCATION:
        rows.append([KeyboardButton(w._(SEND_LOCATION), request_location=True)])
        rows.append([w._(SKIP)])
    elif step is Step.HOURS:
        rows.extend([hours_range(w.lang, opens, closes)] for opens, closes in HOURS_PRESETS)
        rows.append([w._(ALL_DAY)])
    elif step is Step.CAPACITY:
        rows.append(list(CAPACITY_PRESETS))
    elif step is Step.UPI_ID:
        rows.append([w._(SKIP)])
    if step in draft.answers:
        rows.append([w._(KEEP)])
    if not draft.editing and step is not QUESTIONS[0]:
        rows.append([w._(BACK)])
    if not rows:
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup(rows, resize_keyboard=True)


def morning_reading(lang: str, hours: dict[str, str]) -> str:
    """The other way to read hours whose close was taken as pm ("8-10" → 8 am – 10 am), said
    with its day periods, so that typing it back is read exactly so."""
    close_hour = int(hours["closes"][:2]) - 12
    return hours_range(lang, hours["opens"], f"{close_hour:02d}{hours['closes'][2:]}")


def current_answer(w: Who, draft: Draft) -> str | None:
    """The answer already given to the draft's question, for the 'keep' choice."""
    step = Step(draft.step)
    if step not in draft.answers:
        return None
    value = draft.answers[step]
    if step is Step.LOCATION:
        return w._("shared ✓") if value else w._("skipped")
    if step is Step.UPI_ID and value is None:
        return w._("skipped")
    if step is Step.HOURS:
        return format_hours(w.t, value["opens"], value["closes"])
    if step is Step.MOBILE:
        return format_mobile(value)
    return h(value)


def question_text(w: Who, draft: Draft) -> str:
    step = Step(draft.step)
    head = w._("<b>Step {number} of {total}</b>").format(
        number=onboarding.step_number(step), total=len(QUESTIONS))
    text = f"{head}\n{w._(QUESTION_TEXT[step]).format(**_button_names(w))}"
    answer = current_answer(w, draft)
    if answer is not None:
        text += "\n\n" + w._("Current answer: {answer}").format(answer=answer)
    return text


def summary_markup(w: Who, draft: Draft) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton("✏️ " + w._(FIELD_LABELS[step]),
                             callback_data=pack(FEATURE, "edit", step.value, draft.revision))
        for step in QUESTIONS
    ]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(w._("✅ Submit application"),
                                      callback_data=pack(FEATURE, "submit", draft.revision))])
    return InlineKeyboardMarkup(rows)


async def show_summary(chat: Chat, w: Who, draft: Draft, prefix: str | None = None) -> None:
    details = onboarding.details_of(draft)
    if details is None:  # cannot be reached through the service; never show a broken summary
        log.error("summary of user %s with unanswered questions", draft.user_id)
        return
    intro = w._("Almost done! Please check your details. Tap ✏️ to change an answer, "
                "or ✅ to submit.")
    # This message also takes the last question's reply keyboard away.
    await chat.send_message(f"{prefix}\n\n{intro}" if prefix else intro,
                            reply_markup=ReplyKeyboardRemove())
    body = "\n".join([w._("<b>Your partner store application</b>"), "",
                      *detail_lines(w.t, details)])
    await chat.send_message(body, reply_markup=summary_markup(w, draft))


async def ask(chat: Chat, w: Who, draft: Draft, prefix: str | None = None) -> None:
    """Show the draft's current question (or the summary), after ``prefix`` if given."""
    if draft.step == Step.SUMMARY:
        await show_summary(chat, w, draft, prefix)
        return
    text = question_text(w, draft)
    await chat.send_message(f"{prefix}\n\n{text}" if prefix else text,
                            reply_markup=question_keyboard(w, draft))


async def offer_resume(chat: Chat, w: Who, draft: Draft, tz: tzinfo) -> None:
    started = format_date(draft.started_at.astimezone(tz), w.lang)
    shop = draft.answers.get(Step.SHOP_NAME)
    if shop:
        text = w._("Welcome back! On {date} you started registering <b>{shop}</b>. "
                   "Continue where you stopped, or start over?").format(date=started, shop=h(shop))
    else:
        text = w._("Welcome back! On {date} you started registering your shop. "
                   "Continue where you stopped, or start over?").format(date=started)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(w._("▶️ Continue"), callback_data=pack(FEATURE, "resume", "go")),
        InlineKeyboardButton(w._("🔄 Start over"), callback_data=pack(FEATURE, "resume", "new")),
    ]])
    await chat.send_message(text, reply_markup=markup)


def intro_text(w: Who) -> str:
    return w.t.ngettext(
        "Let's register your shop as a partner store: {total} short question. "
        "Every answer is saved as you go. ⬅️ Back returns to the previous question, "
        "/cancel stops.",
        "Let's register your shop as a partner store: {total} short questions. "
        "Every answer is saved as you go. ⬅️ Back returns to the previous question, "
        "/cancel stops.", len(QUESTIONS)).format(total=len(QUESTIONS))


# ----------------------------------------------------------------------------- entry


async def begin(update: Update, context: Context, w: Who) -> None:
    """The *run a partner store* button and /register."""
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    result = await onboarding.begin(svc, w.user.user_id)
    store = result.store
    if result.entry is Entry.APPROVED:
        assert store is not None
        await show_menu(update, w, w._(
            "You already run the partner store <b>{shop}</b>, store code <b>{code}</b>."
        ).format(shop=h(store.details.shop_name), code=store.code))
        return
    if result.entry is Entry.PENDING:
        assert store is not None
        await show_menu(update, w, w._(
            "Your application for <b>{shop}</b> is waiting for an admin's decision. "
            "We will message you as soon as it is decided."
        ).format(shop=h(store.details.shop_name)))
        return
    if result.entry is Entry.SUSPENDED:
        assert store is not None
        await show_menu(update, w, w._(
            "Your partner store <b>{shop}</b> ({code}) is suspended. "
            "Please contact the programme team."
        ).format(shop=h(store.details.shop_name), code=store.code))
        return
    draft = result.draft
    assert draft is not None
    await router.start_flow(context, w.user.user_id, FLOW, "draft")
    if result.entry is Entry.STALE:
        await offer_resume(chat, w, draft, svc.settings.tz)
    elif result.entry is Entry.RESUMED:
        await ask(chat, w, draft, w._("Welcome back! Let's continue where you stopped."))
    elif result.entry is Entry.PREFILLED:
        assert store is not None
        await ask(chat, w, draft, w._(
            "Your earlier application was not approved. Reason: {reason}\n"
            "Your answers are filled in: change what is needed, then submit again."
        ).format(reason=h(store.reject_reason or "")))
    else:
        await ask(chat, w, draft, intro_text(w))


async def register_command(update: Update, context: Context) -> None:
    await begin(update, context, await who(update, context))


async def my_store(update: Update, context: Context, w: Who) -> None:
    store = await onboarding.my_store(services(context), w.user.user_id)
    if store is None:
        await show_menu(update, w, w._(
            "You do not run an approved partner store yet. To apply, send /register."))
        return
    await show_menu(update, w, my_store_text(w.t, store))


async def my_store_command(update: Update, context: Context) -> None:
    await my_store(update, context, await who(update, context))


# ------------------------------------------------------------------------------ answers


async def on_input(update: Update, context: Context, w: Who, state: FlowState) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    svc = services(context)
    inp = input_of(message)
    result = await onboarding.handle(svc, w.user.user_id, inp, message_id=message.message_id)
    if result.status is Status.DUPLICATE:
        # Handled again after a kill (the inbox replays what was not marked done): the
        # answer was applied, its reply may never have gone out — ask the current question
        # again. An older message than the last applied one got its reply long ago.
        log.info("user %s: message %s was applied before", w.user.user_id, message.message_id)
        draft = result.draft
        if draft is not None and draft.last_message_id == message.message_id:
            await ask(chat, w, draft)
        return
    if result.status is Status.NO_DRAFT:
        await users.leave_flow(svc, w.user.user_id)
        await show_menu(update, w, w._(
            "Sorry, I did not understand that. Please use the buttons below, or send /help."))
        return
    draft = result.draft
    assert draft is not None
    if result.status is Status.STALE:
        await offer_resume(chat, w, draft, svc.settings.tz)
    elif result.status is Status.INVALID:
        await ask(chat, w, draft, "⚠️ " + reason_text(w, Step(draft.step), result.reason))
    elif result.answered is Step.HOURS and isinstance(inp, TextInput):
        # Typed hours are read by a documented rule ("8-10" is 8 am to 10 pm): show what was
        # kept, so a misreading is seen at once and fixed with ⬅️ Back.
        hours = draft.answers[Step.HOURS]
        said = format_hours(w.t, hours["opens"], hours["closes"])
        if hours.get("read_as_pm"):
            echo = w._("🕘 I read the opening hours as <b>{hours}</b>. Not right? Tap "
                       "<b>{back}</b> and write, for example, <code>{example}</code>.").format(
                hours=said, back=w._(BACK), example=morning_reading(w.lang, hours))
        else:
            echo = f"{FIELD_ICONS[Step.HOURS]} {w._(FIELD_LABELS[Step.HOURS])}: <b>{said}</b>"
        await ask(chat, w, draft, echo)
    else:
        await ask(chat, w, draft)


async def on_cancel(update: Update, context: Context, w: Who, state: FlowState) -> None:
    await onboarding.discard(services(context), w.user.user_id)
    chat = update.effective_chat
    assert chat is not None
    # Takes the question's reply keyboard away; the menu follows from /cancel itself.
    await chat.send_message(w._("Shop registration stopped; its answers are deleted."),
                            reply_markup=ReplyKeyboardRemove())


# ------------------------------------------------------------------------------ buttons


async def _expired(update: Update, w: Who) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(w._("This button has expired."))


async def _drop_buttons(update: Update) -> None:
    """Take the inline buttons off the pressed message (they no longer apply)."""
    query = update.callback_query
    assert query is not None
    if query.message is not None and getattr(query.message, "reply_markup", None):
        await query.edit_message_reply_markup(None)


async def button_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    cb = parse(query.data)
    w = await who(update, context)
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    uid = w.user.user_id
    action = cb.action if cb else ""

    if cb and action == "resume" and cb.arg(0) in ("go", "new"):
        draft = await (onboarding.resume(svc, uid) if cb.arg(0) == "go"
                       else onboarding.start_over(svc, uid))
        if draft is None:
            await _expired(update, w)
            return
        await query.answer()
        await _drop_buttons(update)
        await router.start_flow(context, uid, FLOW, "draft")
        if cb.arg(0) == "go":
            await ask(chat, w, draft, w._("Let's continue where you stopped."))
        else:
            await ask(chat, w, draft, intro_text(w))
        return

    if cb and action == "edit":
        draft = await onboarding.edit(svc, uid, cb.arg(0), cb.int_arg(1))
        if draft is None:
            await _expired(update, w)
            return
        await query.answer()
        await _drop_buttons(update)
        await router.start_flow(context, uid, FLOW, "draft")
        await ask(chat, w, draft)
        return

    if cb and action == "submit":
        result = await onboarding.submit(svc, uid, cb.int_arg(0))
        if result.outcome in (SubmitOutcome.NO_DRAFT, SubmitOutcome.NOT_READY):
            await _expired(update, w)
            return
        await query.answer()
        await _drop_buttons(update)
        await users.leave_flow(svc, uid)
        store = result.store
        assert store is not None
        if result.outcome is SubmitOutcome.HAS_STORE:
            await show_menu(update, w, w._(
                "You already have an application or a store: <b>{shop}</b>. "
                "You cannot send a second application."
            ).format(shop=h(store.details.shop_name)))
            return
        # From now on the menu and commands show the waiting application, not "register".
        profile = await users.profile(svc, uid)
        if profile is not None:
            w = Who(profile, w.t)
            await set_chat_commands(context.bot, profile.chat_id, profile.menu_roles, w.lang)
        await show_menu(update, w, w._(
            "✅ Application sent! An admin will check <b>{shop}</b>, and we will message you "
            "here as soon as it is decided."
        ).format(shop=h(store.details.shop_name)))  # the admins' cards are in the outbox
        return

    await _expired(update, w)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("register", register_command, filters=private))
    app.add_handler(CommandHandler("mystore", my_store_command, filters=private))
    app.add_handler(CallbackQueryHandler(button_pressed, pattern=pattern(FEATURE)))


router.register_flow(Flow(FLOW, on_input=on_input, on_cancel=on_cancel))
start.MENU_ACTIONS.update({"store": begin, "mystore": my_store})
