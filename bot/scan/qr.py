"""A QR code as a PNG picture, drawn on demand (a pickup code is never stored, nor its picture)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

# Pixels per QR module: a 6-digit code is 21 modules (+ quiet zone), ~ 350 px wide: sharp on
# any phone screen and easy for another phone's camera.
SCALE = 12


def qr_png(text: str, *, scale: int = SCALE) -> bytes:
    """``text`` as a QR code (error correction M), black on white, as PNG bytes."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = memoryview(barcode.to_image(scale=scale))
    height, width = pixels.shape
    picture = Image.frombytes("L", (width, height), pixels.tobytes())
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
