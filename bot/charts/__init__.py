"""Charts sent to admins as pictures (PNG), labelled in the admin's language.

This module is light on purpose: the drawing code (``bot.charts.daily``, Pillow) is imported
only when the first chart is drawn, so it costs nothing at the bot's start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartLabels:
    """Every word on the chart, already translated (and the digits already formatted)."""

    title: str
    arrived: str
    handed_over: str
    period: str                       # e.g. "29 Oct 2026 – 27 Nov 2026"
