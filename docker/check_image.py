"""Fail the image build when the bot would fail at run time for want of a file.

Checks: every catalog compiled and loadable; money, dates and times formatted in each language
(Babel data kept by slim_venv.py); an Indian mobile number read (phonenumbers' metadata); the
migrations and the chart font shipped inside the package; the bot's modules import.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import UTC, datetime
from importlib import resources

from bot.i18n import LANGUAGES, translator
from bot.i18n.formatting import format_date, format_money, format_time
from bot.storage.db import migration_files
from bot.validation import Ok, parse_mobile

for lang in LANGUAGES:
    translator(lang).gettext("Cancelled.")
    assert format_money(12345600, lang).startswith("₹"), lang
    format_date(datetime(2026, 11, 28, tzinfo=UTC).date(), lang)
    format_time(datetime(2026, 11, 28, 13, 0, tzinfo=UTC), lang)
assert parse_mobile("98765 43210") == Ok("+919876543210")
assert migration_files(), "no migrations in the package"
fonts = resources.files("bot") / "assets" / "fonts"
if fonts.is_dir():
    assert any(f.name.endswith((".ttf", ".otf")) for f in fonts.iterdir()), "chart font missing"
# Pillow draws the chart; matplotlib (with numpy, ~120 MB) must not creep back into the image.
assert importlib.util.find_spec("matplotlib") is None, "matplotlib is in the image"
if importlib.util.find_spec("bot.charts") is not None:
    # The chart's Devanagari labels are shaped by Pillow's Raqm, which needs FriBiDi.
    from PIL import features

    assert features.check("raqm"), "Pillow cannot shape Devanagari (Raqm/FriBiDi missing)"
    from bot.charts import fonts as chart_fonts

    assert chart_fonts.DEVANAGARI.is_file() and chart_fonts.LATIN.is_file(), "chart font missing"
for module in ("bot.app", "bot.inbox.runner", "bot.webhook", "bot.ops.cli"):
    importlib.import_module(module)
print("check_image: catalogs, formatting, phone numbers, migrations, fonts: ok")
