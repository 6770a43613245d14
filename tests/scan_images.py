"""Pictures for the scanning tests: codes drawn with zxing-cpp's writer on a white page."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

F = zxingcpp.BarcodeFormat


def code_picture(text: str, fmt: F = F.Code128, scale: int = 3) -> Image.Image:
    pixels = memoryview(zxingcpp.create_barcode(text, fmt).to_image(scale=scale))
    height, width = pixels.shape
    picture = Image.frombytes("L", (width, height), pixels.tobytes())
    if fmt in (F.Code128, F.Code39, F.EAN13):
        picture = picture.resize((width, 120), Image.Resampling.NEAREST)
    return picture


def page(*codes: tuple[str, F], width: int = 900, fmt: str = "JPEG") -> bytes:
    """One photo-like page with each code on its own row (JPEG, quality 70)."""
    pictures = [code_picture(text, kind) for text, kind in codes]
    height = 40 + sum(p.height + 40 for p in pictures)
    sheet = Image.new("L", (width, max(height, 300)), 235)
    top = 40
    for picture in pictures:
        sheet.paste(picture, (40, top))
        top += picture.height + 40
    out = io.BytesIO()
    sheet.save(out, format=fmt, quality=70)
    return out.getvalue()


def blank(width: int = 800, height: int = 600) -> bytes:
    """A photo with no code in it: grey card with some lines."""
    sheet = Image.new("L", (width, height), 180)
    for y in range(50, height, 60):
        sheet.paste(90, (40, y, width - 40, y + 6))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=70)
    return out.getvalue()


def huge_png(width: int = 9000, height: int = 6000) -> bytes:
    """A small file claiming a huge picture (54 megapixels, a few kilobytes)."""
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG")
    return out.getvalue()
