"""A photo of parcel labels for the playground, to try *📷 Scan labels* without a printer.

The labels carry the tracking ids of parcels *expected* at the first approved store (from the
playground's database, read only), as Code 128 and QR codes, with a product barcode beside them
(an "other code"). Drawn on request; nothing is stored.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw

F = zxingcpp.BarcodeFormat
MAX_LABELS = 4


def expected_at_first_store(db_path: Path, limit: int = MAX_LABELS) -> tuple[str, list[str]]:
    """(store code, tracking ids) of parcels expected at the first approved store with some."""
    if not db_path.exists():
        return "", []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute(
            """SELECT s.code, p.tracking_id FROM parcels p JOIN stores s ON s.id = p.store_id
               WHERE p.status = 'expected' AND s.status = 'approved' ORDER BY s.id, p.id"""
        ).fetchall()
    except sqlite3.Error:
        return "", []
    finally:
        conn.close()
    if not rows:
        return "", []
    store = rows[0][0]
    return store, [tracking for code, tracking in rows if code == store][:limit]


def _code(text: str, fmt: F, scale: int) -> Image.Image:
    pixels = memoryview(zxingcpp.create_barcode(text, fmt).to_image(scale=scale))
    height, width = pixels.shape
    picture = Image.frombytes("L", (width, height), pixels.tobytes())
    if fmt in (F.Code128, F.EAN13):
        picture = picture.resize((width, 110), Image.Resampling.NEAREST)
    return picture


def labels_jpeg(store: str, ids: list[str]) -> bytes:
    """One photo: a label per id (alternately Code 128 and QR) and a product's EAN-13."""
    sheet = Image.new("L", (1280, 960), 150)
    draw = ImageDraw.Draw(sheet)
    spots = [(40, 40), (660, 40), (40, 500), (660, 500)]
    for n, (tracking, (x, y)) in enumerate(zip(ids, spots, strict=False)):
        code = _code(tracking, F.Code128 if n % 2 == 0 else F.QRCode, 3 if n % 2 == 0 else 6)
        draw.rectangle([x, y, x + 580, y + 420], fill=250, outline=30, width=3)
        draw.text((x + 16, y + 14), f"PLAYGROUND COURIER - {store}", fill=20)
        sheet.paste(code, (x + (580 - code.width) // 2, y + 60))
        draw.text((x + 16, y + 390), tracking, fill=20)
    product = _code("8901234567890", F.EAN13, 2)
    sheet.paste(product, (1280 - product.width - 20, 960 - product.height - 20))
    out = io.BytesIO()
    sheet.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()
