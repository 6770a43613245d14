"""Helpers for translators.

  python scripts/translations.py missing hi          # untranslated msgids of hi, as JSON
  python scripts/translations.py apply hi FILE.json  # {"msgid": "translation", ...} into hi's .po

A plural entry (ngettext) is listed and applied by its singular msgid, with a list of forms:
{"{count} person blocked the bot.": ["... form for 1 ...", "... form for many ..."]}.

Run `make i18n` first so the catalogs carry every new string.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parents[1] / "locales"


def _po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _untranslated(string: str | tuple[str, ...]) -> bool:
    return not all(string) if isinstance(string, tuple) else not string


def missing(lang: str) -> list[str]:
    with _po_path(lang).open("rb") as fh:
        catalog = read_po(fh)
    return [_key(m.id) for m in catalog if m.id and _untranslated(m.string)]


def apply(lang: str, mapping: dict[str, str | list[str]]) -> int:
    path = _po_path(lang)
    with path.open("rb") as fh:
        catalog = read_po(fh)
    done = 0
    for message in catalog:
        if message.id and _key(message.id) in mapping:
            value = mapping[_key(message.id)]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
            done += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_by_file=True, include_lineno=False)
    return done


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "missing":
        print(json.dumps(missing(argv[1]), ensure_ascii=False, indent=1))
        return 0
    if len(argv) == 3 and argv[0] == "apply":
        mapping = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        print(f"{apply(argv[1], mapping)} entries written to {_po_path(argv[1])}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
