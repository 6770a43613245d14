"""What Telegram shows before anyone writes: "What can this bot do?" and the profile line.

``setMyDescription`` / ``setMyShortDescription`` per language (default English, ``hi``,
``mr``), set at every start-up so a change of wording reaches Telegram with the release.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translator

log = logging.getLogger(__name__)

# Telegram's limits: 512 characters for the description, 120 for the short one.
DESCRIPTION = N_(
    "Kirana Partner: collect your parcels at a neighbourhood shop. When your parcel arrives, "
    "I send you the shop's address, its opening hours and a pickup code to say at the counter. "
    "Shopkeepers: register your shop, record the parcels the courier brings and hand them "
    "over to customers. Press Start.")
SHORT_DESCRIPTION = N_(
    "Collect your parcels at a neighbourhood shop with a pickup code. Shops: become a partner "
    "store.")


async def set_descriptions(bot: Bot) -> None:
    """Set both texts in every language; a failure is logged, never stops the bot."""
    for lang in LANGUAGES:
        _ = translator(lang).gettext
        code = None if lang == DEFAULT_LANGUAGE else lang
        try:
            await bot.set_my_description(_(DESCRIPTION), language_code=code)
            await bot.set_my_short_description(_(SHORT_DESCRIPTION), language_code=code)
        except TelegramError as exc:  # a profile text is a convenience, not a reason to stop
            log.warning("could not set the bot's description (%s): %s", lang, exc)
