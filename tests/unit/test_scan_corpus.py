"""The committed photo corpus (scripts/make_scan_corpus.py) is read well enough and never wrongly.

Goal (issue #16): at least 98 % of the labels read, and not one wrong tracking id.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bot.scan.decode import read_codes
from bot.services.label_scan import sort_codes

CORPUS = Path(__file__).resolve().parents[1] / "scan_corpus"


def test_corpus_read_rate_and_no_wrong_ids() -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    labels = read = wrong = 0
    others_missed = 0
    per: Counter[str] = Counter()
    for photo in manifest["photos"]:
        codes = read_codes((CORPUS / photo["file"]).read_bytes())
        assert isinstance(codes, list), photo["file"]
        found = sort_codes(codes)
        expected = set(photo["ids"])
        labels += len(expected)
        read += len(expected & set(found.ids))
        wrong += len(set(found.ids) - expected)
        others_missed += photo["other_codes"] - found.other_codes
        per[photo["distortion"]] += 1
    assert labels >= 60 and len(per) >= 9, (labels, per)  # the corpus is all there
    assert wrong == 0
    assert read / labels >= 0.98, f"{read} of {labels} labels read"
    assert others_missed == 0


def test_corpus_is_small() -> None:
    total = sum(p.stat().st_size for p in CORPUS.iterdir())
    assert total < 4_000_000, total
