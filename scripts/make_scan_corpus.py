"""Write the synthetic photo corpus of parcel labels used by the scanning tests and benchmark.

    .venv/bin/python scripts/make_scan_corpus.py [--out tests/scan_corpus]

Every photo is a made-up scene: one or more shipping labels (a Code 128, QR, Data Matrix or
Code 39 code carrying a tracking id) on cardboard, then one distortion — rotation, perspective,
blur, low JPEG quality, several labels, product barcodes and URLs beside the label, or no code
at all — and finally JPEG compression at quality 40–80, as Telegram recompresses photos.
``manifest.json`` lists, per photo, the distortion, the tracking ids on it and how many other
codes (EAN, URL) it carries. The output is the same for the same seed, so the committed corpus
can be regenerated and compared.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

F = zxingcpp.BarcodeFormat
SEED = 16
PHOTO = (1024, 768)
COURIERS = ["BLUE DART", "DELHIVERY", "EKART", "XPRESSBEES", "INDIA POST", "DTDC"]
CITIES = ["Pune 411001", "Nagpur 440010", "Lucknow 226001", "Indore 452001", "Nashik 422001"]


def tracking_id(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    pattern = rng.choice(["post", "ekart", "dash", "digits", "ups"])
    if pattern == "post":
        return (rng.choice(letters) + rng.choice(letters) + f"{rng.randrange(10**9):09d}IN")
    if pattern == "ekart":
        return "FMPC" + f"{rng.randrange(10**10):010d}"
    if pattern == "dash":
        return f"TRK-{rng.randrange(2024, 2027)}-{rng.randrange(10**6):06d}"
    if pattern == "digits":
        return f"{rng.randrange(10**11, 10**12)}"
    return "1Z" + "".join(rng.choice(letters + "0123456789") for _ in range(16))


def code_image(text: str, fmt: F, scale: int) -> Image.Image:
    barcode = zxingcpp.create_barcode(text, fmt)
    pixels = memoryview(barcode.to_image(scale=scale))
    height, width = pixels.shape
    picture = Image.frombytes("L", (width, height), pixels.tobytes())
    if fmt in (F.Code128, F.Code39, F.EAN13):  # linear: make the bars taller
        picture = picture.resize((width, max(height, 60 * scale // 2)), Image.Resampling.NEAREST)
    return picture


def label(rng: random.Random, tracking: str, fmt: F | None, width: int = 420,
          module: int = 3) -> Image.Image:
    """A white shipping label: courier, address lines, the code (if any), the id as text."""
    font = ImageFont.load_default(18)
    small = ImageFont.load_default(14)
    lines = [rng.choice(COURIERS), "Ship to: " + rng.choice(["R. Patil", "S. Khan", "A. Verma"]),
             rng.choice(CITIES)]
    code = None
    if fmt is not None:
        scale = module if fmt in (F.Code128, F.Code39) else module + 2
        code = code_image(tracking, fmt, scale)
        width = max(width, code.width + 30)  # never squeeze the bars
    height = 110 + (code.height + 40 if code else 60)
    card = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, width - 1, height - 1], outline=40, width=3)
    for i, line in enumerate(lines):
        draw.text((14, 12 + 28 * i), line, fill=20, font=font)
    top = 100
    if code is not None:
        card.paste(code, ((width - code.width) // 2, top))
        top += code.height + 6
    draw.text((14, top), tracking, fill=20, font=small)
    return card


def background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    noise = Image.effect_noise(size, rng.uniform(8, 20)).filter(ImageFilter.GaussianBlur(2))
    tone = rng.randint(120, 170)
    return noise.point(lambda v: max(0, min(255, tone + (v - 128)))).convert("L")


def place(photo: Image.Image, card: Image.Image, rng: random.Random, angle: float,
          box: tuple[int, int, int, int] | None = None) -> None:
    rotated = card.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC,
                                          fillcolor=(0, 0, 0, 0))
    x0, y0, x1, y1 = box or (0, 0, photo.width, photo.height)
    x = rng.randint(x0, max(x0, x1 - rotated.width))
    y = rng.randint(y0, max(y0, y1 - rotated.height))
    photo.paste(rotated, (x, y), rotated)


def perspective(photo: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Look at the scene from a slant: the corners move by up to ``amount`` of the size."""
    w, h = photo.size

    def jitter(x: float, y: float) -> tuple[float, float]:
        return x + rng.uniform(-amount, amount) * w, y + rng.uniform(-amount, amount) * h

    src = [jitter(0, 0), jitter(w, 0), jitter(w, h), jitter(0, h)]
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective_coeffs(dst, src)
    return photo.transform((w, h), Image.Transform.PERSPECTIVE, coeffs,
                           Image.Resampling.BICUBIC, fillcolor=90)


