"""Ten messages per language, before and after the "speak like the shop counter" review.

  python scripts/language_review.py                 # markdown to stdout
  python scripts/language_review.py --before REF    # compare with another commit

"Before" is rendered with the catalogs *and* the date/time formatting of commit ``REF``
(default: the commit before the review, 096ec4a), "after" with the working tree. The output
is kept in docs/language-review.md.
"""

from __future__ import annotations

import argparse
import gettext
import io
import re
import subprocess
import sys
import types
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.handlers.pickup import waited_text  # noqa: E402
from bot.i18n import Translator, translator  # noqa: E402
from bot.i18n import formatting as after_fmt  # noqa: E402

BEFORE = "096ec4a"
LANGS = ("en", "hi", "mr")
LAST_DAY = date(2026, 11, 9)
HANDED = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)  # 6:30 pm in Kolkata


def _git_show(ref: str, path: str) -> bytes:
    return subprocess.run(["git", "show", f"{ref}:{path}"], cwd=ROOT, check=True,
                          capture_output=True).stdout


def _before_translator(ref: str, lang: str) -> Translator:
    catalog = read_po(io.BytesIO(_git_show(ref, f"locales/{lang}/LC_MESSAGES/messages.po")))
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translator(lang, gettext.GNUTranslations(mo))


def _before_formatting(ref: str) -> types.ModuleType:
    module = types.ModuleType("formatting_before")
    exec(compile(_git_show(ref, "bot/i18n/formatting.py"), "formatting_before", "exec"),
         module.__dict__)
    return module


# (what it shows, before(t, fmt), after(t)): each renders one message as a user reads it.
Scene = tuple[str, Callable[[Translator, types.ModuleType], str], Callable[[Translator], str]]

SCENES: list[Scene] = [
    ("last day to collect",
     lambda t, f: t.gettext("📅 Last day to collect: <b>{date}</b>").format(
         date=f.format_date(LAST_DAY, t.lang)),
     lambda t: t.gettext("📅 Last day to collect: <b>{date}</b>").format(
         date=after_fmt.format_weekday_date(LAST_DAY, t.lang))),
    ("time on the customer's receipt",
     lambda t, f: t.gettext("Time: {time}").format(time=f.format_datetime(HANDED, t.lang)),
     lambda t: t.gettext("Time: {time}").format(time=after_fmt.format_datetime(HANDED, t.lang))),
    ("opening hours in the arrival notice",
     lambda t, f: t.gettext("🏪 <b>{store}</b>\n{address}, {pin}\n🕘 Opening hours: {hours}")
     .format(store="Sharma Kirana", address="दुकान ४, शिवाजी चौक", pin="411038",
             hours="09:00–21:00").split("\n")[-1],
     lambda t: t.gettext("🏪 <b>{store}</b>\n{address}, {pin}\n🕘 Opening hours: {hours}")
     .format(store="Sharma Kirana", address="दुकान ४, शिवाजी चौक", pin="411038",
             hours=after_fmt.format_hours(time(9), time(21), t.lang)).split("\n")[-1]),
    ("a manifest of 1 row",
     lambda t, f: t.gettext("📄 Manifest <b>{file}</b>: {rows} rows").format(
         file="nov.csv", rows=1),
     lambda t: t.ngettext("📄 Manifest <b>{file}</b>: {rows} row",
                          "📄 Manifest <b>{file}</b>: {rows} rows", 1).format(
         file="nov.csv", rows=1)),
    ("a shelf of 1 place, full",
     lambda t, f: t.gettext("📋 <b>{store}</b>: {held} of {capacity} places in use.").format(
         store="Sharma Kirana", held=1, capacity=1),
     lambda t: t.gettext("📋 <b>{store}</b> — places in use: {held}/{capacity}.").format(
         store="Sharma Kirana", held=1, capacity=1)),
    ("a parcel that arrived today, on the handover screen",
     lambda t, f: t.gettext("Days at your shop: {days}").format(days=0),
     lambda t: waited_text(t, 0)),
    ("another parcel waiting 1 day",
     lambda t, f: t.gettext("• {tracking} (days at your shop: {days})").format(
         tracking="••••07IN", days=1),
     lambda t: f"• ••••07IN ({waited_text(t, 1, short=True)})"),
    ("broadcast button for 1 recipient",
     lambda t, f: t.gettext("✅ Send to {total}").format(total=1),
     lambda t: t.ngettext("✅ Send to {total} person", "✅ Send to {total} people", 1).format(
         total=1)),
]

