"""Trim the image's virtualenv of data the bot never reads (run in the Dockerfile's build stage).

* Babel's CLDR data for ~1,100 locales (34 MB): the bot formats in en_IN, hi_IN and mr_IN only,
  which read these files and their parents (en_IN → en_001 → en → root).
* phonenumbers' geocoder and carrier data (42 MB): the bot parses and validates numbers
  (``bot/validation.py``); it never asks where a number is or which carrier it has.
* every package's own test suite (``tests`` folders) and type stubs (``*.pyi``).

The build then runs ``docker/check_image.py``, which fails if anything the bot needs is gone.
Usage: python docker/slim_venv.py /opt/venv
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

BABEL_KEEP = {"root", "en", "en_001", "en_IN", "hi", "hi_IN", "mr", "mr_IN"}
PHONENUMBERS_DROP = ("geodata", "carrierdata")


def main(venv: Path) -> None:
    (site,) = venv.glob("lib/python3.*/site-packages")
    removed = 0
    for dat in (site / "babel" / "locale-data").glob("*.dat"):
        if dat.stem not in BABEL_KEEP:
            removed += dat.stat().st_size
            dat.unlink()
    for name in PHONENUMBERS_DROP:
        folder = site / "phonenumbers" / name
        if folder.is_dir():
            removed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder)
    for folder in [*site.glob("*/tests"), *site.glob("*/*/tests")]:
        if folder.is_dir():
            removed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder)
    for stub in site.rglob("*.pyi"):
        removed += stub.stat().st_size
        stub.unlink()
    print(f"slim_venv: removed {removed / 1e6:.0f} MB of unused data")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
