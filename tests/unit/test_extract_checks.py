"""Arithmetic, date and identifier checks, the joint choice of totals, and confidence calibration."""

from __future__ import annotations

from decimal import Decimal as D

from core.document import ExtractedField
from extract.checks import Candidate, check_lines, check_totals, check_vat_rate, choose_totals, run_checks
from extract.confidence import Calibrator, Evidence, confidence, fit


def f(name: str, value: str) -> ExtractedField:
    return ExtractedField(name, value, 0.9)


def test_totals_and_vat_per_rate() -> None:
    assert check_totals(D("100.00"), D("22.00"), D("122.00")) is None
    assert check_totals(D("100.00"), D("22.00"), D("122.01")) is None  # within a cent
    assert (
        check_totals(D("100.00"), D("22.00"), D("120.00")).message == "net 100.00 + VAT 22.00 ≠ total 120.00"
    )
    assert check_vat_rate({D(22): D("100.00"), D(10): D("50.00")}, D("27.00")) is None
    mismatch = check_vat_rate({D(22): D("100.00")}, D("20.00"))
    assert mismatch is not None and mismatch.code == "vat_mismatch" and mismatch.field == "vat_amount"


def test_lines_sum_to_net_within_a_cent_per_line() -> None:
    assert check_lines([D("33.33"), D("33.33"), D("33.33")], D("100.00")) is None
    assert check_lines([D("10.00"), D("20.00")], D("40.00")).code == "lines_mismatch"


def test_run_checks_dates_ids_and_lines() -> None:
    fields = {
        name: f(name, value)
        for name, value in {
            "net_amount": "150.00",
            "vat_amount": "27.00",
            "total_amount": "177.00",
            "issue_date": "2025-04-21",
            "due_date": "2025-04-01",
            "supplier_vat": "IT01234567890",
            "supplier_tax_code": "RSSMRA80A01H501V",
            "iban": "IT60X0542811101000000123457",
        }.items()
    }
    lines = [{"amount": "100.00", "vat_rate": "22"}, {"amount": "50.00", "vat_rate": "10"}]
    checks = {c.code: c for c in run_checks(fields, lines)}
    assert set(checks) == {
        "due_before_issue",
        "invalid_supplier_vat",
        "invalid_supplier_tax_code",
        "invalid_iban",
    }
    assert checks["due_before_issue"].severity == "warning"
    assert checks["invalid_supplier_vat"].message == "P.IVA 01234567890 fails the check digit"


def test_choose_totals_prefers_a_consistent_combination() -> None:
    nets = [Candidate("100.00", 0.9), Candidate("10.00", 0.95)]
    vats = [Candidate("22.00", 0.8)]
    totals = [Candidate("12.20", 1.0), Candidate("122.00", 0.7)]
    net, vat, total, consistent = choose_totals(nets, vats, totals)
    assert (net.value, vat.value, total.value, consistent) == ("100.00", "22.00", "122.00", True)


def test_confidence_is_monotone_and_fittable() -> None:
    base = Evidence(label=0.9, ocr=0.9, pattern=0.8)
    assert confidence(Evidence(label=0.9, ocr=0.9, pattern=0.8, validator=True)) > confidence(base)
    assert confidence(Evidence(label=0.9, ocr=0.9, pattern=0.8, arithmetic=False)) < confidence(base)
    assert confidence(Evidence(ocr=0.5)) < confidence(base)
    samples = [(Evidence(label=1.0, ocr=0.95, validator=True), True)] * 20 + [(Evidence(ocr=0.4), False)] * 20
    weights, bias = fit(samples)
    calibrator = Calibrator(weights, bias)
    assert calibrator.predict(Evidence(label=1.0, ocr=0.95, validator=True)) > 0.8
    assert calibrator.predict(Evidence(ocr=0.4)) < 0.2
    assert Calibrator.from_json(calibrator.to_json()).predict(base) == calibrator.predict(base)
