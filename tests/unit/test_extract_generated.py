"""Field extraction on generated pages of every invoice layout and language, OCR damage, and one OCR'd page."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.document import PageWords
from extract.engine import extract
from extract.evaluation import drawn, same_value
from extract.invoice import _iban_length
from extract.normalize import normalize_vat_id
from extract.receipt import extract_receipt

LANGUAGES = ("it", "en", "de", "fr", "es")
LAYOUTS = ("classic", "modern", "compact")
# The fields a back office books from: each must be exactly right on clean generated pages.
CORE = ("supplier_vat", "issue_date", "total_amount", "currency")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_invoice_fields_on_every_layout_and_language(language: str, layout: str) -> None:
    item = drawn("invoice", language, layout, seed=0)
    result = extract(item.pages)
    assert result.doc_type == "invoice"
    got = {name: f.value for name, f in result.fields.items()}
    for name in (n for n in CORE if n in item.fields):  # a US supplier has no VAT id
        assert same_value(name, got.get(name), item.fields[name]), (name, got.get(name), item.fields[name])
    right = sum(same_value(k, got.get(k), v) for k, v in item.fields.items())
    assert right / len(item.fields) >= 0.8, {k: (got.get(k), v) for k, v in item.fields.items()}
    for found in result.fields.values():
        assert 0.0 <= found.confidence <= 1.0
        assert found.source == "computed" or found.source == "lines" or found.page == 1


def test_supplier_address_and_customer_tax_code() -> None:
    item = drawn("invoice", "it", "classic", seed=3)
    got = {name: f.value for name, f in extract(item.pages).fields.items()}
    assert got["supplier_address"] == item.fields["supplier_address"]
    if "customer_tax_code" in item.fields:
        assert got["customer_tax_code"] == item.fields["customer_tax_code"]


def _damaged(page: PageWords, old: str, new: str) -> PageWords:
    return PageWords(page.page, page.width, page.height,
                     [replace(w, text=w.text.replace(old, new)) if old in w.text else w for w in page.words])


def test_ocr_damaged_total_still_read() -> None:
    item = drawn("invoice", "it", "classic", seed=1)
    total = item.fields["total_amount"]
    printed = f"{float(total):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    damaged = printed.replace("0", "O", 1) if "0" in printed else printed
    pages = [_damaged(p, printed, damaged) for p in item.pages]
    assert extract(pages).fields["total_amount"].value == total


def test_iban_with_a_word_glued_on_is_cut_to_its_country_length() -> None:
    assert _iban_length("IT83T0103035345196184928155IVA5") == "IT83T0103035345196184928155"
    assert _iban_length("DE20342583729194125641") == "DE20342583729194125641"


def test_spanish_nif_keeps_its_letters() -> None:
    assert normalize_vat_id("ESB20112306") == "ESB20112306"
    assert normalize_vat_id("IT 0I234567890") == "IT01234567890"


def test_credit_note_number_is_not_the_reversed_invoice() -> None:
    item = drawn("credit_note", "en", "compact", seed=0)
    result = extract(item.pages)
    assert result.doc_type == "credit_note"
    assert result.fields["invoice_number"].value == item.fields["invoice_number"]


def test_one_ocr_page(tmp_path: Path) -> None:
    """A real Tesseract pass over a clean generated receipt: total and date survive recognition."""
    from ocr.engine import recognise
    from samples.generate import generate

    sample = generate(tmp_path, count=1, seed=31, kinds=["receipt"], levels=[0], formats=["png"])[0]
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    image = np.asarray(Image.open(sample.path).convert("L"))
    words = recognise(image, page=1, languages="ita+eng")
    fields = extract_receipt([words])
    assert fields["total_amount"].value == truth["fields"]["total_amount"]
    assert fields["issue_date"].value == truth["fields"]["issue_date"]


# ---------------------------------------------------------------- classes of errors found on tuning seeds 1001-1003


def _got(item_pages: list[PageWords]) -> dict[str, object]:
    return {name: f.value for name, f in extract(item_pages).fields.items()}


@pytest.mark.parametrize(("kind", "language", "layout", "seed"), [
    ("invoice", "it", "modern", 100100),  # "Fattura di vendita" in a large font close beside the name
    ("credit_note", "es", "modern", 100302),  # "FACTURA RECTIFICATIVA  García Servicios S.A."
    ("credit_note", "it", "classic", 100100),  # "Edilnord del Nord S.p.A.": "del" is not a date label here
])
def test_supplier_name_and_address_beside_a_title_or_with_a_label_word(kind: str, language: str, layout: str,
                                                                        seed: int) -> None:
    item = drawn(kind, language, layout, seed=seed)
    got = _got(item.pages)
    assert got["supplier_name"] == item.fields["supplier_name"]
    assert got["supplier_address"] == item.fields["supplier_address"]


def test_german_address_stops_at_the_umsatzsteuer_id_and_terms_keep_netto() -> None:
    item = drawn("invoice", "de", "modern", seed=100101)
    got = _got(item.pages)
    assert got["supplier_address"] == item.fields["supplier_address"]
    assert "Umsatzsteuer" not in str(got["supplier_address"])
    assert got["payment_terms"] == item.fields["payment_terms"] == "30 Tage netto"


@pytest.mark.parametrize("language", ["fr", "es"])
def test_credit_note_number_not_taken_from_the_reference_sentence(language: str) -> None:
    # "Avoir relatif à la facture n° …", "Factura rectificativa referente a la factura n.º …"
    item = drawn("credit_note", language, "classic", seed=100100)
    assert _got(item.pages)["invoice_number"] == item.fields["invoice_number"]


@pytest.mark.parametrize(("language", "layout", "seed", "names"), [
    ("fr", "modern", 100100, ("order_reference", "customer_vat")),  # "Bon de commande n°" over its value
    ("es", "compact", 100100, ("order_reference",)),  # "Ref. pedido: ORD…"
    ("fr", "classic", 100101, ("customer_vat",)),  # "TVA intracom. 51773190254"
    ("es", "modern", 100301, ("due_date", "order_reference")),  # "31 de mayo de 2026" runs under the next box
])
def test_values_under_header_boxes_and_labels(language: str, layout: str, seed: int, names: tuple[str, ...]) -> None:
    item = drawn("invoice", language, layout, seed=seed)
    got = _got(item.pages)
    for name in names:
        assert got.get(name) == item.fields[name], name


def test_month_first_dates_read_from_due_after_issue() -> None:
    # en-US dates that read both ways (07/02/2024, due 08/01/2024): only month-first puts the due date after.
    item = drawn("credit_note", "en", "compact", seed=100300)
    got = _got(item.pages)
    assert (got["issue_date"], got["due_date"]) == (item.fields["issue_date"], item.fields["due_date"])


@pytest.mark.parametrize(("layout", "seed"), [("compact", 100300), ("compact", 100301), ("modern", 100402)])
def test_spanish_abono_is_a_credit_note(layout: str, seed: int) -> None:
    item = drawn("credit_note", "es", layout, seed=seed)
    assert extract(item.pages).doc_type == "credit_note"


def test_payment_lines_do_not_print_over_the_totals_box() -> None:
    """Generator: a long "Bankverbindung IBAN: DE42 …" line went under the totals box's labels."""
    item = drawn("credit_note", "de", "classic", seed=100100)
    words = item.pages[0].words
    iban_row = [w for w in words if any(w.text in g for g in [item.fields["iban"]]) and len(w.text) >= 2]
    assert iban_row
    for a in iban_row:
        for b in (w for w in words if w is not a):
            overlap_x = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
            overlap_y = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
            assert overlap_x <= 0 or overlap_y <= 0, (a.text, b.text)
    assert _got(item.pages)["iban"] == item.fields["iban"]


def test_italian_iban_cin_letter_read_as_a_digit() -> None:
    assert _iban_length("IT9100503438793942385924321") == "IT91O0503438793942385924321"
    assert _iban_length("IT3210623079906533064932993") == "IT32I0623079906533064932993"


def test_born_digital_pdf_text_layer_matches_the_rendered_page(tmp_path: Path) -> None:
    """pdfium's float page size (595.2000122 pt) once made the text layer one pixel wider than the render, so
    the ocr stage threw the exact text away and OCR'd the page (losing "días", "München")."""
    from pdf2image import convert_from_path

    from ocr.textlayer import read_text_layer
    from samples.generate import generate

    sample = generate(tmp_path, count=1, seed=1003, kinds=["invoice"], levels=[0], formats=["pdf-text"])[0]
    words = read_text_layer(sample.path, 0, dpi=300)
    image = convert_from_path(sample.path, dpi=300)[0]
    assert words is not None and (words.width, words.height) == image.size
    fields = extract([words]).fields
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))["fields"]
    assert fields["supplier_name"].value == truth["supplier_name"]
