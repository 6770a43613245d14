"""Moved: the Bot API emulator is now ``bot.playground.botapi`` (it also serves the playground).

This alias keeps ``from tests.fakebotapi import FakeBotAPI`` and ``python -m tests.fakebotapi``
working; new code imports ``bot.playground.botapi``.
"""

from bot.playground.botapi import *  # noqa: F403
from bot.playground.botapi import __all__  # noqa: F401
