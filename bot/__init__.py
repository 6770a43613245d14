"""Kirana Partner Bot."""

import os

# Opt in to PTB's coming behaviour now: time periods such as RetryAfter.retry_after are
# timedelta objects (our code reads them through bot.ratelimit.retry_seconds), and PTB stops
# warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
