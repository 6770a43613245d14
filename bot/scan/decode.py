"""Every barcode and QR code in a photo: bytes in, codes out. Pure; runs in a worker thread.

Rules:
* A file over ``Limits.max_bytes`` or a picture over ``Limits.max_pixels`` is refused before
  it is decoded (a small file can still claim a huge picture: the header is checked first).
* Pictures are read in grey and, above ``Limits.decode_pixels``, scaled down first: parcel
  labels are large, and decoding time grows with the pixels.
* All the symbologies courier labels carry are read in one pass (Code 128, Code 39, Code 93,
  QR, Data Matrix, PDF417, Aztec), and also the retail ones (EAN, UPC, ITF) so that a product
  barcode can be recognised and set aside rather than mistaken for a tracking id.
* Nothing is kept: the caller drops the bytes once this returns.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import zxingcpp
from PIL import Image, UnidentifiedImageError

F = zxingcpp.BarcodeFormat
# Symbologies a tracking id or a pickup code may come in.
LABEL_FORMATS = (F.Code128, F.Code39, F.Code93, F.QRCode, F.MicroQRCode, F.DataMatrix,
                 F.PDF417, F.Aztec)
# Read too, only to count them as "other codes": product and carton barcodes.
RETAIL_FORMATS = (F.EAN13, F.EAN8, F.UPCA, F.UPCE, F.ITF)
_READ = zxingcpp.BarcodeFormats(list(LABEL_FORMATS + RETAIL_FORMATS))
_LABEL_NAMES = frozenset(str(f) for f in LABEL_FORMATS)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    decode_pixels: int = 8_000_000  # a Telegram photo (2560 x 1920) is read as sent


@dataclass(frozen=True)
class Code:
    symbology: str     # "Code128", "QRCode", "EAN13", ...
    text: str

    @property
    def label_symbology(self) -> bool:
        """A symbology labels use for ids (not a product barcode)."""
        return self.symbology in _LABEL_NAMES


class ImageProblem(StrEnum):
    NOT_AN_IMAGE = "not_an_image"
    TOO_LARGE = "too_large"


def read_codes(data: bytes, limits: Limits = Limits()) -> list[Code] | ImageProblem:
    """The distinct codes in the picture, in the order found; a problem with the file instead."""
    if len(data) > limits.max_bytes:
        return ImageProblem.TOO_LARGE
    picture = _open_grey(data, limits)
    if isinstance(picture, ImageProblem):
        return picture
    found: list[Code] = []
    for view, binarizer in _views(picture):
        for barcode in zxingcpp.read_barcodes(view, formats=_READ, binarizer=binarizer):
            code = Code(str(barcode.format), barcode.text)
            if barcode.text and code not in found:
                found.append(code)
    return found


def _views(picture: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The passes over one picture. zxing tries 90° turns itself; a linear code at a slant
    is read only by a scan line crossing all its bars, so the picture is also turned by 30°
    and 60°. A blurred code often survives a fixed threshold better than a local one."""
    yield picture, zxingcpp.Binarizer.LocalAverage
    yield picture, zxingcpp.Binarizer.FixedThreshold
    for angle in (30, 60):
        yield (picture.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True,
                              fillcolor=128), zxingcpp.Binarizer.LocalAverage)


def _open_grey(data: bytes, limits: Limits) -> Image.Image | ImageProblem:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:  # reads the header only
                width, height = picture.size
                if width * height > limits.max_pixels:
                    return ImageProblem.TOO_LARGE
                # JPEG: let the decoder scale down by 2/4/8 while reading (fast, less memory).
                picture.draft("L", _fit(width, height, limits.decode_pixels))
                grey = picture.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ImageProblem.TOO_LARGE
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return ImageProblem.NOT_AN_IMAGE
    width, height = grey.size
    if width * height > limits.decode_pixels:
        grey = grey.resize(_fit(width, height, limits.decode_pixels), Image.Resampling.BOX)
    return grey


def _fit(width: int, height: int, pixels: int) -> tuple[int, int]:
    if width * height <= pixels:
        return width, height
    scale = (pixels / (width * height)) ** 0.5
    return max(1, int(width * scale)), max(1, int(height * scale))
