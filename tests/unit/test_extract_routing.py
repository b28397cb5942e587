"""Routing decisions (extract/routing.py), the trained classifier model and the shipped calibration."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from core.document import Extraction, PageWords
from extract.checks import NON_EU_SUPPLIER
from extract.classify import classify, set_scorer
from extract.confidence import Evidence, confidence, default_calibrator
from extract.engine import extract
from extract.evaluation import drawn
from extract.routing import RouteParams, routing_reasons
from extract.textcat import MODEL_DIR, ensemble_scorer, load_model
from tests.unit.test_extract_invoice import page

PARAMS = RouteParams(required={"invoice": ["supplier_vat", "total_amount"]},
                     thresholds={"default": 0.8, "total_amount": 0.95}, min_doc_type_confidence=0.8)


def record(fields: dict[str, float], *, doc_type: str = "invoice", type_confidence: float = 0.99,
           checks: list[dict[str, str]] | None = None, corrected: str | None = None) -> SimpleNamespace:
    rows = [SimpleNamespace(name=n, value="x", confidence=c, corrected_by=corrected) for n, c in fields.items()]
    return SimpleNamespace(doc_type=doc_type, doc_type_confidence=type_confidence, fields=rows, checks=checks or [])


def reasons(rec: SimpleNamespace, **kwargs: object) -> list[str]:
    return routing_reasons(rec, params=kwargs.pop("params", PARAMS), accepted_types=kwargs.pop("accepted", None),  # type: ignore[arg-type]
                           page_problems=[])


def test_confident_complete_record_passes() -> None:
    assert reasons(record({"supplier_vat": 0.9, "total_amount": 0.97})) == []


def test_missing_required_field_and_low_confidence_are_reasons() -> None:
    got = reasons(record({"total_amount": 0.9}))
    assert "supplier_vat was not found" in got
    assert any(r.startswith("total_amount is uncertain (0.90 < 0.95)") for r in got)


def test_failed_check_type_doubt_and_unexpected_type() -> None:
    check = {"code": "totals_mismatch", "severity": "error", "message": "net 1 + VAT 1 ≠ total 3"}
    got = reasons(record({"supplier_vat": 0.99, "total_amount": 0.99}, type_confidence=0.5, checks=[check]),
                  accepted=["receipt"])
    assert "check failed: net 1 + VAT 1 ≠ total 3" in got
    assert any(r.startswith("unsure of the document type") for r in got)
    assert any("not one this pipeline expects" in r for r in got)


def test_a_reviewers_value_needs_no_threshold() -> None:
    assert reasons(record({"supplier_vat": 0.2, "total_amount": 0.2}, corrected="anna")) == []


def test_classifier_model_loads_and_is_versioned() -> None:
    assert load_model() is not None
    meta = json.loads((MODEL_DIR / "quinte_meta.json").read_text(encoding="utf-8"))
    assert meta["version"] and len(meta["training_data_sha256"]) == 64
    assert sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file()) < 5_000_000


@pytest.mark.parametrize(("kind", "layout"), [("invoice", "modern"), ("credit_note", "classic"), ("receipt", None)])
def test_ensemble_classifies_generated_documents(kind: str, layout: str | None) -> None:
    item = drawn(kind, "de", layout, seed=9)
    set_scorer(ensemble_scorer)
    try:
        doc_type, probability = classify(item.pages)
    finally:
        set_scorer(None)
    assert doc_type == kind
    assert probability > 0.8


def test_calibration_file_loads_fitted_and_monotone() -> None:
    calibrator = default_calibrator()
    assert "default" in calibrator.platt  # fitted by `python -m extract.calibrate`
    weak = confidence(Evidence(label=0.0, ocr=0.5, pattern=0.3), "total_amount")
    strong = confidence(Evidence(label=1.0, ocr=0.95, validator=True, arithmetic=True, pattern=0.9), "total_amount")
    assert 0.0 < weak < strong < 1.0


# ---------------------------------------------------------------- straight-through fixes (issue 4)


def test_a_non_eu_supplier_note_waives_only_the_vat_id() -> None:
    note = {"code": NON_EU_SUPPLIER, "field": "supplier_vat", "severity": "warning", "message": "EIN 40-0338084"}
    assert reasons(record({"total_amount": 0.97}, checks=[note])) == []
    # It waives nothing else, and another warning on the field waives nothing.
    assert reasons(record({}, checks=[note])) == ["total_amount was not found"]
    other = {**note, "code": "lines_unreliable"}
    assert reasons(record({"total_amount": 0.97}, checks=[other])) == ["supplier_vat was not found"]


def route(result: Extraction, params: RouteParams) -> list[str]:
    """The route stage's reasons for a record holding this extraction."""
    rows = [SimpleNamespace(name=f.name, value=f.value, confidence=f.confidence, corrected_by=None)
            for f in result.fields.values()]
    rec = SimpleNamespace(doc_type=result.doc_type, doc_type_confidence=result.doc_type_confidence, fields=rows,
                          checks=[c.as_json() for c in result.checks])
    return routing_reasons(rec, params=params, accepted_types=None, page_problems=[])  # type: ignore[arg-type]


