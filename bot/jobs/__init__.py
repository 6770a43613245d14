"""Background work that talks to Telegram on its own (not in reply to an update)."""
