"""Fonts for charts, shipped with the package so no system font is needed (tests, Docker).

* Devanagari: Noto Sans Devanagari (``bot/assets/fonts/``, SIL OFL 1.1, licence beside it).
* Latin: DejaVu Sans, which matplotlib ships.

Text is drawn run by run: each character with the Devanagari font when that font has a glyph
for it, otherwise with DejaVu. :func:`missing` names the characters neither font covers (they
would show as empty boxes); tests assert it is empty for every label in every language.

Shaping: matplotlib lays text out glyph by glyph without OpenType shaping, so Devanagari
conjuncts (``र्स`` in पार्सल) and the pre-base vowel sign ``ि`` come out wrong. Labels are
therefore drawn with Pillow using its Raqm layout (HarfBuzz, included in Pillow's wheels),
which shapes them as a reader expects; matplotlib draws only the bars, grid and digits.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from PIL import ImageFont, features

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"
DEVANAGARI = FONT_DIR / "NotoSansDevanagari-Regular.ttf"
LATIN = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@cache
def coverage(path: Path) -> frozenset[int]:
    """Code points the font has a glyph for (its best cmap)."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing(text: str, fonts: tuple[Path, ...] = (DEVANAGARI, LATIN)) -> set[str]:
    """Characters of ``text`` that none of ``fonts`` can draw (whitespace aside)."""
    return {ch for ch in text if not ch.isspace()
            and not any(ord(ch) in coverage(f) for f in fonts)}


def runs(text: str) -> list[tuple[Path, str]]:
    """``text`` cut into (font, piece) runs: the Devanagari font where it has the glyph."""
    deva = coverage(DEVANAGARI)
    out: list[tuple[Path, str]] = []
    for ch in text:
        font = DEVANAGARI if ord(ch) in deva else LATIN
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
