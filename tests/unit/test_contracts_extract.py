"""Contract fields from generated Italian/English contracts (truth words) and from a few shared NDAs (text layer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.contracts import _truth_pages, kleister_pairs, read_expected
from core.document import PageWords, Word
from extract.contract import contract_checks, extract_contract
from extract.engine import extract
from ocr.textlayer import read_text_layer
from samples.generate import generate

NDAS = ("00a1d238e37ac225b8045a97953e845d.pdf", "08cc9be2c873778b05d95d03026705ca.pdf",
        "0859334b76224ff82c1312ae7b2b5da1.pdf", "0c3ab1d0c8bb3b1c2f7a64f3ab584368.pdf")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("contracts")
    samples = generate(out, count=6, seed=21, kinds=["contract"], levels=[0], formats=["png"], languages=["it"])
    samples += generate(out / "en", count=2, seed=22, kinds=["contract"], levels=[0], formats=["png"],
                        languages=["en"])
    return [json.loads(s.truth_path.read_text(encoding="utf-8")) for s in samples]


def test_generated_contracts_every_field(generated: list[dict]) -> None:
    for truth in generated:
        fields = extract_contract(_truth_pages(truth))
        got = {name: f.value for name, f in fields.items()}
        for name, want in truth["fields"].items():
            assert got.get(name) == want, (truth["language"], name)
        for name, field in fields.items():
            if field.source == "rules":
                assert field.page is not None and field.bbox is not None, name


def test_engine_dispatches_contracts(generated: list[dict]) -> None:
    result = extract(_truth_pages(generated[0]), doc_type="contract")
    assert result.fields["parties"].value == generated[0]["fields"]["parties"]


def _words(text: str) -> list[PageWords]:
    words = [Word(t, (10 * i, 10, 10 * i + 9, 20), 0.99, 1, 1, 1) for i, t in enumerate(text.split())]
    return [PageWords(1, 2480, 3508, words)]


def test_clauses_with_party_ids_and_derived_end() -> None:
    text = ("Tra Alfa S.r.l., con sede in Milano, P.IVA 01234567890, (di seguito \"il Fornitore\") e Beta S.p.A., "
            "con sede in Roma, C.F. 09876543210 (di seguito \"il Cliente\") si conviene. Il contratto decorre dal "
            "31/01/2024 con durata di 12 mesi e si intende tacitamente rinnovato salvo disdetta con preavviso di "
            "almeno 3 mesi. Foro di Torino. Firma del Fornitore")
    fields = extract_contract(_words(text))
    assert fields["parties"].value == ["Alfa S.r.l.", "Beta S.p.A."]
    assert fields["party_ids"].value[0]["vat"] == "IT01234567890"
    assert fields["effective_date"].value == "2024-01-31"
    assert fields["end_date"].value == "2025-01-30"
    assert fields["end_date"].source == "computed"
    assert (fields["auto_renewal"].value, fields["notice_period"].value) == (True, "P3M")
    assert fields["jurisdiction"].value == "Torino"
    checks = contract_checks(_words(text), fields)
    assert [c.code for c in checks] == ["specific_approval_missing"]
    approved = text + " Ai sensi degli artt. 1341 e 1342 c.c. si approvano specificamente gli artt. 2 e 5."
    assert contract_checks(_words(approved), extract_contract(_words(approved))) == []


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def test_shared_ndas_text_layer(shared_data: Path) -> None:
    folder = shared_data / "kleister-nda"
    expected = read_expected(folder / "expected.tsv")
    hits = total = 0
    for name in NDAS:
        pdf = folder / "documents" / name
        pages = [read_text_layer(pdf, i, dpi=72) for i in range(_page_count(pdf))]
        got = kleister_pairs({k: f.value for k, f in extract_contract([p for p in pages if p]).items()})
        gold = expected[name]
        assert [p for p in got if p.startswith("jurisdiction")] == [p for p in gold if p.startswith("jurisdiction")]
        hits += len(set(got) & set(gold))
        total += len(gold)
    assert hits / total >= 0.7