def _perspective_coeffs(dst, src):  # noqa: ANN001, ANN202 - 4 point pairs
    """Pillow's 8 coefficients mapping ``dst`` corners to ``src`` (8 linear equations)."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def jpeg(photo: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    photo.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def scenes(rng: random.Random) -> list[tuple[str, Image.Image, list[str], int]]:
    """(distortion, photo, ids, other codes) for every photo of the corpus."""
    out = []

    def one(fmt: F = F.Code128, angle: float = 0.0) -> tuple[Image.Image, list[str]]:
        photo = background(rng, PHOTO)
        tid = tracking_id(rng)
        place(photo, label(rng, tid, fmt, width=rng.randint(420, 560)), rng, angle)
        return photo, [tid]

    for _ in range(6):
        photo, ids = one(angle=rng.uniform(-4, 4))
        out.append(("clean", photo, ids, 0))
    for angle in (17, 35, 62, 90, 124, 180, 211, 270, 333):
        photo, ids = one(angle=angle + rng.uniform(-3, 3))
        out.append(("rotation", photo, ids, 0))
    for _ in range(8):
        photo, ids = one(angle=rng.uniform(-10, 10))
        out.append(("perspective", perspective(photo, rng, 0.12), ids, 0))
    for radius in (0.6, 0.9, 1.1, 1.3, 1.5, 1.7):
        photo, ids = one(angle=rng.uniform(-6, 6))
        out.append(("blur", photo.filter(ImageFilter.GaussianBlur(radius)), ids, 0))
    for _ in range(6):  # small in the frame, then saved at quality 40 (below)
        photo = background(rng, PHOTO)
        tid = tracking_id(rng)
        place(photo, label(rng, tid, F.Code128, width=440, module=2), rng, rng.uniform(-5, 5))
        out.append(("jpeg40", photo, [tid], 0))
    for _ in range(6):
        photo, ids = one(fmt=F.QRCode, angle=rng.uniform(0, 360))
        out.append(("qr", photo, ids, 0))
    for fmt in (F.DataMatrix, F.DataMatrix, F.Code39, F.Code39):
        photo, ids = one(fmt=fmt, angle=rng.uniform(-20, 20))
        out.append(("datamatrix_code39", photo, ids, 0))
    for count in (2, 3, 3, 4, 4, 4):  # a shelf: several labels in one photo
        photo = background(rng, (1280, 960))
        ids = []
        cells = [(0, 0, 640, 480), (640, 0, 1280, 480), (0, 480, 640, 960), (640, 480, 1280, 960)]
        for cell in cells[:count]:
            tid = tracking_id(rng)
            fmt = rng.choice([F.Code128, F.Code128, F.QRCode])
            place(photo, label(rng, tid, fmt, width=420, module=2), rng, rng.uniform(-12, 12),
                  cell)
            ids.append(tid)
        out.append(("several", photo, ids, 0))
    for _ in range(4):  # a product's EAN and a URL QR beside the label
        photo = background(rng, PHOTO)
        tid = tracking_id(rng)
        place(photo, label(rng, tid, F.Code128, width=440, module=2), rng, rng.uniform(-5, 5),
              (0, 0, 600, 768))
        ean = "890" + "".join(rng.choice("0123456789") for _ in range(9))
        place(photo, code_image(ean, F.EAN13, 2).convert("L"), rng, 0, (640, 20, 1024, 380))
        url = code_image("https://shop.example/o/" + str(rng.randrange(10**6)), F.QRCode, 4)
        place(photo, url, rng, 0, (640, 400, 1024, 768))
        out.append(("other_codes", photo, [tid], 2))
    for _ in range(2):
        photo = background(rng, PHOTO)
        place(photo, label(rng, tracking_id(rng), None, width=480), rng, rng.uniform(-5, 5))
        out.append(("no_code", photo, [], 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/scan_corpus"))
    args = parser.parse_args()
    rng = random.Random(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = []
    counters: dict[str, int] = {}
    for distortion, photo, ids, others in scenes(rng):
        counters[distortion] = counters.get(distortion, 0) + 1
        name = f"{distortion}_{counters[distortion]:02d}.jpg"
        quality = 40 if distortion == "jpeg40" else rng.randint(40, 80)
        (args.out / name).write_bytes(jpeg(photo, quality))
        manifest.append({"file": name, "distortion": distortion, "jpeg_quality": quality,
                         "ids": ids, "other_codes": others})
    (args.out / "manifest.json").write_text(json.dumps({"seed": SEED, "photos": manifest},
                                                       indent=1) + "\n")
    total = sum(p.stat().st_size for p in args.out.glob("*.jpg"))
    print(f"{len(manifest)} photos, {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
