"""Log lines to stderr, plain or JSON (``KIRANA_LOG_FORMAT``), with secrets scrubbed.

Every record passes :class:`Redact` before it is formatted: the bot token becomes
``<bot-token>`` and a phone number in international form keeps only its last four digits
(``+91******3210``), in the message and in a traceback alike. Pickup codes are kept out of the
logs at the source: no log line carries a message text (PTB's DEBUG logs of updates and
requests stay at INFO, below), and the line per handled update (``bot/ops/update_log.py``)
names only ids, the handler and the outcome.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("plain", "json")
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# "+919876543210", "+91 98765 43210" is not matched on purpose: numbers are stored and logged
# only in the E.164 form.
_PHONE = re.compile(r"(?<![\w+])\+(\d{6,11})(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda m: "+" + "*" * len(m.group(1)) + m.group(2), text)


class Redact(logging.Filter):
    """Scrubs the token and phone numbers from a record's message and traceback."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def _clean(self, text: str) -> str:
        if self._token and self._token in text:
            text = text.replace(self._token, "<bot-token>")
        return mask_phones(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters use exc_text when exc_info is gone: the plain one and the JSON one.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


RedactToken = Redact  # the earlier name


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        # One JSON object per line: time, level, logger, message, and any ``extra`` fields
        # (the update lines carry update_id, user_id, handler, outcome, duration_ms).
        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
            json_ensure_ascii=False,
        )
    return logging.Formatter(PLAIN)


def configure(level: str, token: str = "", fmt: str = "plain") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(Redact(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL carries the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, PTB logs every request, answer and incoming update in full, message texts
    # included: pickup codes must never reach a log, so these stay at INFO or above.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
