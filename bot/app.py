"""build_application(settings) -> a wired python-telegram-bot Application.

Order matters: PTB runs the first matching handler of a group, so commands and feature
buttons come first, then the catch-alls (unknown command, free text, stale buttons).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import Settings
from bot.handlers import (
    admin_stats,
    applications,
    broadcast,
    customer,
    deliveries,
    earnings,
    errors,
    manifest_upload,
    onboarding,
    parcel_admin,
    payouts,
    pickup,
    receive,
    returns,
    router,
    scan,
    show_qr,
    start,
    stores_admin,
)
from bot.handlers.bot_profile import set_descriptions
from bot.handlers.callbacks import pattern
from bot.handlers.commands import set_default_commands
from bot.handlers.context import SERVICES_KEY
from bot.inbox.replies import ReplyingRateLimiter
from bot.jobs import holding_sweep
from bot.ops.update_log import LoggingApplication, instrument_handlers
from bot.outbox.sender import EXTRAS_KEY as OUTBOX_KEY
from bot.outbox.sender import OutboxSender
from bot.outbox.sender import get_sender as get_outbox_sender
from bot.services.context import Services
from bot.storage import users as users_repo
from bot.storage.db import Database
from bot.telegram_request import AiohttpRequest

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE

# Feature handler modules, each with ``register(app)``; added before the catch-alls. A module
# may also define ``async def on_startup(app)`` (run after the database is open, e.g. to
# schedule jobs or resume work) and ``async def on_shutdown(app)``.
FEATURES: list = [
    onboarding,
    applications,
    receive,
    scan,  # before manifest_upload: a picture sent as a file may be a label to scan
    customer,
    show_qr,
    manifest_upload,
    parcel_admin,
    pickup,
    earnings,
    returns,
    broadcast,
    admin_stats,
    stores_admin,
    payouts,
    holding_sweep,
    deliveries,
]


def register_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", start.start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", start.help_command, filters=PRIVATE))
    app.add_handler(CommandHandler("language", start.language_command, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", start.cancel_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(start.language_chosen, pattern=pattern("lang")))
    app.add_handler(CallbackQueryHandler(start.menu_pressed, pattern=pattern("menu")))
    for feature in FEATURES:
        feature.register(app)

    # Catch-alls last.
    new_messages = filters.UpdateType.MESSAGE & PRIVATE
    app.add_handler(MessageHandler(new_messages & filters.COMMAND, router.unknown_command))
    app.add_handler(MessageHandler(new_messages & ~filters.COMMAND, router.route_message))
    app.add_handler(CallbackQueryHandler(router.stale_button))
    app.add_error_handler(errors.on_error)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
) -> Application:
    """The whole bot, ready for ``run_polling`` (or ``initialize`` + ``process_update``)."""
    the_clock = clock or (
        OffsetClock(timedelta(seconds=settings.clock_offset_seconds))
        if settings.clock_offset_seconds else SystemClock())

    async def post_init(app: Application) -> None:
        db = await Database.open(settings.db_path)
        svc = app.bot_data[SERVICES_KEY] = Services(settings=settings, db=db, clock=the_clock)
        limiter = app.bot.rate_limiter
        if isinstance(limiter, ReplyingRateLimiter):

            async def record(chat_id: int, text: str, error: str) -> None:
                await users_repo.record_undelivered(svc.db, chat_id, text, error, svc.clock.now())

            limiter.record = record
        # The outbox sender first: features may enqueue messages at start-up.
        sender = OutboxSender(app.bot, svc, concurrency=settings.outbox_concurrency,
                              max_attempts=settings.outbox_max_attempts)
        svc.extras[OUTBOX_KEY] = sender
        await sender.start()
        await set_default_commands(app.bot)
        await set_descriptions(app.bot)
        for feature in FEATURES:
            if hasattr(feature, "on_startup"):
                await feature.on_startup(app)
        log.info("bot @%s ready; database %s", app.bot.username, settings.db_path)

    async def post_shutdown(app: Application) -> None:
        for feature in reversed(FEATURES):
            if hasattr(feature, "on_shutdown"):
                await feature.on_shutdown(app)
        svc: Services | None = app.bot_data.pop(SERVICES_KEY, None)
        if svc is not None:
            sender = get_outbox_sender(svc)
            if sender is not None:
                await sender.close()
            await svc.db.close()

    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url or "")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .rate_limiter(ReplyingRateLimiter(
            settings.rate_global_per_second, settings.rate_per_chat_seconds,
            retry_seconds=settings.reply_retry_seconds))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .application_class(LoggingApplication)
    )
    # The bot's HTTP transport (bot/telegram_request.py): PTB's default one costs about seven
    # times the CPU per request, which at 1,000 messages a second is more than a core.
    builder = builder.request(request or AiohttpRequest(256))
    builder = builder.get_updates_request(get_updates_request or AiohttpRequest(1))
    app = builder.build()
    register_handlers(app)
    instrument_handlers(app)
    return app
