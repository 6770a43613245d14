"""The /stats chart: a PNG in each language whose Devanagari labels are glyphs, not boxes."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from bot.charts import ChartLabels, fonts
from bot.charts.daily import HEADER, render_daily_chart
from bot.handlers.admin_stats import chart_labels
from bot.i18n import translator
from bot.services.stats import DailySeries

DAYS = [date(2026, 10, 30) + timedelta(days=n) for n in range(30)]
ARRIVALS = [(n * 7) % 23 for n in range(30)]
HANDOVERS = [(n * 5) % 19 for n in range(30)]


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
    assert fonts.missing(text) == set()
    # ...and each Devanagari letter is drawn with the shipped font, which has it.
    deva = fonts.coverage(fonts.DEVANAGARI)
    for font, piece in fonts.runs(text):
        if any("\u0900" <= ch <= "\u097f" for ch in piece):
            assert font == fonts.DEVANAGARI
            assert all(ord(ch) in deva for ch in piece)


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_a_font_without_devanagari_would_show_boxes(lang):
    labels = _labels(lang)
    text = "".join(_texts(labels))
    # DejaVu Sans (matplotlib's own) has no Devanagari: every letter would be a box.
    assert fonts.missing(text, (fonts.LATIN,))
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


def test_the_bot_starts_without_loading_matplotlib():
    """matplotlib is loaded at the first chart, not at start-up (benchmarks/startup.py)."""
    import subprocess
    import sys

    probe = "import sys, bot.app; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False"]


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
