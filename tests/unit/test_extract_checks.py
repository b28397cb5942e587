"""Arithmetic, date and identifier checks, the joint choice of totals, and confidence calibration."""

from __future__ import annotations

from decimal import Decimal as D

from core.document import ExtractedField
from extract.checks import (
    NON_EU_SUPPLIER,
    Candidate,
    check_lines,
    check_non_eu_supplier,
    check_totals,
    check_vat_rate,
    choose_totals,
    run_checks,
)
from extract.confidence import Calibrator, Evidence, confidence, fit
from extract.lines import line_rate
from extract.normalize import fix_address_ocr, fix_company_ocr, fix_terms_ocr, legal_form_ok
from extract.validators import is_vat_rate


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


def test_figures_without_a_label_count_only_when_they_add_up_and_vat_is_never_above_the_net() -> None:
    # "Totale imponibile" and "Totale documento" garbled: the totals block's unlabelled figures complete it.
    unlabelled = [Candidate(v, 0.0) for v in ("17826.14", "82442.86", "100269.00")]
    nets = [Candidate("81027.91", 1.2), *unlabelled]
    vats = [Candidate("17826.14", 1.1), *unlabelled]
    totals = [Candidate("82442.86", 1.2), *unlabelled]
    net, vat, total, consistent = choose_totals(nets, vats, totals)
    assert (net.value, vat.value, total.value, consistent) == ("82442.86", "17826.14", "100269.00", True)
    net, vat, _, _ = choose_totals(unlabelled, unlabelled, unlabelled)  # nothing labelled: VAT is the smaller
    assert (net.value, vat.value) == ("82442.86", "17826.14")
    # Labelled figures that agree always win over unlabelled ones that also agree.
    net, vat, total, _ = choose_totals([Candidate("100.00", 0.9), Candidate("10.00", 0.0)],
                                       [Candidate("22.00", 0.8), Candidate("112.00", 0.0)],
                                       [Candidate("122.00", 0.7), Candidate("122.00", 0.0)])
    assert (net.value, vat.value, total.value) == ("100.00", "22.00", "122.00")


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


# ---------------------------------------------------------------- straight-through fixes (issue 4)


def test_lines_off_a_confirmed_net_are_a_warning_not_an_error() -> None:
    fields = {n: f(n, v) for n, v in {"net_amount": "100.00", "vat_amount": "22.00", "total_amount": "122.00"}.items()}
    lines = [{"amount": "100.00"}, {"amount": "100.00"}]  # the totals row read as one more line
    checks = {c.code: c for c in run_checks(fields, lines)}
    assert set(checks) == {"lines_unreliable"} and checks["lines_unreliable"].severity == "warning"
    # Without net + VAT = total nothing vouches for the net: the lines disagreeing is an error on it.
    fields["total_amount"] = f("total_amount", "150.00")
    assert {c.code: c.severity for c in run_checks(fields, lines)}["lines_mismatch"] == "error"
    # A total computed from the other two confirms nothing.
    fields["total_amount"] = ExtractedField("total_amount", "122.00", 0.9, source="computed")
    assert "lines_mismatch" in {c.code for c in run_checks(fields, lines)}


def test_vat_mismatch_message_prints_plain_rates() -> None:
    check = check_vat_rate({D(10): D("100.00"), D(22): D("50.00")}, D("5.00"))
    assert check is not None and "× 10%" in check.message and "E+" not in check.message


def test_line_rate_reads_natura_codes_and_rejects_numbers_no_country_charges() -> None:
    assert line_rate(["N4"]) == "0"
    assert line_rate(["O%N1"]) == "0"  # "0%N1" with the zero read as a letter
    assert line_rate(["5", "6,46", "22%"]) == "22"  # a misaligned column: the word with % is the rate
    assert line_rate(["56,4622"]) is None
    assert line_rate(["1,194"]) is None
    assert line_rate(["5,5 %"]) == "5.5"
    assert is_vat_rate("22") and is_vat_rate("0") and is_vat_rate("5.5")
    assert not is_vat_rate("6.26") and not is_vat_rate("51.28") and not is_vat_rate("x")


def test_non_eu_supplier_note_only_without_a_vat_id() -> None:
    note = check_non_eu_supplier({}, "EIN 40-0338084")
    assert note is not None and note.code == NON_EU_SUPPLIER and note.severity == "warning"
    assert note.field == "supplier_vat" and "EIN 40-0338084" in note.message
    assert check_non_eu_supplier({"supplier_vat": f("supplier_vat", "DE123456789")}, "EIN 40-0338084") is None
    assert check_non_eu_supplier({}, None) is None


def test_company_and_terms_ocr_repairs() -> None:
    assert fix_company_ocr("Ferramenta Italia S.r..s.") == "Ferramenta Italia S.r.l.s."
    assert fix_company_ocr("Officine Lombarda $.n.c.") == "Officine Lombarda S.n.c."
    assert fix_company_ocr("Elettroimpianti Italia S.a.S.") == "Elettroimpianti Italia S.a.s."
    assert fix_company_ocr("ROSSI S.A.S.") == "ROSSI S.A.S."  # all capitals is a style, not damage
    assert legal_form_ok("Bianchi S.p.A.") is True
    assert legal_form_ok("Elettroimpianti Lombarda S.r.") is False
    assert legal_form_ok("Forniture Lombarda Sr") is False
    assert legal_form_ok("Provincia di Palermo") is None
    assert fix_terms_ocr("Paiement a 30 jours date de facture") == "Paiement à 30 jours date de facture"
    assert fix_terms_ocr("Pago a 30 dias fecha factura") == "Pago a 30 días fecha factura"
    assert fix_terms_ocr("Uberweisung") == "Überweisung"
    assert fix_address_ocr("HauptstraBe 102, 20095 Hamburg") == "Hauptstraße 102, 20095 Hamburg"
