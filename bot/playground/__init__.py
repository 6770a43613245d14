"""The playground: the real bot against a built-in Bot API, with a chat page in the browser.

* :mod:`bot.playground.botapi` — the Telegram Bot API emulator (also used by the tests).
* :mod:`bot.playground.web` — the chat page and its JSON endpoints, served with the emulator.
* :mod:`bot.playground.runner` — ``kirana-bot playground``: start both, then the bot.
"""
