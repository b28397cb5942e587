"""Routing decisions (extract/routing.py), the trained classifier model and the shipped calibration."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from extract.classify import classify, set_scorer
from extract.confidence import Evidence, confidence, default_calibrator
from extract.evaluation import drawn
from extract.routing import RouteParams, routing_reasons
from extract.textcat import MODEL_DIR, ensemble_scorer, load_model

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
