"""Fonts for charts, shipped with the package so no system font is needed (tests, Docker).

Both are Noto (``bot/assets/fonts/``, SIL OFL 1.1, licence beside them):

* Devanagari: Noto Sans Devanagari (it also has digits and punctuation, but no Latin letters);
* Latin: Noto Sans, for English labels, the digits of the axes and the day labels.

Text is drawn run by run: characters of the Devanagari Unicode blocks (and the joiners ZWJ/ZWNJ
between them) with the Devanagari font, everything else with Noto Sans. Tests read both fonts'
cmaps (fontTools, a dev dependency) and assert that every label in every language has a glyph.

Shaping: Pillow's Raqm layout (HarfBuzz, included in Pillow's wheels) shapes Devanagari as a
reader expects: conjuncts such as ``र्स`` in पार्सल, the pre-base vowel sign ``ि``.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"
DEVANAGARI = FONT_DIR / "NotoSansDevanagari-Regular.ttf"
LATIN = FONT_DIR / "NotoSans-Regular.ttf"

# Devanagari, Devanagari Extended, Vedic Extensions; ZWNJ and ZWJ shape the letters around them.
_DEVANAGARI_RANGES = ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF), (0x200C, 0x200D))


def is_devanagari(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _DEVANAGARI_RANGES)


def runs(text: str) -> list[tuple[Path, str]]:
    """``text`` cut into (font, piece) runs: Devanagari letters with the Devanagari font."""
    out: list[tuple[Path, str]] = []
    for ch in text:
        font = DEVANAGARI if is_devanagari(ch) else LATIN
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + ch)
        else:
            out.append((font, ch))
    return out


@cache
def shaping_available() -> bool:
    ok = bool(features.check("raqm"))
    if not ok:
        log.warning("Pillow has no Raqm layout here (libfribidi missing?): Devanagari chart "
                    "labels are drawn unshaped")
    return ok


@cache
def pil_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if shaping_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)
