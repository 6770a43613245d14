"""The /stats chart: a PNG in each language whose Devanagari labels are glyphs, not boxes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont, features

from bot.charts import ChartLabels, fonts
from bot.charts.daily import (
    ARRIVED_COLOUR,
    HANDED_COLOUR,
    HEADER,
    PLOT,
    render_daily_chart,
    y_ticks,
)
from bot.handlers.admin_stats import chart_labels
from bot.i18n import translator
from bot.services.stats import DailySeries

DAYS = [date(2026, 10, 30) + timedelta(days=n) for n in range(30)]
ARRIVALS = [(n * 7) % 23 for n in range(30)]
HANDOVERS = [(n * 5) % 19 for n in range(30)]


@cache
def coverage(path: Path) -> frozenset[int]:
    """Code points the font has a glyph for (its best cmap)."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing(text: str, with_fonts: tuple[Path, ...] = (fonts.DEVANAGARI, fonts.LATIN)) -> set[str]:
    """Characters of ``text`` that none of ``with_fonts`` can draw (whitespace aside)."""
    return {ch for ch in text if not ch.isspace()
            and not any(ord(ch) in coverage(f) for f in with_fonts)}


def _daily() -> DailySeries:
    return DailySeries(DAYS, ARRIVALS, HANDOVERS)


def _labels(lang: str) -> ChartLabels:
    return chart_labels(translator(lang), _daily())


def _texts(labels: ChartLabels) -> list[str]:
    return [labels.title, labels.arrived, labels.handed_over, labels.period]


def _header(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    return image.crop((0, 0, image.width, HEADER)).convert("L")


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_a_png_in_each_language(lang):
    png = render_daily_chart(DAYS, ARRIVALS, HANDOVERS, _labels(lang))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert Image.open(io.BytesIO(png)).size == (1000, 560)


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_every_character_drawn_has_a_glyph(lang):
    labels = _labels(lang)
    text = "".join(_texts(labels))
    assert any("\u0900" <= ch <= "\u097f" for ch in text), "labels are not in Devanagari"
    assert missing(text) == set()
    # ...and each piece is drawn with a shipped font that has every one of its characters.
    for font, piece in fonts.runs(text):
        if any("\u0900" <= ch <= "\u097f" for ch in piece):
            assert font == fonts.DEVANAGARI
        assert missing(piece, (font,)) == set(), (font.name, piece)


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_a_font_without_devanagari_would_show_boxes(lang):
    labels = _labels(lang)
    text = "".join(_texts(labels))
    # Noto Sans (the Latin font) has no Devanagari: every letter would be a box.
    assert missing(text, (fonts.LATIN,))
    ours = _header(render_daily_chart(DAYS, ARRIVALS, HANDOVERS, labels))
    boxes = _header(render_daily_chart(DAYS, ARRIVALS, HANDOVERS, labels,
                                       font_override=fonts.LATIN))
    assert ImageChops.difference(ours, boxes).getbbox() is not None
    # The boxes are all alike: the .notdef glyph drawn for two different letters is the same
    # picture, while our font draws two different letters.
    def word(path, ch):
        font = ImageFont.truetype(str(path), 40)
        img = Image.new("L", (60, 60), 255)
        ImageDraw.Draw(img).text((5, 5), ch, font=font, fill=0)
        return img
    assert ImageChops.difference(word(fonts.LATIN, "क"), word(fonts.LATIN, "म")).getbbox() is None
    assert ImageChops.difference(word(fonts.DEVANAGARI, "क"),
                                 word(fonts.DEVANAGARI, "म")).getbbox() is not None


@pytest.mark.skipif(not features.check("raqm"), reason="Pillow without Raqm layout")
def test_labels_are_shaped():
    """पार्सल needs shaping (र् becomes the reph over स); unshaped it is a different picture."""
    def draw(engine):
        font = ImageFont.truetype(str(fonts.DEVANAGARI), 40, layout_engine=engine)
        img = Image.new("L", (260, 70), 255)
        ImageDraw.Draw(img).text((5, 5), "पार्सल", font=font, fill=0)
        return img, font.getlength("पार्सल")
    shaped, shaped_width = draw(ImageFont.Layout.RAQM)
    plain, plain_width = draw(ImageFont.Layout.BASIC)
    assert ImageChops.difference(shaped, plain).getbbox() is not None
    assert shaped_width < plain_width  # the visible virama of the unshaped text takes room


def test_lengths_must_agree():
    with pytest.raises(ValueError):
        render_daily_chart(DAYS, ARRIVALS[:-1], HANDOVERS, _labels("en"))


def test_english_labels_days_and_numbers_have_glyphs():
    labels = _labels("en")
    text = "".join(_texts(labels)) + "0123456789/,"
    assert missing(text, (fonts.LATIN,)) == set()
    assert all(font == fonts.LATIN for font, _ in fonts.runs(text))


def _colour_columns(image: Image.Image, colour: str, y: int) -> list[int]:
    rgb = ImageColor.getrgb(colour)
    return [x for x in range(image.width) if image.getpixel((x, y)) == rgb]


def test_bars_stand_where_and_as_high_as_their_day():
    """One day with 12 arrivals and 6 handovers, the rest empty: two bars over that day only,
    the handovers half as high, the top tick labelled above the taller one."""
    arrivals = [0] * 30
    handovers = [0] * 30
    arrivals[10], handovers[10] = 12, 6
    image = Image.open(io.BytesIO(render_daily_chart(DAYS, arrivals, handovers, _labels("en"))))
    image = image.convert("RGB")
    left, top, right, bottom = PLOT
    slot = (right - left) / 30
    blue = _colour_columns(image, ARRIVED_COLOUR, bottom - 2)
    orange = _colour_columns(image, HANDED_COLOUR, bottom - 2)
    assert blue and orange
    assert left + slot * 10 <= min(blue) < max(blue) < min(orange) < max(orange) <= left + slot * 11

    def height(colour: str, x: int) -> int:
        rgb = ImageColor.getrgb(colour)
        return sum(1 for y in range(top, bottom + 1) if image.getpixel((x, y)) == rgb)
    ticks = y_ticks(12)
    assert ticks[-1] >= 12
    tall, short = height(ARRIVED_COLOUR, blue[0]), height(HANDED_COLOUR, orange[0])
    assert abs(tall - 12 * (bottom - top) / ticks[-1]) <= 2
    assert abs(short * 2 - tall) <= 2


@pytest.mark.parametrize(("highest", "expected"), [
    (0, [0, 1, 2, 3, 4]), (4, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]),
    (23, [0, 5, 10, 15, 20, 25]), (140, [0, 50, 100, 150]), (1000, [0, 200, 400, 600, 800, 1000]),
])
def test_y_ticks_are_round_numbers_reaching_the_highest_bar(highest, expected):
    assert y_ticks(highest) == expected


def test_the_bot_starts_without_loading_the_chart_code():
    """The chart module is loaded at the first chart, not at start-up (benchmarks/startup.py);
    and matplotlib is no longer a dependency at all."""
    import subprocess
    import sys

    probe = ("import sys, importlib.util, bot.app; "
             "print('bot.charts.daily' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


async def test_the_chart_is_drawn_off_the_event_loop():
    """While the chart is drawn, the loop goes on serving others (the drawing is in a thread)."""
    import asyncio

    from bot.handlers.admin_stats import chart_png

    chart = asyncio.create_task(chart_png(translator("hi"), _daily()))
    served = 0
    while not chart.done():
        await asyncio.sleep(0)  # the loop is free: another update would be handled here
        served += 1
    assert served > 1
    assert (await chart).startswith(b"\x89PNG")
