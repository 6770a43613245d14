"""``python -m tests.fakebotapi`` = ``python -m bot.playground.botapi`` (kept for old notes)."""

from bot.playground.botapi.__main__ import main

if __name__ == "__main__":
    main()