ON_ITS_WAY = "🚚 <b>{tracking}</b> — on its way to {store}. I will tell you when it arrives."
SUSPENDED = ("Your partner store <b>{shop}</b> ({code}) is suspended. Please contact the "
             "programme team.")
ONLY_FIRST = ("Only the first {limit} ids were read. Send the other {count} in another "
              "message.")


def _same(msgid: str, **kw: object) -> tuple[Callable, Callable]:
    """A message whose msgid did not change: only its translation did."""
    return (lambda t, f: t.gettext(msgid).format(**kw), lambda t: t.gettext(msgid).format(**kw))


# Two more per language, where that language changed most.
EXTRA: dict[str, list[Scene]] = {
    "en": [
        ("/myparcels buttons, side by side on a phone",
         lambda t, f: t.gettext("🔑 New code · {tracking}").format(tracking="SF1234567890123IN")
         + " | " + t.gettext("⏳ +3 days · {tracking}").format(tracking="SF1234567890123IN"),
         lambda t: t.gettext("🔑 New code · {tracking}").format(tracking="…23IN")
         + " | " + t.gettext("⏳ +3 days · {tracking}").format(tracking="…23IN")),
        ("1 id over the limit",
         lambda t, f: t.gettext(ONLY_FIRST).format(limit=50, count=1),
         lambda t: t.ngettext(
             "Only the first {limit} ids were read. Send the other {count} id in another "
             "message.",
             "Only the first {limit} ids were read. Send the other {count} ids in another "
             "message.", 1).format(limit=50, count=1)),
    ],
    "hi": [
        ("a parcel on its way", *_same(ON_ITS_WAY, tracking="TRK10000001",
                                       store="Sharma Kirana")),
        ("a suspended store", *_same(SUSPENDED, shop="Sharma Kirana", code="KS-0001")),
    ],
    "mr": [
        ("welcome back in the middle of registration",
         *_same("Welcome back! Let's continue where you stopped.")),
        ("the handover button and the customer's receipt",
         lambda t, f: t.gettext("✅ Handed over") + " · " + t.gettext(
             "Not you? Tell us with the button below."),
         lambda t: t.gettext("✅ Handed over") + " · " + t.gettext(
             "Not you? Tell us with the button below.")),
    ],
}


def _plain(text: str) -> str:
    return re.sub(r"</?[a-z]+>", "", text).replace("\n", " ").replace("|", "\\|")


def render(before_ref: str) -> str:
    fmt = _before_formatting(before_ref)
    out = [
        "# Language review: 10 messages per language, before and after",
        "",
        f"Generated by `python scripts/language_review.py` (before: commit `{before_ref}`, "
        "after: this tree).",
        "Each row is one message as the user reads it (HTML tags left out).",
        "",
        "What changed, by class (each row below stands for others like it):",
        "",
        "- **Counts**: every message with a count goes through `ngettext` or reads as a label",
        "  (`भरलेली जागा: 1/20`); 0 days waited reads \"arrived today\". `tests/unit/test_i18n.py`",
        "  refuses a word after a count in a plain message and renders every counted message at",
        "  0, 1, 2 and 5 in each language, failing on a plural word after 1.",
        "- **Marathi with तुम्ही**: intransitive pasts agree (`थांबला होतात`), or the sentence is",
        "  said another way; a test refuses third-person singular past forms with तुम्ही.",
        "- **Counter words**: one word for message (मैसेज / मेसेज) and save (सेव / सेव्ह); Marathi",
        "  handover is `पार्सल दिले`, not सुपूर्द; no निलंबित, प्रणाली, अर्धविराम, बिघाड (tested).",
        "- **Dates and times** are the product's own formats (`bot/i18n/formatting.py`):",
        "  `d MMMM y`,",
        "  the weekday on the last day, day periods in Hindi and Marathi, English `6:30 pm` in one",
        "  casing with any Babel release; opening hours as the shop says them.",
        "- **Input** (not shown here, see `tests/unit/test_natural_input.py`): natural hours in",
        "  three languages with a documented pm rule that is shown back, labels and units around",
        "  values, addresses kept as typed.",
    ]
    for lang in LANGS:
        before_t, after_t = _before_translator(before_ref, lang), translator(lang)
        out += ["", f"## {lang}", "", "| # | message | before | after |", "|---|---|---|---|"]
        for number, (what, before, after) in enumerate(SCENES + EXTRA[lang], start=1):
            out.append(f"| {number} | {what} | {_plain(before(before_t, fmt))} | "
                       f"{_plain(after(after_t))} |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="commit to compare with")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.before))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
