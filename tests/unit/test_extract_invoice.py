"""Invoice extraction from hand-built pages in Italian, English and German layouts."""

from __future__ import annotations

import pytest

from core.document import PageWords, Word
from extract.engine import extract
from extract.normalize import fix_address_ocr, fix_reference_ocr, foreign_diacritics, restore_accents

Row = tuple[int, list[tuple[int, str]]]


def page(rows: list[Row], width: int = 2480, height: int = 3508, number: int = 1) -> PageWords:
    """Words from (y, [(x, text), ...]) rows; each text is split into words 22 px per character."""
    words = []
    for block, (y, items) in enumerate(rows):
        for x, text in items:
            x0 = x
            for token in text.split(" "):
                w = 22 * len(token)
                words.append(Word(token, (x0, y, x0 + w, y + 40), 0.93, number, block, 0))
                x0 += w + 22
    return PageWords(number, width, height, words)


ITALIAN = page(
    [
        (100, [(100, "Rossi Forniture S.r.l.")]),
        (150, [(100, "Via Roma 1, 20121 Milano")]),
        (200, [(100, "P.IVA 01234567890")]),
        (250, [(100, "C.F. RSSMRA80A01H501U")]),
        (400, [(1400, "Spett.le")]),
        (450, [(1400, "Bianchi S.p.A.")]),
        (500, [(1400, "P.IVA IT00743110157")]),
        (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
        (
            800,
            [(100, "Descrizione"), (1200, "Quantità"), (1500, "Prezzo"), (1800, "IVA %"), (2100, "Importo")],
        ),
        (860, [(100, "Consulenza tecnica"), (1200, "2"), (1500, "50,00"), (1800, "22"), (2100, "100,00")]),
        (920, [(100, "Materiale"), (1200, "1"), (1500, "20,00"), (1800, "22"), (2100, "20,00")]),
        (1200, [(1500, "Imponibile"), (2100, "120,00")]),
        (1260, [(1500, "IVA 22%"), (2100, "26,40")]),
        (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")]),
        (1500, [(100, "Scadenza: 21/05/2025")]),
        (1560, [(100, "Modalità di pagamento: Bonifico bancario 30 gg d.f.")]),
        (1620, [(100, "IBAN: IT60 X054 2811 1010 0000 0123 456")]),
        (1680, [(100, "Rif. ordine: PO-4471")]),
    ]
)


def values(pages: list[PageWords], doc_type: str | None = None) -> dict[str, object]:
    return {name: f.value for name, f in extract(pages, doc_type=doc_type).fields.items()}


def test_italian_invoice_label_left_of_value() -> None:
    result = extract([ITALIAN])
    assert result.doc_type == "invoice"
    got = {name: f.value for name, f in result.fields.items()}
    assert got == {
        "supplier_name": "Rossi Forniture S.r.l.",
        "supplier_vat": "IT01234567890",
        "supplier_tax_code": "RSSMRA80A01H501U",
        "supplier_address": "Via Roma 1, 20121 Milano",
        "customer_name": "Bianchi S.p.A.",
        "customer_vat": "IT00743110157",
        "invoice_number": "2025/17",
        "issue_date": "2025-04-21",
        "due_date": "2025-05-21",
        "net_amount": "120.00",
        "vat_amount": "26.40",
        "vat_rate": "22",
        "total_amount": "146.40",
        "currency": "EUR",
        "iban": "IT60X0542811101000000123456",
        "payment_terms": "Bonifico bancario 30 gg d.f.",
        "order_reference": "PO-4471",
    }
    assert result.lines == [
        {
            "description": "Consulenza tecnica",
            "quantity": "2",
            "unit_price": "50.00",
            "vat_rate": "22",
            "amount": "100.00",
        },
        {
            "description": "Materiale",
            "quantity": "1",
            "unit_price": "20.00",
            "vat_rate": "22",
            "amount": "20.00",
        },
    ]
    # The FatturaPA sample P.IVA fails its check digit: a check for the reviewer, not a crash.
    assert [(c.code, c.message) for c in result.checks] == [
        ("invalid_supplier_vat", "P.IVA 01234567890 fails the check digit")
    ]
    total = result.fields["total_amount"]
    assert total.page == 1 and total.bbox == (2100, 1320, 2276, 1360) and total.source == "rules"
    assert result.fields["supplier_vat"].confidence < result.fields["customer_vat"].confidence


def test_english_invoice_label_above_value_totals_block() -> None:
    english = page(
        [
            (100, [(100, "Acme Widgets Ltd")]),
            (150, [(100, "VAT No: GB 123 4567 89")]),
            (300, [(100, "INVOICE")]),
            (400, [(100, "Invoice No"), (800, "Invoice Date"), (1400, "Due Date")]),
            (450, [(100, "INV-0042"), (800, "April 21, 2025"), (1400, "May 21, 2025")]),
            (600, [(100, "Bill to:"), (400, "Globex Corporation")]),
            (1500, [(1000, "Subtotal"), (1500, "VAT"), (2000, "Total Due")]),
            (1550, [(1000, "£1,000.00"), (1500, "£200.00"), (2000, "£1,200.00")]),
            (1700, [(100, "Payment terms: 30 days net")]),
        ]
    )
    got = values([english])
    assert got["invoice_number"] == "INV-0042"
    assert got["issue_date"] == "2025-04-21" and got["due_date"] == "2025-05-21"
    assert (got["net_amount"], got["vat_amount"], got["total_amount"]) == ("1000.00", "200.00", "1200.00")
    assert got["currency"] == "GBP" and got["supplier_vat"] == "GB123456789"
    assert got["supplier_name"] == "Acme Widgets Ltd" and got["customer_name"] == "Globex Corporation"
    assert got["payment_terms"] == "30 days net"


def test_german_invoice_and_joint_choice_of_totals() -> None:
    german = page(
        [
            (100, [(100, "Müller Technik GmbH")]),
            (150, [(100, "USt-IdNr.: DE136695976")]),
            (300, [(100, "Rechnung Nr. 4711"), (1400, "Datum: 3. März 2025")]),
            (400, [(100, "Zahlbar bis 02.04.2025")]),
            (1400, [(1400, "Zwischensumme"), (2000, "500,00 €")]),
            (1450, [(1400, "MwSt. 19%"), (2000, "95,00 €")]),
            (1500, [(1400, "Summe"), (2000, "59,50 €")]),  # a misread stray "Summe" candidate
            (1550, [(1400, "Gesamtbetrag"), (2000, "595,00 €")]),
        ]
    )
    result = extract([german])
    got = {name: f.value for name, f in result.fields.items()}
    assert got["invoice_number"] == "4711" and got["issue_date"] == "2025-03-03"
    assert got["due_date"] == "2025-04-02" and got["vat_rate"] == "19"
    assert (got["net_amount"], got["vat_amount"], got["total_amount"]) == ("500.00", "95.00", "595.00")
    assert got["supplier_vat"] == "DE136695976" and got["supplier_name"] == "Müller Technik GmbH"
    assert result.checks == []


def test_totals_mismatch_becomes_a_check() -> None:
    broken = page(
        [
            (100, [(100, "Fattura n. 12 del 10/01/2025")]),
            (1200, [(1500, "Imponibile"), (2100, "100,00")]),
            (1260, [(1500, "IVA 22%"), (2100, "22,00")]),
            (1320, [(1500, "Totale"), (2100, "120,00")]),
        ]
    )
    result = extract([broken], doc_type="invoice")
    assert result.doc_type_confidence == 1.0
    codes = {c.code: c for c in result.checks}
    assert codes["totals_mismatch"].message == "net 100.00 + VAT 22.00 ≠ total 120.00"
    assert result.fields["total_amount"].confidence < 0.95


def test_garbled_total_labels_are_completed_by_the_figures_that_add_up() -> None:
    """A scanned courtesy copy: "Totale imponibile" split over two rows (its figure under a bare "Totale") and
    "Totale documento" read as "al cumento", its figure with OCR spaces after the separators."""
    garbled = page(
        [
            (100, [(100, "Fattura n. 12 del 10/01/2025")]),
            (1140, [(1500, "Aliquota"), (1800, "Imponibile"), (2100, "Imposta")]),
            (1200, [(1500, "22%"), (1800, "81.027,91"), (2100, "17.826,14")]),
            (1260, [(1500, "0% N4"), (1800, "1.414,95"), (2100, "0,00")]),
            (1320, [(1500, "imponibile i. E :")]),
            (1380, [(1500, "Totale"), (2100, "82.442,86")]),
            (1440, [(1500, "Totale IVA"), (2100, "17.826,14")]),
            (1500, [(1500, "al cumento (EUR) e"), (2100, "100. 269, 00")]),
        ]
    )
    result = extract([garbled], doc_type="invoice")
    assert (result.fields["net_amount"].value, result.fields["vat_amount"].value,
            result.fields["total_amount"].value) == ("82442.86", "17826.14", "100269.00")
    assert "totals_mismatch" not in {c.code for c in result.checks}


def test_ocr_damaged_iban_check_digits_and_a_short_vat_label() -> None:
    damaged = page(
        [
            (100, [(100, "Logistica Alpina S.r.l.")]),
            (150, [(100, "P.I. 43251690384")]),
            (300, [(1400, "Cliente")]),
            (350, [(1400, "Provincia di Roma")]),
            (400, [(1400, "PI. 45339370194")]),  # "P.I." with its first full stop lost
            (700, [(100, "Fattura n. FT2023/2810 del 03-04-2023")]),
            (1140, [(100, "Conto: ITO9 X999 9999 9999 9999 9999 999")]),  # O-shaped but invalid: not an IBAN
            (1200, [(100, "IBAN: DEO7 4404 4683 9178 0269 40")]),  # the 0 of the check digits read as O
        ]
    )
    fields = values([damaged], doc_type="invoice")
    assert (fields["iban"], fields["customer_vat"]) == ("DE07440446839178026940", "IT45339370194")


def test_document_without_extractor_only_classified() -> None:
    result = extract([page([(100, [(100, "Appunti della riunione di lunedì")])])], doc_type="other")
    assert result.doc_type == "other" and result.fields == {} and result.lines == []


def test_labelled_currency_short_vat_label_and_payment_terms_beside_totals() -> None:
    """"Divisa: EUR" is a labelled currency; "P.I." before bare digits is a VAT label; the payment terms stop at
    the totals column sharing their row but keep "data fattura", which is part of the terms."""
    scanned = page(
        [
            (100, [(100, "Elettroimpianti Italia S.a.s.")]),
            (150, [(100, "Via dell'Industria 5/A, 24121 Bergamo (Bl)")]),
            (200, [(100, "P.I. 01234567897")]),
            (400, [(1400, "Spett.le")]),
            (450, [(1400, "Bianchi S.p.A.")]),
            (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
            (760, [(100, "Divisa: EUR")]),
            (1200, [(100, "Pagamento: Bonifico a 30 giorni data fattura|"), (1500, "Totale merce"), (2100, "100,00")]),
            (1260, [(1500, "IVA 22%"), (2100, "22,00")]),
            (1320, [(1500, "Totale"), (2100, "122,00")]),
        ]
    )
    fields = extract([scanned]).fields
    assert fields["currency"].value == "EUR" and fields["currency"].confidence >= 0.9
    assert fields["supplier_vat"].value == "IT01234567897"
    assert fields["payment_terms"].value == "Bonifico a 30 giorni data fattura"
    assert fields["supplier_address"].value.endswith("(BI)")


def test_a_fuzzy_label_does_not_swallow_a_word_and_the_letterhead_confirms_the_seller() -> None:
    """"Invoice No. Date" holds two labels, not a fuzzy "invoice date"; a seller's name heading the block with
    its valid VAT id is more certain than the same name with the VAT id printed elsewhere."""
    heading = [
        (100, [(1400, "Brown Engineering Ltd")]),
        (150, [(1400, "147 Mill Lane")]),
        (200, [(1400, "EC1A 1BB London, United Kingdom")]),
    ]
    rest = [
        (400, [(100, "Invoice to")]),
        (450, [(100, "Studio Associato del Nord S.p.A.")]),
        (600, [(100, "Invoice No."), (700, "Date"), (1400, "Payment due")]),
        (650, [(100, "INV-2023-0470"), (700, "2023-03-26"), (1400, "2023-05-25")]),
        (1200, [(1500, "Total net"), (2100, "100.00")]),
    ]
    in_block = extract([page([*heading, (250, [(1400, "VAT number GB 980780684")]), *rest])]).fields
    elsewhere = extract([page([*heading, *rest, (3000, [(100, "VAT number GB 980780684")])])]).fields
    assert in_block["invoice_number"].value == "INV-2023-0470"
    assert in_block["issue_date"].value == "2023-03-26"
    assert in_block["supplier_name"].value == elsewhere["supplier_name"].value == "Brown Engineering Ltd"
    assert in_block["supplier_name"].confidence > elsewhere["supplier_name"].confidence


def test_tall_title_beside_the_letterhead_does_not_merge_its_lines() -> None:
    """A born-digital page's loose boxes: "GUTSCHRIFT" spans the name's line and the street's line beside it."""
    def word(text: str, x0: int, y0: int, x1: int, y1: int) -> Word:
        return Word(text, (x0, y0, x1, y1), 0.99, 1, 1, 0)

    words = [
        word("GUTSCHRIFT", 188, 240, 828, 330),
        word("Schmidt", 1013, 230, 1270, 286), word("Industriebedarf", 1290, 230, 1783, 286),
        word("GmbH", 1802, 230, 1993, 286), word("&", 2013, 230, 2062, 286), word("Co.", 2081, 230, 2182, 286),
        word("KG", 2201, 230, 2291, 286),
        word("Industriestraße", 1899, 299, 2203, 339), word("122", 2215, 299, 2292, 339),
        word("20095", 1757, 357, 1884, 397), word("Hamburg,", 1897, 357, 2096, 397), word("Germany", 2108, 357,
                                                                                             2293, 397),
        word("Umsatzsteuer-ID", 1662, 414, 1996, 454), word("DE585749595", 2009, 414, 2294, 454),
    ]
    got = values([PageWords(1, 2480, 3508, words)], doc_type="credit_note")
    assert got["supplier_name"] == "Schmidt Industriebedarf GmbH & Co. KG"
    assert got["supplier_address"] == "Industriestraße 122, 20095 Hamburg, Germany"


def test_the_address_under_a_name_beside_a_tall_title_is_found() -> None:
    """A scan's words: "Fattura di vendita" in large type stretches the name's row down to the street's line."""
    def word(text: str, x0: int, y0: int, x1: int, y1: int) -> Word:
        return Word(text, (x0, y0, x1, y1), 0.95, 1, 1, 0)

    words = [
        word("Fattura", 170, 207, 456, 260), word("di", 485, 205, 520, 260), word("vendita", 582, 201, 872, 287),
        word("Logistica", 1205, 197, 1430, 241), word("Alpina", 1446, 197, 1606, 240), word("S.r.l.", 1625, 197,
                                                                                            1720, 232),
        word("Viale", 1415, 253, 1495, 278), word("dei", 1508, 253, 1556, 278), word("Mille", 1569, 253, 1648, 278),
        word("42/A", 1661, 253, 1730, 280),
        word("35121", 1425, 299, 1521, 324), word("Padova", 1538, 299, 1651, 324), word("(PD)", 1665, 300, 1730, 328),
        word("P.I.", 1453, 346, 1496, 370), word("43251690384", 1511, 345, 1733, 370),
    ]
    got = values([PageWords(1, 2480, 3508, words)], doc_type="invoice")
    assert got["supplier_address"] == "Viale dei Mille 42/A, 35121 Padova (PD)"


def test_label_is_not_read_across_a_column_gap() -> None:
    """"(MI)" in the buyer's block and "Vs. ordine n.:" far right are not one fuzzy "rif vs ordine" label."""
    pages = [page([
        (100, [(100, "Rossi Forniture S.r.l.")]),
        (150, [(100, "Via Roma 1, 20121 Milano")]),
        (200, [(100, "P.IVA 01234567890")]),
        (400, [(100, "20121 Milano (MI)"), (1440, "Vs. ordine n.:"), (1900, "ORD545551")]),
        (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
        (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")]),
    ])]
    assert values(pages)["order_reference"] == "ORD545551"


# ---------------------------------------------------------------- OCR damage repaired (straight-through precision)


def _letterhead(name: str, address: str, vat: str) -> list[PageWords]:
    return [page([
        (100, [(100, name)]),
        (150, [(100, address)]),
        (200, [(100, f"VAT {vat}")]),
        (400, [(1400, "Spett.le")]),
        (450, [(1400, "Bianchi Universita S.p.A.")]),
        (500, [(1400, "P.IVA IT00743110157")]),
        (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
        (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")]),
    ])]


@pytest.mark.parametrize(("name", "address", "vat", "want_name", "want_address"), [
    # Spanish seller: dropped accents from the lexicon, "-ción" by rule, the lost last dot of "S.L."
    ("Lopez Ingenieria S.L", "Avenida de la Constituciön 55, 41001 Sevilla, Spain", "ESB12345674",
     "López Ingeniería S.L.", "Avenida de la Constitución 55, 41001 Sevilla, Spain"),
    # German seller: "Muller" and "Mùnchen" (a wrong accent) are Müller and München in Germany.
    ("Muller Industriebedarf GmbH", "Hauptstraße 102, 80331 Mùnchen, Germany", "DE136695976",
     "Müller Industriebedarf GmbH", "Hauptstraße 102, 80331 München, Germany"),
    # Italian seller: "Tecnologia" is right in Italian and stays.
    ("Tecnologia Adriatica S.r.l.", "Via Roma 1, 20121 Milano", "IT00743110157",
     "Tecnologia Adriatica S.r.l.", "Via Roma 1, 20121 Milano"),
])
def test_accents_are_restored_in_the_sellers_language(name: str, address: str, vat: str, want_name: str,
                                                      want_address: str) -> None:
    fields = extract(_letterhead(name, address, vat)).fields
    assert fields["supplier_name"].value == want_name
    assert fields["supplier_address"].value == want_address
    # The buyer is Italian (its P.IVA): "Universita" is "Università" there.
    assert fields["customer_name"].value == "Bianchi Università S.p.A."
    assert fields["supplier_name"].confidence >= 0.88 and fields["supplier_address"].confidence >= 0.88


def test_a_name_from_an_english_speaking_country_keeps_its_letters() -> None:
    fields = extract(_letterhead("Lopez Consulting Ltd", "14 High Street, ECIA 1BB London, United Kingdom",
                                 "GB980780684")).fields
    assert fields["supplier_name"].value == "Lopez Consulting Ltd"
    # A British outward code read with a letter for its digit has one valid reading.
    assert fields["supplier_address"].value == "14 High Street, EC1A 1BB London, United Kingdom"


def test_order_number_prefix_read_with_a_zero_and_terms_repaired() -> None:
    pages = [page([
        (100, [(100, "Rossi Forniture S.r.l.")]),
        (150, [(100, "Via Roma 1, 20121 Milano")]),
        (200, [(100, "P.IVA IT00743110157")]),
        (700, [(100, "FATTURA N. A012"), (1400, "Data 21/04/2025")]),
        (1320, [(1500, "Totale fattura"), (2100, "€ 146,40")]),
        (1560, [(100, "Modalità di pagamento: Bonifico bancario 30 gg d.f|")]),
        (1680, [(100, "Rif. ordine: 0RD145631")]),
    ])]
    got = values(pages)
    assert got["order_reference"] == "ORD145631"
    assert got["invoice_number"] == "A012"  # a zero among digits stays a zero
    assert got["payment_terms"] == "Bonifico bancario 30 gg d.f."


def test_a_word_ocr_split_across_its_text_lines_is_joined() -> None:
    """Tesseract filed "mbo" in another block and line than "Colo", set tight against it: one word."""
    def word(text: str, x0: int, x1: int, block: int, line: int, y: int = 475) -> Word:
        return Word(text, (x0, y, x1, y + 31), 0.95, 1, block, line)

    seller = page([
        (100, [(100, "Rossi Forniture S.r.l.")]),
        (150, [(100, "Via Roma 1, 20121 Milano")]),
        (200, [(100, "P.IVA IT00743110157")]),
        (700, [(100, "FATTURA N. 2025/17"), (1400, "Data 21/04/2025")]),
    ])
    buyer = [word("Spett.le", 1040, 1200, 5, 6, 420), word("Ferramenta", 1040, 1285, 5, 7),
             word("di", 1304, 1339, 5, 7), word("Giuseppe", 1358, 1556, 5, 7), word("Colo", 1573, 1664, 5, 7),
             word("mbo", 1673, 1757, 6, 12)]
    fields = extract([PageWords(1, 2480, 3508, [*seller.words, *buyer])]).fields
    assert fields["customer_name"].value == "Ferramenta di Giuseppe Colombo"
    assert fields["customer_name"].confidence >= 0.88


@pytest.mark.parametrize(("text", "language", "want"), [
    ("Sanchez Tecnologia S.A.", "es", "Sánchez Tecnología S.A."),
    ("SANCHEZ", "es", "SÁNCHEZ"),
    ("Distribuciones Expansion", "es", "Distribuciones Expansión"),
    ("Tecnologia", "it", "Tecnologia"),
    ("Lopez", "en", "Lopez"),
    ("Lopez", None, "Lopez"),
    ("Martin Dupont", "fr", "Martin Dupont"),
])
def test_restore_accents_only_where_the_language_leaves_no_doubt(text: str, language: str | None,
                                                                 want: str) -> None:
    assert restore_accents(text, language) == want


@pytest.mark.parametrize(("token", "want"), [
    ("0RD145631", "ORD145631"), ("ORD1456O1", "ORD145601"), ("P0123456", "P0123456"), ("A012", "A012"),
    ("FT2024/0012", "FT2024/0012"), ("INV-2024-0012", "INV-2024-0012"),
])
def test_reference_o_and_zero(token: str, want: str) -> None:
    assert fix_reference_ocr(token) == want


def test_foreign_diacritics_and_postcodes() -> None:
    assert foreign_diacritics("Avenida de la Constituciön", "es")
    assert not foreign_diacritics("Avenida de la Constitución", "es")
    assert foreign_diacritics("Mùnchen", "de") and not foreign_diacritics("München", "de")
    assert not foreign_diacritics("Café Nero Ltd", "en") and not foreign_diacritics("Mùnchen", None)
    assert fix_address_ocr("1 Road, M1 1AE Manchester, United Kingdom").endswith("M1 1AE Manchester, United Kingdom")
    assert fix_address_ocr("Via Roma 10, ECIA 1BB") == "Via Roma 10, ECIA 1BB"  # not a British address