US_INVOICE = page([
    (100, [(100, "Anderson Industries Corp.")]),
    (150, [(100, "84 Oak Avenue, Portland, OR 97201, USA")]),
    (200, [(100, "EIN 40-0338084")]),
    (300, [(100, "Invoice")]),
    (400, [(100, "Customer:"), (1400, "Invoice #: FT2026/3229")]),
    (450, [(100, "Idrotermica Adriatica S.r.l."), (1400, "Date: 01/11/2024")]),
    (500, [(100, "Viale dei Mille 101"), (1400, "Payment due: 03/11/2024")]),
    (550, [(100, "VAT No. IT00743110157")]),
    (700, [(100, "Product"), (1200, "Qty"), (1500, "Unit price"), (1800, "Tax rate"), (2100, "Line total")]),
    (760, [(100, "Engineering hours"), (1200, "2"), (1500, "45.00"), (1800, "0%"), (2100, "90.00")]),
    (1000, [(1500, "Subtotal"), (2100, "$ 90.00")]),
    (1060, [(1500, "Total VAT 0%"), (2100, "$ 0.00")]),
    (1120, [(1500, "Invoice total"), (2100, "$ 90.00")]),
    (1300, [(100, "Payment: Net 60")]),
])


def test_us_supplier_routes_without_vat_id_and_writes_the_month_first() -> None:
    result = extract([US_INVOICE])
    assert "supplier_vat" not in result.fields
    assert [c.code for c in result.checks] == [NON_EU_SUPPLIER]
    # The EIN anchors the letterhead as a VAT id would: name and address are vouched for.
    assert result.fields["supplier_name"].value == "Anderson Industries Corp."
    assert result.fields["supplier_address"].confidence >= 0.88
    assert result.fields["supplier_name"].confidence >= 0.88
    # 01/11 and 03/11 read both ways; a US seller means January 11 and March 11.
    assert (result.fields["issue_date"].value, result.fields["due_date"].value) == ("2024-01-11", "2024-03-11")
    params = RouteParams(required={"invoice": ["supplier_vat", "invoice_number", "issue_date", "total_amount"]},
                         thresholds={"default": 0.88, "total_amount": 0.9}, min_doc_type_confidence=0.8)
    assert "supplier_vat was not found" not in route(result, params)


def test_totals_row_beside_the_due_date_ends_the_lines_and_summary_rates_drop_the_rate() -> None:
    pages = [page([
        (100, [(100, "Grafiche Adriatica S.n.c.")]),
        (150, [(100, "Via Garibaldi 144, 35121 Padova (PD)")]),
        (200, [(100, "P.IVA IT00743110157")]),
        (300, [(100, "FATTURA N. 587/2026"), (1400, "Data 26/04/2026")]),
        (400, [(100, "Descrizione"), (1200, "Quantità"), (1500, "Prezzo"), (1800, "IVA %"), (2100, "Totale")]),
        (460, [(100, "Volumi tecnici"), (1200, "2"), (1500, "50,00"), (1800, "N4"), (2100, "100,00")]),
        (520, [(100, "Consulenza"), (1200, "1"), (1500, "100,00"), (1800, "22%"), (2100, "100,00")]),
        (580, [(100, "Scadenza pagamento: 26/05/2026"), (1500, "Imponibile"), (2100, "200,00 €")]),
        (640, [(1500, "IVA 22%"), (2100, "22,00 €")]),
        (700, [(1500, "Esente N4"), (2100, "0,00 €")]),
        (760, [(1500, "Totale fattura"), (2100, "222,00 €")]),
    ])]
    result = extract(pages)
    assert [line["amount"] for line in result.lines] == ["100.00", "100.00"]
    assert [line["vat_rate"] for line in result.lines] == ["0", "22"]
    assert "vat_rate" not in result.fields  # two rates: no document rate
    assert [c for c in result.checks if c.severity == "error"] == []


