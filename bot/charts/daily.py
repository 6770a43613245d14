"""Arrivals and handovers per day (the /stats chart), drawn with Pillow alone.

Pure and synchronous: call it in a worker thread (``asyncio.to_thread``) so the event loop keeps
answering other people while a chart is drawn; one chart is drawn at a time (the fonts are shared).

Why not matplotlib: it drew only the bars, grid and digits (it cannot shape Devanagari, so the
labels were Pillow's already), yet with numpy, fontTools, kiwisolver, contourpy, pyparsing, cycler
and python-dateutil it added about 120 MB to the Docker image, which must stay under 250 MB
(issue 15; ``python -m benchmarks.image_size``). A grouped bar chart with a few gridlines is a
handful of rectangles and lines, which Pillow draws as fast.
"""

from __future__ import annotations

import io
import math
import threading
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from bot.charts import ChartLabels, fonts
from bot.i18n.formatting import format_number

WIDTH, HEIGHT = 1000, 560
HEADER = 96          # pixels at the top kept free for the title and the legend
MARGIN = 70          # left: the numbers of the y axis sit in it
PLOT = (MARGIN, HEADER + 14, WIDTH - 20, HEIGHT - 44)   # left, top, right, bottom of the bars
ARRIVED_COLOUR = "#2a7ab0"
HANDED_COLOUR = "#e8892b"
INK = (34, 34, 34)
GREY = (95, 95, 95)
AXIS = (80, 80, 80)
GRID = (221, 221, 221)
TICK_SIZE = 16

_lock = threading.Lock()


def _day_label(day: date) -> str:
    return f"{day.day}/{day.month}"


def y_ticks(highest: int, most: int = 6) -> list[int]:
    """Whole-number ticks from 0 on a 1-2-5 step, at most ``most`` of them, reaching ``highest``."""
    highest = max(highest, 4)
    for exponent in range(0, 12):
        for mantissa in (1, 2, 5):
            step = mantissa * 10 ** exponent
            count = math.ceil(highest / step)
            if count + 1 <= most:
                return [step * n for n in range(count + 1)]
    raise ValueError(f"no ticks for {highest}")


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
              fill: tuple[int, int, int], runs_of=fonts.runs) -> float:
    """Draw ``text`` run by run (font fallback), left at ``x``, baseline at ``y``; returns the x
    after it."""
    x, y = xy
    for path, piece in runs_of(text):
        font = fonts.pil_font(path, size)
        draw.text((x, y), piece, font=font, fill=fill, anchor="ls")
        x += font.getlength(piece)
    return x


def _plot(draw: ImageDraw.ImageDraw, days: list[date], arrivals: list[int],
          handovers: list[int]) -> None:
    left, top, right, bottom = PLOT
    digits = fonts.pil_font(fonts.LATIN, TICK_SIZE)
    ticks = y_ticks(max([*arrivals, *handovers, 0]))
    scale = (bottom - top) / ticks[-1]
    for value in ticks:
        y = round(bottom - value * scale)
        if value:
            draw.line((left, y, right, y), fill=GRID, width=1)
        draw.text((left - 8, y), format_number(value, "en"), font=digits, fill=GREY, anchor="rm")
    slot = (right - left) / max(len(days), 1)
    bar = slot * 0.38
    every = 3 if len(days) > 10 else 1
    for n, (day, arrived, handed) in enumerate(zip(days, arrivals, handovers, strict=True)):
        centre = left + slot * (n + 0.5)
        for x0, value, colour in ((centre - bar, arrived, ARRIVED_COLOUR),
                                  (centre, handed, HANDED_COLOUR)):
            if value:
                draw.rectangle((round(x0), round(bottom - value * scale),
                                round(x0 + bar) - 1, bottom), fill=colour)
        if n % every == 0:
            draw.line((centre, bottom, centre, bottom + 5), fill=AXIS, width=1)
            draw.text((centre, bottom + 8), _day_label(day), font=digits, fill=GREY, anchor="mt")
    draw.line((left, top, left, bottom), fill=AXIS, width=1)
    draw.line((left, bottom, right, bottom), fill=AXIS, width=1)


def render_daily_chart(
    days: list[date], arrivals: list[int], handovers: list[int], labels: ChartLabels,
    *, font_override: Path | None = None,
) -> bytes:
    """The chart as PNG bytes. ``font_override`` draws every label with that one font (tests
    use it to show what a font without Devanagari glyphs would print)."""
    if not (len(days) == len(arrivals) == len(handovers)):
        raise ValueError("days, arrivals and handovers differ in length")
    runs_of = fonts.runs if font_override is None else (lambda text: [(font_override, text)])
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    with _lock:
        _plot(draw, days, arrivals, handovers)
        draw_text(draw, (MARGIN, 36), labels.title, 26, INK, runs_of)
        x = MARGIN
        for colour, label in ((ARRIVED_COLOUR, labels.arrived),
                              (HANDED_COLOUR, labels.handed_over)):
            draw.rectangle((x, 56, x + 18, 74), fill=colour)
            x = draw_text(draw, (x + 26, 72), label, 19, INK, runs_of) + 28
        draw_text(draw, (x + 12, 72), labels.period, 17, GREY, runs_of)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
