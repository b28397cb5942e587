"""Identifier validators: valid, invalid and OCR-damaged P.IVA, codice fiscale, EU VAT ids and IBANs."""

from __future__ import annotations

from stdnum.iso7064 import mod_97_10

from extract.normalize import normalize_iban, normalize_vat_id
from extract.validators import validate_iban, validate_piva, validate_tax_code, validate_vat_id


def test_piva() -> None:
    assert validate_piva("00743110157") == (True, "ok")
    assert validate_piva("IT00743110157")[0]
    ok, reason = validate_piva("01234567890")  # the official FatturaPA sample
    assert not ok and reason == "P.IVA 01234567890 fails the check digit"
    assert not validate_piva("0074311015")[0]
    # OCR damage: an O for a 0 is repaired by the normaliser, then the number validates.
    assert validate_vat_id(normalize_vat_id("IT OO743110157") or "")[0]


def test_tax_code_with_omocodia() -> None:
    assert validate_tax_code("RSSMRA80A01H501U")[0]
    assert validate_tax_code("RSSMRA80A01H50MM")[0]  # omocodic: last digit replaced by a letter
    ok, reason = validate_tax_code("RSSMRA80A01H501V")
    assert not ok and "check character" in reason
    assert not validate_tax_code("RSSMRA8OA01H501U")[0]  # O read for 0 in the birth year
    assert validate_tax_code("00743110157")[0]  # a company's CF is its P.IVA


def test_eu_vat_ids() -> None:
    assert validate_vat_id("DE136695976")[0]
    assert validate_vat_id("FR40303265045")[0]
    ok, reason = validate_vat_id("DE136695977")
    assert not ok and "DE136695977" in reason


def test_iban_with_italian_cin() -> None:
    assert validate_iban("IT60X0542811101000000123456")[0]
    ok, reason = validate_iban("IT60X0542811101000000123457")
    assert not ok and "check digits" in reason
    # A wrong CIN with recomputed ISO check digits: only the national check catches it.
    bban = "Y0542811101000000123456"
    wrong_cin = "IT" + mod_97_10.calc_check_digits(bban + "IT") + bban
    ok, reason = validate_iban(wrong_cin)
    assert not ok and "CIN" in reason
    assert not validate_iban("IT60X054281110100000012345")[0]
    assert validate_iban(normalize_iban("IT6O X054 2811 1010 0000 0123 456") or "")[0]  # OCR-damaged
