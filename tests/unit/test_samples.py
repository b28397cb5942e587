"""The sample generator: deterministic, valid ground truth, every kind and level, files that open and read."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from schwifty import IBAN
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.it import codicefiscale, iva

from samples import Sample, generate
from samples.content import DOC_KINDS
from samples.degrade import LEVELS

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
DATE_FIELDS = ("issue_date", "due_date", "order_date", "delivery_date", "effective_date", "end_date")
AMOUNT_FIELDS = ("net_amount", "vat_amount", "total_amount", "amount")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Sample, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("samples")
    samples = generate(out, count=10, seed=11, formats=["pdf", "png", "jpg", "tiff"])
    return [(s, json.loads(s.truth_path.read_text(encoding="utf-8"))) for s in samples]


def test_same_seed_same_truth_and_pixels(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", count=3, seed=5, formats=["png"])
    second = generate(tmp_path / "b", count=3, seed=5, formats=["png"])
    other = generate(tmp_path / "c", count=3, seed=6, formats=["png"])
    for a, b in zip(first, second, strict=True):
        assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
        assert a.path.read_bytes() == b.path.read_bytes()
    assert [s.truth_path.read_bytes() for s in first] != [s.truth_path.read_bytes() for s in other]


def test_every_kind_and_level_is_produced(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    assert {s.doc_type for s, _ in batch} == set(DOC_KINDS)
    assert {s.level for s, _ in batch} == set(LEVELS)
    for sample, truth in batch:
        assert truth["doc_type"] == sample.doc_type and truth["level"] == sample.level
        assert truth["bbox_frame"] == "clean"


def test_identifiers_validate(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    for _, truth in batch:
        fields = truth["fields"]
        for name in ("supplier_vat", "customer_vat"):
            if name in fields:
                assert _vat_valid(fields[name]), (name, fields[name])
        for name in ("supplier_tax_code", "customer_tax_code"):
            if name in fields:
                code = fields[name]
                assert codicefiscale.is_valid(code) or iva.is_valid(code), code
        if "iban" in fields:
            assert IBAN(fields["iban"]).compact == fields["iban"]


def _vat_valid(value: str) -> bool:
    if value.startswith("IT"):
        return iva.is_valid(value[2:])
    if value.startswith("GB"):
        return gb_vat.is_valid(value)
    return eu_vat.is_valid(value)


def test_canonical_forms_and_totals(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    for _, truth in batch:
        fields = truth["fields"]
        for name in DATE_FIELDS:
            if name in fields:
                assert dt.date.fromisoformat(fields[name]).isoformat() == fields[name]
        for name in AMOUNT_FIELDS:
            if name in fields:
                assert AMOUNT.match(fields[name]), (name, fields[name])
        if truth["doc_type"] in ("invoice", "credit_note"):
            net, vat, total = (Decimal(fields[k]) for k in ("net_amount", "vat_amount", "total_amount"))
            assert net + vat == total
            assert sum(Decimal(line["amount"]) for line in truth["lines"]) == net
        for line in truth.get("lines", []):
            expected = Decimal(line["quantity"]) * Decimal(line["unit_price"])
            assert abs(expected - Decimal(line["amount"])) <= Decimal("0.005")
        if truth["doc_type"] == "contract":
            assert len(fields["parties"]) == 2 and isinstance(fields["auto_renewal"], bool)
            assert re.match(r"^P\d+[YMD]$", fields["term"]) and re.match(r"^P\d+[MD]$", fields["notice_period"])


def test_words_and_field_boxes_lie_on_the_page(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    for _, truth in batch:
        pages = truth["pages"]
        for page in pages:
            assert page["text"].strip()
            for word in page["words"]:
                x0, y0, x1, y1 = word["bbox"]
                assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"], word
        missing = set(truth["fields"]) - set(truth["field_boxes"]) - {"vat_rate"}
        assert not missing, (truth["doc_type"], missing)


def test_files_open_with_every_page(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    for sample, truth in batch:
        pages = len(truth["pages"])
        if sample.format == "pdf":
            assert len(PdfReader(sample.path).pages) == pages
        else:
            with Image.open(sample.path) as image:
                frames = getattr(image, "n_frames", 1)
                assert frames == (pages if sample.format == "tiff" else 1)
                image.load()
        if sample.doc_type == "contract":
            assert pages >= 2


def test_transform_maps_the_clean_page_into_the_scan(batch: list[tuple[Sample, dict[str, Any]]]) -> None:
    for sample, truth in batch:
        if sample.format not in ("png", "jpg"):
            continue
        page = truth["pages"][0]
        with Image.open(sample.path) as image:
            width, height = image.size
        matrix = np.array(page["transform"])
        corners = np.array(
            [
                [0, 0, 1],
                [page["width"] - 1, 0, 1],
                [0, page["height"] - 1, 1],
                [page["width"] - 1, page["height"] - 1, 1],
            ],
            dtype=float,
        )
        mapped = corners @ matrix.T
        assert (mapped[:, 0] >= -2).all() and (mapped[:, 0] <= width + 2).all()
        assert (mapped[:, 1] >= -2).all() and (mapped[:, 1] <= height + 2).all()
        if truth["rotation"] in (90, 270):
            assert width > height or truth["doc_type"] == "receipt"


def test_born_digital_pdf_has_a_text_layer(tmp_path: Path) -> None:
    (sample,) = generate(tmp_path, count=1, seed=2, kinds=["invoice"], formats=["pdf-text"])
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    text = PdfReader(sample.path).pages[0].extract_text()
    assert sample.level == 0 and truth["fields"]["invoice_number"] in text


def test_unknown_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, count=1, seed=1, kinds=["poem"])
    with pytest.raises(ValueError):
        generate(tmp_path, count=1, seed=1, levels=[9])


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_reads_the_invoice_number_at_level_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    (sample,) = generate(tmp_path, count=1, seed=4, kinds=["invoice"], levels=[0], formats=["png"])
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    with Image.open(sample.path) as image:
        text = pytesseract.image_to_string(image, lang="ita+eng")
    assert truth["fields"]["invoice_number"] in text.replace(" ", "")