def test_a_total_without_cents_and_a_truncated_legal_form_go_to_review() -> None:
    pages = [page([
        (100, [(100, "Rossi Forniture S.r.l.")]),
        (150, [(100, "Via Roma 1, 20121 Milano")]),
        (200, [(100, "P.IVA IT00743110157")]),
        (300, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
        (400, [(1400, "Spett.le")]),
        (450, [(1400, "Bianchi Lombarda S.r.")]),
        (800, [(1500, "Totale")]),
        (860, [(1500, "Bonifico 30 gg")]),
    ])]
    result = extract(pages)
    assert result.fields["total_amount"].value == "30.00"
    assert result.fields["total_amount"].confidence < 0.9
    assert result.fields["customer_name"].confidence < 0.88
    got = route(result, RouteParams(required={"invoice": ["total_amount"]},
                                    thresholds={"default": 0.88, "total_amount": 0.9}))
    assert any(r.startswith("total_amount is uncertain") for r in got)
    assert any(r.startswith("customer_name is uncertain") for r in got)


# The auto pipeline's thresholds (pipelines.yaml).
AUTO = RouteParams(required={"invoice": ["supplier_vat", "invoice_number", "issue_date", "total_amount"]},
                   thresholds={"default": 0.88, "total_amount": 0.9, "supplier_vat": 0.9, "invoice_number": 0.9},
                   min_doc_type_confidence=0.8)


def _invoice(head: list[tuple[int, list[tuple[int, str]]]], *, terms: str = "Bonifico bancario 30 gg d.f.",
             ) -> Extraction:
    return extract([page([
        *head,
        (400, [(1400, "Spett.le")]),
        (450, [(1400, "Bianchi Lombarda S.p.A.")]),
        (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
        (1200, [(1500, "Imponibile"), (2100, "120,00")]),
        (1260, [(1500, "IVA 22%"), (2100, "26,40")]),
        (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")]),
        (1560, [(100, f"Modalità di pagamento: {terms}")]),
    ])])


SELLER = [(100, [(100, "Rossi Forniture S.r.l.")]), (150, [(100, "Via Roma 1, 20121 Milano")]),
          (200, [(100, "P.IVA IT00743110157")])]


def test_a_clean_invoice_passes_the_auto_route() -> None:
    assert route(_invoice(SELLER), AUTO) == []
    assert route(_invoice(SELLER, terms="RiBa 30 gg"), AUTO) == []  # "RiBa" is how it is written


@pytest.mark.parametrize(("head", "terms", "field"), [
    # A capital read as a small letter in a name that capitalises its words.
    ([(100, [(100, "Miller industries LLC")]), *SELLER[1:]], None, "supplier_name"),
    # Another column's text run into the terms ("fattura" + "Totale").
    (SELLER, "Bonifico a 60 giorni data fattUnkale", "payment_terms"),
    # An accent Spanish does not write, in a word the lexicon does not know.
    ([(100, [(100, "Garcia Suministros S.L.")]), (150, [(100, "Calle Mayor 12, 28013 Madrïd, Spain")]),
      (200, [(100, "NIF ESB12345674")])], None, "supplier_address"),
])
def test_damage_that_cannot_be_repaired_sends_the_field_to_review(head: list[tuple[int, list[tuple[int, str]]]],
                                                                  terms: str | None, field: str) -> None:
    result = _invoice(head, **({"terms": terms} if terms else {}))
    assert result.fields[field].confidence < 0.8  # well under the threshold, not at its edge
    assert [r for r in route(result, AUTO) if not r.startswith(f"{field} is uncertain")] == []


def test_an_address_word_ocr_was_unsure_of_sends_the_address_to_review() -> None:
    assert _invoice(SELLER).fields["supplier_address"].confidence >= 0.88
    pages = [page([*SELLER, (700, [(100, "FATTURA N. 2025/17")]),
                   (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")])])]
    unsure = [replace(w, confidence=0.75) if w.text == "1," else w for w in pages[0].words]
    fields = extract([PageWords(1, 2480, 3508, unsure)]).fields
    assert fields["supplier_address"].value == "Via Roma 1, 20121 Milano"
    assert fields["supplier_address"].confidence < 0.88


def test_a_total_without_cents_stays_under_its_threshold_however_sure_the_ocr() -> None:
    pages = [page([*SELLER, (300, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
                   (800, [(1500, "Totale")]), (860, [(1500, "Bonifico 30 gg")])])]
    sure = [PageWords(1, 2480, 3508, [replace(w, confidence=0.97) for w in pages[0].words])]
    total = extract(sure).fields["total_amount"]
    assert total.value == "30.00" and total.confidence < 0.85


def test_a_sellers_vat_id_with_no_sellers_name_above_it_needs_a_person() -> None:
    """A worst scan lost the letterhead and the buyer's label: the one VAT id read may be the buyer's."""
    pages = [page([
        (1115, [(1400, "IT 00743110157")]),
        (1412, [(100, "Rechnungsnummer 2024002362"), (1400, "Rechnungsdatum 01.08.2024")]),
        (2240, [(1500, "Endbetrag"), (2100, "26.816,97")]),
    ])]
    result = extract(pages, doc_type="invoice")  # so little text that classification is not what is tested
    assert "supplier_name" not in result.fields
    assert result.fields["supplier_vat"].value == "IT00743110157"
    assert any(r.startswith("supplier_vat is uncertain") for r in route(result, AUTO))
    # The same id under a letterhead is the seller's.
    anchored = extract([page([(100, [(1400, "Rossi Forniture S.r.l.")]), *page_rows(pages[0])])], doc_type="invoice")
    assert anchored.fields["supplier_vat"].confidence >= 0.9


def page_rows(p: PageWords) -> list[tuple[int, list[tuple[int, str]]]]:
    """A page's words back as (y, [(x, text)]) rows, one item per word."""
    rows: dict[int, list[tuple[int, str]]] = {}
    for w in p.words:
        rows.setdefault(w.bbox[1], []).append((w.bbox[0], w.text))
    return sorted(rows.items())
