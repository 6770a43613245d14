"""Moved: the Bot API emulator is now ``bot.playground.botapi`` (it also serves the playground).

This alias keeps ``from tests.fakebotapi import FakeBotAPI``, ``from tests.fakebotapi.core
import ...`` and ``python -m tests.fakebotapi`` working; new code imports
``bot.playground.botapi``.
"""

import sys

from bot.playground.botapi import *  # noqa: F403
from bot.playground.botapi import (
    __all__,  # noqa: F401
    control,
    core,
    entities,
    http,
    request,
)

for _module in (control, core, entities, http, request):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
