"""Invoicing rules without a database: OCR-tolerant numbers, payment terms, credit-note references, totals, pain.001."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from core.config import ConfigError, PipelinesConfig
from invoicing.active import base36, format_number
from invoicing.config import parse_invoicing
from invoicing.duplicates import from_cents, normalise_number, normalise_vat, to_cents, within_one_edit
from invoicing.fatturapa_out import ActiveInvoice, compute_totals
from invoicing.models import Payable, PaymentRunItem, Supplier
from invoicing.payables import _CORRECTS
from invoicing.payments import build_pain001, remittance, validate_pain001
from invoicing.terms import Due, instalments, split_cents, term_days
from invoicing.values import round_cents

ADDRESS = {"street": "Via Roma", "postcode": "00100", "city": "Roma", "country": "IT"}


def test_ocr_confusions_normalise_to_the_same_number() -> None:
    assert normalise_number("FT 2026/0O1") == normalise_number("FT2026-001") == normalise_number("ft2026.OO1")
    assert normalise_number("I5/2026") == normalise_number("15/2026") == normalise_number("lS-2026")
    assert normalise_vat("01234567890") == normalise_vat("IT 0123 4567 890") == "IT01234567890"
    assert normalise_vat("DE123456789") == "DE123456789"


@pytest.mark.parametrize(("a", "b", "close"), [
    ("123", "123", True), ("123", "124", True), ("123", "1234", True), ("1234", "123", True),
    ("123", "13", True), ("123", "321", False), ("12345", "123", False), ("", "1", True),
])
def test_within_one_edit_is_levenshtein_le_1(a: str, b: str, close: bool) -> None:
    assert within_one_edit(a, b) is close


def test_cents_round_trip_exactly() -> None:
    assert to_cents("14001.38") == 1400138 and to_cents("-25.00") == -2500 and to_cents("x") is None
    assert from_cents(1400138) == "14001.38" and from_cents(-1) == "-0.01"


@pytest.mark.parametrize(("text", "expected"), [
    ("Bonifico bancario 30 gg d.f.", ([30], False)),
    ("RiBa 30/60/90 gg d.f.f.m.", ([30, 60, 90], True)),
    ("Net 45", ([45], False)),
    ("Zahlbar innerhalb von 14 Tagen ohne Abzug", ([14], False)),
    ("Rimessa diretta", ([0], False)),
    ("Überweisung", None),
])
def test_payment_terms_are_read(text: str, expected: tuple[list[int], bool] | None) -> None:
    assert term_days(text) == expected


def test_instalments_split_exactly_and_run_to_month_end() -> None:
    dues = instalments(100001, date(2026, 1, 15), due=None, terms="RiBa 30/60/90 gg f.m.", default_days=30)
    assert dues == [Due(date(2026, 2, 28), 33333), Due(date(2026, 3, 31), 33333), Due(date(2026, 4, 30), 33335)]
    assert sum(d.amount_cents for d in dues) == 100001
    assert instalments(500, date(2026, 1, 15), due=date(2026, 3, 1), terms="30 gg", default_days=30) == [
        Due(date(2026, 3, 1), 500)]
    assert instalments(500, date(2026, 1, 15), due=None, terms=None, default_days=30) == [Due(date(2026, 2, 14), 500)]
    assert split_cents(-1001, 2) == [-500, -501]


@pytest.mark.parametrize(("text", "number"), [
    ("Nota di credito a storno della fattura n. 123/2026 - 12/03/2026", "123/2026"),
    ("NOTA DI CREDITO rif. fattura n. FT2026/0042", "FT2026/0042"),
    ("Credit note relating to invoice no. INV-2026-0007 - 03/02/2026", "INV-2026-0007"),
    ("Gutschrift zur Rechnung Nr. 26-00412", "26-00412"),
    ("Avoir relatif à la facture n° A123", "A123"),
])
def test_credit_note_reference_is_found_on_the_page(text: str, number: str) -> None:
    found = _CORRECTS.search(text)
    assert found is not None and found.group(1).rstrip(".-/") == number


def test_totals_on_awkward_amounts_round_once_per_rate() -> None:
    lines = [{"description": f"riga {i}", "quantity": "3", "unit_price": "0.333", "vat_rate": "22"} for i in range(7)]
    lines += [{"description": "libro", "quantity": "1.5", "unit_price": "10.01", "vat_rate": "4"},
              {"description": "esente", "quantity": "1", "unit_price": "0.01", "vat_rate": "0", "natura": "N4"}]
    invoice = ActiveInvoice.model_validate({
        "supplier": {"name": "Noi S.r.l.", "vat_id": "IT03123456786", "address": ADDRESS},
        "customer": {"name": "Voi S.p.A.", "vat_id": "IT07654321095", "address": ADDRESS},
        "number": "2026/A/00001", "issue_date": "2026-03-01", "progressive": "00001", "lines": lines,
    })
    totals = compute_totals(invoice)
    # 3 × 0.333 = 0.999 → 1.00 per line; 7 lines = 7.00; VAT 22% of 7.00 = 1.54 (not 7 × 0.22)
    by_rate = {(s.rate, s.natura): (s.taxable, s.tax) for s in totals.summaries}
    assert by_rate[(Decimal("22"), None)] == (Decimal("7.00"), Decimal("1.54"))
    assert by_rate[(Decimal("4"), None)] == (Decimal("15.02"), Decimal("0.60"))  # 15.015 → 15.02 half-up
    assert by_rate[(Decimal("0"), "N4")] == (Decimal("0.01"), Decimal("0.00"))
    assert (totals.net, totals.vat, totals.total) == (Decimal("22.03"), Decimal("2.14"), Decimal("24.17"))
    assert round_cents(Decimal("0.005")) == Decimal("0.01") and round_cents(Decimal("-0.005")) == Decimal("-0.01")


def test_invoice_numbers_and_sdi_progressives() -> None:
    assert format_number("A", 2026, 7) == "2026/A/00007"
    assert base36(1) == "00001" and base36(36) == "00010" and base36(36 ** 5 - 1) == "ZZZZZ"


def test_invoicing_section_is_validated() -> None:
    base = {"pipelines": {}}
    good = parse_invoicing(PipelinesConfig.model_validate({**base, "invoicing": {
        "bank_account": {"name": "Noi", "iban": "it60 x054 2811 1010 0000 0123 456", "bic": "BLOPIT22"}}}))
    assert good.bank_account is not None and good.bank_account.iban == "IT60X0542811101000000123456"
    assert str(good.fatturapa_schema).endswith("FatturaPA_v1.2.2.xsd")
    with pytest.raises(ConfigError, match="iban"):
        # a mistyped IBAN (the CIN letter) is refused when the configuration is read
        parse_invoicing(PipelinesConfig.model_validate({**base, "invoicing": {
            "bank_account": {"name": "Noi", "iban": "IT60Y0542811101000000123456"}}}))
    with pytest.raises(ConfigError, match="series"):
        parse_invoicing(PipelinesConfig.model_validate({**base, "invoicing": {"series": ["A/B"]}}))


def test_pain001_validates_and_carries_invoice_numbers() -> None:
    from invoicing.config import BankAccount

    bank = BankAccount(name="Esempio S.r.l.", iban="IT60X0542811101000000123456", bic="BLOPIT22")
    supplier = Supplier(name="Fornitore Società à r.l.", vat_id="IT12345678903", iban="DE89370400440532013000")
    payable = Payable(id="p" * 32, number="FT2026/0042", issue_date=date(2026, 3, 2), supplier=supplier,
                      iban=None, total_cents=1388_40)
    item = PaymentRunItem(payable_id=payable.id, amount_cents=1388_40, end_to_end_id="Q1234",
                          remittance=remittance(payable), credit_note_ids=[])
    xml, message_id = build_pain001(bank, date(2026, 4, 1), [item], {payable.id: payable})
    validate_pain001(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    root = etree.fromstring(xml)
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns) == message_id
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "1388.40"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=ns) == "IT60X0542811101000000123456"
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=ns) == "2026-04-01"
    tx = root.find(".//p:CdtTrfTxInf", ns)
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == "DE89370400440532013000"
    assert tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns) == "Fattura n. FT2026/0042 del 02/03/2026"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) == "Q1234"
