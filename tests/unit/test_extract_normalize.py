"""Canonical values from OCR strings in Italian, English, German, French and Spanish, OCR damage included."""

from __future__ import annotations

import pytest

from extract.normalize import (
    find_amounts,
    normalize_amount,
    normalize_currency,
    normalize_date,
    normalize_iban,
    normalize_percentage,
    normalize_tax_code,
    normalize_vat_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", "1234.56"),  # it/de/es/fr
        ("1,234.56", "1234.56"),  # en
        ("1 234,56", "1234.56"),  # fr
        ("1'234.56", "1234.56"),  # ch
        ("€ 12,50", "12.50"),
        ("EUR 1.000", "1000.00"),
        ("-25,00", "-25.00"),
        ("25,00-", "-25.00"),
        ("(12.00)", "-12.00"),
        ("12,5", "12.50"),
        ("1O0,5O", "100.50"),  # O read for 0
        ("l.234,56", "1234.56"),  # l read for 1
        ("1234 56", "1234.56"),  # decimal comma lost, a space left in its place
        ("RM73.00", "73.00"),
        ("1.234.567,89", "1234567.89"),
    ],
)
def test_amounts(raw: str, expected: str) -> None:
    assert normalize_amount(raw) == expected


def test_amount_lost_decimal_comma_when_cents_are_known() -> None:
    assert normalize_amount("12350", assume_cents=True) == "123.50"
    assert normalize_amount("12350") == "12350.00"


@pytest.mark.parametrize("raw", ["", "abc", "IVA", "--"])
def test_not_amounts(raw: str) -> None:
    assert normalize_amount(raw) is None


def test_find_amounts_keeps_numbers_apart() -> None:
    assert [v for _, _, v in find_amounts("235851415 250.00")] == ["235851415.00", "250.00"]


def test_find_amounts_joins_a_figure_ocr_spaced_after_its_separators() -> None:
    """Faint print: Tesseract reads "100.269,00" as "100. 269, 00"; with thousands and cents it is one amount."""
    assert [v for _, _, v in find_amounts("Totale documento (EUR) 100. 269, 00")] == ["100269.00"]
    assert [v for _, _, v in find_amounts("IVA 17. 826, 14")] == ["17826.14"]
    assert [v for _, _, v in find_amounts("1. 250 fogli")] == ["1.00", "250.00"]  # a numbered line, no cents
    assert [v for _, _, v in find_amounts("3 pezzi 747, 41")] == ["3.00", "747.00", "41.00"]  # no thousands


@pytest.mark.parametrize(
    "raw",
    [
        "21/04/2025",
        "21.04.25",
        "21-04-2025",
        "2025-04-21",
        "21 aprile 2025",
        "21 Aprile 2025",  # it
        "21 April 2025",
        "April 21, 2025",
        "21st April 2025",  # en
        "21. April 2025",  # de
        "21 avril 2025",  # fr
        "21 de abril de 2025",
        "21 abr 2025",  # es
        "Data: 21/O4/2025",  # O read for 0
        "Date:21- 04- -2025",  # a separator read twice
        "21/04/2025 10:15:02",
    ],
)
def test_dates(raw: str) -> None:
    assert normalize_date(raw) == "2025-04-21"


def test_dates_other_months_and_languages() -> None:
    assert normalize_date("3. März 2024") == "2024-03-03"
    assert normalize_date("1er janvier 2025") == "2025-01-01"
    assert normalize_date("15 dicembre 2023") == "2023-12-15"
    assert normalize_date("02/JAN/2017") == "2017-01-02"
    assert normalize_date("04/21/2025") == "2025-04-21"  # only the month-first reading is a date
    assert normalize_date("Date:D2/02/17 19:46") == "2017-02-02"  # D read for 0
    assert normalize_date("SKU D2/02") is None
    assert normalize_date("30/07/2617") == "2017-07-30"  # the year's 0 read as a 6
    assert normalize_date("30/07/2099") == "2099-07-30"


@pytest.mark.parametrize("raw", ["31/02/2025", "no date here", "12/3-32", "10/120"])
def test_not_dates(raw: str) -> None:
    assert normalize_date(raw) is None


def test_percentages_and_currencies() -> None:
    assert normalize_percentage("22%") == "22"
    assert normalize_percentage("5,5 %") == "5.5"
    assert normalize_percentage("22,00") == "22"
    assert normalize_percentage("250%") is None
    assert normalize_currency("€") == "EUR"
    assert normalize_currency("Euro") == "EUR"
    assert normalize_currency("£") == "GBP"
    assert normalize_currency("RM") == "MYR"
    assert normalize_currency("nothing") is None


def test_identifiers() -> None:
    assert normalize_vat_id("IT 01234567890") == "IT01234567890"
    assert normalize_vat_id("P.IVA 01234567890") == "IT01234567890"
    assert normalize_vat_id("P.IVA 0123456789O") == "IT01234567890"  # O read for 0
    assert normalize_vat_id("DE123456789") == "DE123456789"
    assert normalize_vat_id("USt-IdNr.: DE 123 456 789") == "DE123456789"
    assert normalize_vat_id("P.IVA 123") is None
    assert normalize_tax_code("rssmra80a01h501u") == "RSSMRA80A01H501U"
    assert normalize_tax_code("C.F. RSSMRA80A01H50MM") == "RSSMRA80A01H50MM"  # omocodia kept as printed
    assert normalize_tax_code("00743110157") == "00743110157"
    assert normalize_tax_code("RSSMRA") is None
    assert normalize_iban("IBAN: it60 x054 2811 1010 0000 0123 456") == "IT60X0542811101000000123456"
    assert normalize_iban("IBAN IT6O X054 2811 1010 0000 0123 456") == "IT60X0542811101000000123456"
    assert normalize_iban("IT60") is None


def test_address_ocr_confusions() -> None:
    from extract.normalize import fix_address_ocr

    assert fix_address_ocr("Corso Vittorio Emanuele Il 39, 30121 Venezia (VE)") == (
        "Corso Vittorio Emanuele II 39, 30121 Venezia (VE)"
    )
    assert fix_address_ocr("50123 Firenze (Fl)") == "50123 Firenze (FI)"
    assert fix_address_ocr("Via Il Gabbiano, 20100 Milano (MI)") == "Via Il Gabbiano, 20100 Milano (MI)"
