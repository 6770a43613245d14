"""The catalogs are complete, consistent and current: a missing or broken translation fails here."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, languages_for, normalize_language, translator

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*(?:![rs])?(?::[^{}]*)?\}")
TAG = re.compile(r"</?([a-z\-]+)[^>]*>")


def _catalog(lang: str):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _messages(lang: str) -> dict[str, str | tuple[str, ...]]:
    """msgid (the singular, for plural entries) -> translation (a tuple of forms for plurals)."""
    return {_key(m.id): m.string for m in _catalog(lang) if m.id}


def _pairs(lang: str) -> list[tuple[str, str]]:
    """(English source, translation) for every form; plural forms are compared with the plural."""
    pairs = []
    for m in _catalog(lang):
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            pairs += [(m.id[1], form) for form in m.string]
        else:
            pairs.append((m.id, m.string))
    return pairs


def _extract_current() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_every_message_is_translated(lang: str) -> None:
    catalog = _catalog(lang)
    missing = [m.id for m in catalog if m.id and (
        not all(m.string) if isinstance(m.string, tuple) else not m.string)]
    fuzzy = [m.id for m in catalog if m.id and "fuzzy" in m.flags]
    assert not missing, f"{lang}: untranslated: {missing}"
    assert not fuzzy, f"{lang}: fuzzy (needs review): {fuzzy}"


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_placeholders_and_tags_match(lang: str) -> None:
    for msgid, msgstr in _pairs(lang):
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (
            f"{lang}: placeholders differ in {msgid!r} -> {msgstr!r}")
        assert sorted(TAG.findall(msgid)) == sorted(TAG.findall(msgstr)), (
            f"{lang}: HTML tags differ in {msgid!r} -> {msgstr!r}")
        assert msgid.count("\n") == 0 or msgstr.count("\n") > 0, (
            f"{lang}: line breaks lost in {msgid!r}")


def test_marathi_is_not_hindi() -> None:
    hi, mr = _messages("hi"), _messages("mr")
    devanagari_word = re.compile(r"[\u0900-\u097F]+")
    same = [m for m in hi
            if len(devanagari_word.findall(str(hi[m]))) >= 3 and hi[m] == mr.get(m)]
    assert not same, f"Marathi copies Hindi for: {same}"


def test_catalogs_are_current_with_the_code() -> None:
    in_code = _extract_current()
    for lang in LANGUAGES:
        in_po = set(_messages(lang))
        assert in_code <= in_po, f"{lang}: run `make i18n`; missing {sorted(in_code - in_po)}"
        assert in_po <= in_code, f"{lang}: obsolete entries {sorted(in_po - in_code)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogs_match_the_sources(lang: str) -> None:
    mo_path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run `make compile`"
    fresh = io.BytesIO()
    write_mo(fresh, _catalog(lang))
    fresh.seek(0)
    with mo_path.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    expected = gettext.GNUTranslations(fresh)._catalog
    # The header ("" entry) names the Babel that compiled it; users never see it.
    compiled.pop("", None)
    expected.pop("", None)
    assert compiled == expected, f"{mo_path} is stale: run `make compile`"


def test_translators_speak_their_language() -> None:
    assert translator("en").gettext("Please choose your language.") == (
        "Please choose your language.")
    assert translator("hi").gettext("Please choose your language.") == "कृपया अपनी भाषा चुनें।"
    assert translator("mr").gettext("Please choose your language.") == "कृपया तुमची भाषा निवडा."
    assert translator("fr").lang == "en"


def test_language_codes() -> None:
    assert normalize_language("mr-IN") == "mr"
    assert normalize_language("hi") == "hi"
    assert normalize_language("de") == "en"
    assert normalize_language(None) == "en"
    assert languages_for("mr") == ["mr", "en", "hi"]
    assert languages_for("hi-IN") == ["hi", "en", "mr"]
    assert languages_for(None) == ["en", "hi", "mr"]


def test_marathi_uses_marathi_grammar_words() -> None:
    """Hindi function words (है, करें, आपका, नहीं…) have no place in a Marathi sentence."""
    hindi_only = re.compile(
        r"(?<![\u0900-\u097F])(है|हैं|करें|आपका|आपके|आपकी|नहीं|गया|गई|और|में)(?![\u0900-\u097F])")
    offenders = [t for _, t in _pairs("mr") if hindi_only.search(t)]
    assert not offenders, f"Hindi words in Marathi: {offenders}"


def test_counts_take_the_right_plural_form() -> None:
    one, many = "{count} person blocked the bot.", "{count} people blocked the bot."
    mr = translator("mr")
    assert mr.ngettext(one, many, 1).format(count=1) == "1 जणाने बॉट ब्लॉक केला आहे."
    assert mr.ngettext(one, many, 3).format(count=3) == "3 जणांनी बॉट ब्लॉक केला आहे."
    assert translator("hi").ngettext(one, many, 1).format(count=1) == (
        "1 व्यक्ति ने बॉट को ब्लॉक किया है।")
    assert translator("en").ngettext(one, many, 2).format(count=2) == "2 people blocked the bot."
