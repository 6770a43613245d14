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


# ----------------------------------------------------------------------------- counts
# A placeholder holding a count is named for what it counts. Bounds that are never 1
# ({limit}, {length}, {size}: "at most 300 characters") and ordinals ({n}., {number}) are not
# counts. A count is either a label ("Loaded: 5", "places in use: 1/20") or goes through
# ngettext: in a singular message, no language may put a word after a count
# ("{count} rows", "{total} जणांना", "{days} दिवसांपासून").
COUNTS = ("count", "total", "rows", "held", "free", "capacity", "days", "shown", "left",
          "sent", "failed", "blocked", "told", "minutes")
_COUNT_THEN_WORD = re.compile(
    r"\{(" + "|".join(COUNTS) + r")\}\s*(?!more\s*$)[A-Za-z\u0900-\u0963\u0970-\u097F]")
# "{held} of {capacity}", "{capacity} में से {free}", "{capacity} पैकी {free}" join two counts.
_COUNT_JOINER = re.compile(r"\}\s+(?:of|में से|पैकी)\s+\{")


def _word_after_count(text: str) -> bool:
    return bool(_COUNT_THEN_WORD.search(_COUNT_JOINER.sub("}/{", text)))


def test_every_counted_message_uses_ngettext() -> None:
    offenders = []
    for lang in LANGUAGES:
        for m in _catalog(lang):
            if not m.id or isinstance(m.id, tuple):
                continue
            for text in (m.id, m.string):
                if text and _word_after_count(text):
                    offenders.append((lang, text))
    assert not offenders, f"a count followed by a word needs ngettext (or a label): {offenders}"


# Plural-only words: one of these right after the number 1 reads "1 rows", "1 जणांना".
PLURAL_WORDS = {
    "en": r"people|persons|rows|recipients|readers|parcels|days|minutes|places|codes|ids"
          r"|characters|applications|notices|customers|stores|messages|these",
    "hi": r"लोगों|व्यक्तियों|जगहें|पंक्तियाँ|पंक्तियों|दिनों|मिनटों|अक्षरों|सूचनाएँ|ग्राहकों"
          r"|पार्सलों|प्राप्तकर्ताओं|गलतियाँ|इन्हें|उन्हें",
    "mr": r"जणांना|जणांनी|जणांचे|दिवसांपासून|दिवसांनी|दिवसांत|भरलेल्या|मिनिटांत|मिनिटांसाठी"
          r"|मिनिटे|अक्षरे|ओळी|ग्राहकांना|ग्राहकांनी|प्राप्तकर्ते|चुका|त्या",
}


def _render(text: str, n: int) -> str:
    """Fill every placeholder: counts with ``n``, anything else with a neutral token."""
    return PLACEHOLDER.sub(
        lambda m: str(n) if m.group(0).strip("{}").split("!")[0].split(":")[0] in COUNTS
        else "X", text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_counted_messages_read_right_at_0_1_2_5(lang: str) -> None:
    t = translator(lang)
    after_one = re.compile(
        r"(?<![\d/])1 (?:\S+ ){0,2}?(?:" + PLURAL_WORDS[lang] + r")(?![\u0900-\u097F\w])")
    bad = []
    for m in _catalog("en"):
        if not m.id:
            continue
        for n in (0, 1, 2, 5):
            if isinstance(m.id, tuple):
                text = _render(t.ngettext(m.id[0], m.id[1], n), n)
            elif any(f"{{{c}}}" in m.id for c in COUNTS):
                text = _render(t.gettext(m.id), n)
            else:
                continue
            assert "{" not in text.replace("{}", ""), text
            if n == 1 and after_one.search(text):
                bad.append(text)
    assert not bad, f"{lang}: a plural word after 1: {bad}"


def test_zero_days_is_arrived_today() -> None:
    from bot.handlers.pickup import waited_text

    for lang, today, one, many in [
        ("en", "Arrived at your shop today", "At your shop for 1 day", "At your shop for 5 days"),
        ("hi", "आज ही आपकी दुकान पर आया", "आपकी दुकान पर 1 दिन से", "आपकी दुकान पर 5 दिन से"),
        ("mr", "आजच तुमच्या दुकानात आले", "तुमच्या दुकानात 1 दिवसापासून",
         "तुमच्या दुकानात 5 दिवसांपासून"),
    ]:
        t = translator(lang)
        assert [waited_text(t, d) for d in (0, 1, 5)] == [today, one, many]


# ------------------------------------------------------------------ Marathi agreement
# With तुम्ही an intransitive past takes -त: "थांबला होतात", "आला आहात", never "थांबला होता"
# or "तुम्ही नव्हता" (third person singular). Transitive pasts agree with the object and stay
# ("तुम्ही नोंदणी सुरू केली होती").
_SECOND_PERSON = re.compile(r"तुम्ही|तुम्हाला|तुमच|स्वागत|करूया")
_THIRD_SINGULAR_PAST = re.compile(
    r"(?<![\u0900-\u097F])(?:थांबला|थांबली|आला|आली|बसला|बसली|राहिला|राहिली"
    r"|पोहोचला|पोहोचली|नव्हता|नव्हती)(?: होता| होती)?(?![\u0900-\u097F])(?! (?:आहात|होतात))")


def test_marathi_verbs_agree_with_tumhi() -> None:
    offenders = [t for _, t in _pairs("mr")
                 if _SECOND_PERSON.search(t) and _THIRD_SINGULAR_PAST.search(t)]
    assert not offenders, f"third person singular past with तुम्ही: {offenders}"


# ---------------------------------------------------------------------- glossary words
# One word for "message" and one for "save" per language, and the counter's words, not the
# office's (locales/GLOSSARY.md).
NOT_AT_THE_COUNTER = {
    "hi": r"संदेश|टेक्स्ट|निलंबित",
    "mr": r"संदेश|मजकूर|टेक्स्ट|जतन|सुपूर्द|निलंबित|प्रणाली|अर्धविराम|स्वल्पविराम|बिघाड",
}


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_glossary_words_only(lang: str) -> None:
    word = re.compile(NOT_AT_THE_COUNTER[lang])
    offenders = [t for _, t in _pairs(lang) if word.search(t)]
    assert not offenders, f"{lang}: use the glossary's everyday word in: {offenders}"
