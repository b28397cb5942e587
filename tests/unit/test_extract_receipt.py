"""Receipt extraction measured against the SROIE ground truth (OCR transcripts and key fields)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from core.document import PageWords, Word
from extract.engine import extract
from extract.normalize import normalize_amount, normalize_date
from extract.receipt import extract_receipt

SROIE = Path("/work/shared/data/sroie")
FIELDS = {
    "company": "supplier_name",
    "date": "issue_date",
    "address": "supplier_address",
    "total": "total_amount",
}
F1_FLOOR = {"supplier_name": 0.92, "issue_date": 0.97, "supplier_address": 0.75, "total_amount": 0.9, "all": 0.9}


def load_sroie(stem: str) -> PageWords:
    """One receipt's OCR lines as words: each line's quad becomes a box, split by character share per word."""
    words: list[Word] = []
    with (SROIE / "box" / f"{stem}.csv").open(encoding="utf-8", errors="replace") as handle:
        for index, row in enumerate(csv.reader(handle)):
            if len(row) < 9:
                continue
            xs, ys = [int(v) for v in row[0:8:2]], [int(v) for v in row[1:8:2]]
            text = ",".join(row[8:]).strip()
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            offset = 0
            for token in text.split(" "):
                if token:
                    left = x0 + (x1 - x0) * offset / max(1, len(text))
                    right = x0 + (x1 - x0) * (offset + len(token)) / max(1, len(text))
                    words.append(Word(token, (round(left), y0, round(right), y1), 0.95, 1, index, 0))
                offset += len(token) + 1
    width = max((w.bbox[2] for w in words), default=1) + 20
    height = max((w.bbox[3] for w in words), default=1) + 20
    return PageWords(1, width, height, words)


def _key(stem: str) -> dict[str, str]:
    data = json.loads((SROIE / "key" / f"{stem}.json").read_text(encoding="utf-8"))
    out = {}
    for key, name in FIELDS.items():
        raw = data.get(key)
        if not raw:
            continue
        if name == "issue_date":
            out[name] = normalize_date(raw) or raw
        elif name == "total_amount":
            out[name] = normalize_amount(raw) or raw
        else:
            out[name] = raw
    return out


def _same(name: str, predicted: str, expected: str) -> bool:
    """Text compares without case and whitespace (the key re-spaces the OCR lines); values compare exactly."""
    if name in ("supplier_name", "supplier_address"):
        return re.sub(r"\s+", "", predicted.upper()) == re.sub(r"\s+", "", expected.upper())
    return predicted == expected


def score_sroie(verbose: bool = False) -> dict[str, float]:
    """Field F1 over every SROIE receipt: a wrong value counts as a false positive and a false negative."""
    counts = {name: [0, 0, 0] for name in [*FIELDS.values(), "all"]}  # tp, fp, fn
    for path in sorted((SROIE / "box").glob("*.csv")):
        fields = extract_receipt([load_sroie(path.stem)])
        for name, expected in _key(path.stem).items():
            got = fields.get(name)
            ok = got is not None and _same(name, str(got.value), expected)
            for bucket in (name, "all"):
                counts[bucket][0] += ok
                counts[bucket][1] += got is not None and not ok
                counts[bucket][2] += not ok
            if verbose and not ok:
                print(path.stem, name, repr(got.value if got else None), "expected", repr(expected))
    f1 = {}
    for name, (tp, fp, fn) in counts.items():
        f1[name] = round(2 * tp / max(1, 2 * tp + fp + fn), 4)
    return f1


needs_sroie = pytest.mark.skipif(not (SROIE / "box").is_dir(), reason="SROIE data not present")


@needs_sroie
def test_sroie_field_f1_floor() -> None:
    f1 = score_sroie()
    for name, floor in F1_FLOOR.items():
        assert f1[name] >= floor, (name, f1)


@needs_sroie
def test_sroie_fields_keep_page_bbox_and_source() -> None:
    page = load_sroie("000")
    fields = extract_receipt([page])
    assert fields
    for field in fields.values():
        assert field.page == 1 and field.bbox is not None and field.source == "rules"
        assert 0.0 <= field.confidence <= 1.0


@needs_sroie
def test_sroie_receipt_is_classified_as_receipt() -> None:
    result = extract([load_sroie("006")])
    assert result.doc_type == "receipt"
    assert result.fields["total_amount"].value == "327.00"
