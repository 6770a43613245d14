"""Arrivals and handovers per day (the /stats chart): bars by matplotlib, labels by Pillow.

Pure and synchronous: call it in a worker thread (``asyncio.to_thread``) so the event loop keeps
answering other people while a chart is drawn. Figures are drawn with matplotlib's
object-oriented API on the Agg canvas (no pyplot state), one at a time.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image, ImageDraw

from bot.charts import ChartLabels, fonts
from bot.i18n.formatting import format_number

WIDTH, HEIGHT, DPI = 1000, 560, 100
HEADER = 96          # pixels at the top kept free for the title and the legend
ARRIVED_COLOUR = "#2a7ab0"
HANDED_COLOUR = "#e8892b"
INK = (34, 34, 34)
GREY = (95, 95, 95)

_lock = threading.Lock()


def _day_label(day: date) -> str:
    return f"{day.day}/{day.month}"


def _plot(days: list[date], arrivals: list[int], handovers: list[int]) -> Image.Image:
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.09, top=1 - HEADER / HEIGHT)
    ax = fig.add_subplot()
    xs = list(range(len(days)))
    ax.bar([x - 0.2 for x in xs], arrivals, width=0.4, color=ARRIVED_COLOUR)
    ax.bar([x + 0.2 for x in xs], handovers, width=0.4, color=HANDED_COLOUR)
    ax.set_xticks(xs[::3] if len(xs) > 10 else xs)
    ax.set_xticklabels([_day_label(days[x]) for x in ax.get_xticks()], fontsize=9)
    ax.set_xlim(-0.7, len(xs) - 0.3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(int(v), "en")))
    ax.set_ylim(bottom=0, top=max([*arrivals, *handovers, 4]) * 1.1)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    canvas.draw()
    width, height = canvas.get_width_height()
    return Image.frombuffer("RGBA", (width, height), bytes(canvas.buffer_rgba()),
                            "raw", "RGBA", 0, 1).convert("RGB")


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
              fill: tuple[int, int, int], runs_of=fonts.runs) -> float:
    """Draw ``text`` run by run (font fallback); returns the x after it."""
    x, y = xy
    for path, piece in runs_of(text):
        font = fonts.pil_font(path, size)
        draw.text((x, y), piece, font=font, fill=fill, anchor="ls")
        x += font.getlength(piece)
    return x


def render_daily_chart(
    days: list[date], arrivals: list[int], handovers: list[int], labels: ChartLabels,
    *, font_override: Path | None = None,
) -> bytes:
    """The chart as PNG bytes. ``font_override`` draws every label with that one font (tests
    use it to show what a font without Devanagari glyphs would print)."""
    if not (len(days) == len(arrivals) == len(handovers)):
        raise ValueError("days, arrivals and handovers differ in length")
    runs_of = fonts.runs if font_override is None else (lambda text: [(font_override, text)])
    with _lock:
        image = _plot(days, arrivals, handovers)
    draw = ImageDraw.Draw(image)
    margin = 0.07 * WIDTH
    draw_text(draw, (margin, 36), labels.title, 24, INK, runs_of)
    x = margin
    for colour, label in ((ARRIVED_COLOUR, labels.arrived), (HANDED_COLOUR, labels.handed_over)):
        draw.rectangle((x, 56, x + 18, 74), fill=colour)
        x = draw_text(draw, (x + 26, 72), label, 18, INK, runs_of) + 28
    draw_text(draw, (x + 12, 72), labels.period, 16, GREY, runs_of)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # 3: a fast encode, ~10 % larger file
    return out.getvalue()
