"""Translations: one gettext domain (``messages``), catalogs under ``locales/``.

Handlers get a :class:`Translator` for the user's language and call ``_("...")`` on it, so
Babel's extractor finds every user-visible string. Strings defined at import time (button
labels, command descriptions) are marked with :func:`N_` and translated when shown.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "messages"
LANGUAGES: tuple[str, ...] = ("en", "hi", "mr")
DEFAULT_LANGUAGE = "en"
# Each language's own name, shown on the language buttons.
LANGUAGE_NAMES = {"en": "English", "hi": "हिंदी", "mr": "मराठी"}

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


class Translator:
    """gettext for one language, plus the language code for Babel formatting."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._t = translations

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    __call__ = gettext


@cache
def translator(lang: str | None) -> Translator:
    lang = normalize_language(lang)
    translations = gettext.translation(
        DOMAIN, localedir=str(LOCALES_DIR), languages=[lang], fallback=True
    )
    if lang != DEFAULT_LANGUAGE and not isinstance(translations, gettext.GNUTranslations):
        raise RuntimeError(
            f"compiled catalog for {lang!r} not found under {LOCALES_DIR}; run `make compile`"
        )
    return Translator(lang, translations)


def normalize_language(code: str | None) -> str:
    """Map a stored or Telegram language code (``hi``, ``mr-IN``, ``en-GB``) to ours."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def languages_for(tg_language: str | None) -> list[str]:
    """Our languages with the one matching Telegram's ``language_code`` first."""
    first = normalize_language(tg_language)
    return [first] + [lang for lang in LANGUAGES if lang != first]
