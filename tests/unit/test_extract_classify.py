"""Classification of hand-built pages by keywords in five languages and by layout."""

from __future__ import annotations

import pytest

from core.document import PageWords
from extract.classify import classify, set_scorer
from tests.unit.test_extract_invoice import ITALIAN, page


def text_page(lines: list[str], *, x: int = 100, width: int = 2480) -> PageWords:
    return page([(100 + 60 * i, [(x, line)]) for i, line in enumerate(lines)], width=width)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Rechnung Nr. 4711", "Rechnungsdatum 01.03.2025", "MwSt 19%", "Gesamtbetrag 119,00"], "invoice"),
        (["Facture n° 12", "Total TTC 120,00", "TVA 20%"], "invoice"),
        (["Factura nº 8", "Base imponible 100,00", "IVA 21%"], "invoice"),
        (["Nota di credito n. 3", "a storno della fattura n. 12", "Imponibile 100,00"], "credit_note"),
        (["Gutschrift Nr. 9", "zur Rechnung 4711"], "credit_note"),
        (
            ["Documento di trasporto (DDT) n. 55", "Causale del trasporto: vendita", "Vettore: mittente"],
            "delivery_note",
        ),
        (["Ordine d'acquisto n. 77", "Data consegna 10/05/2025", "CIG 1234567890"], "order"),
        (["Foglio presenze aprile 2025", "Ore ordinarie 160", "Straordinario 8", "Ferie 2"], "timesheet"),
        (["Lorem ipsum", "dolor sit amet"], "other"),
    ],
)
def test_keywords(lines: list[str], expected: str) -> None:
    doc_type, probability = classify([text_page(lines)])
    assert doc_type == expected
    assert 0.0 < probability <= 1.0


def test_italian_invoice_with_high_confidence() -> None:
    assert classify([ITALIAN]) == ("invoice", pytest.approx(classify([ITALIAN])[1]))
    assert classify([ITALIAN])[1] > 0.9


def test_narrow_short_page_is_a_receipt_even_saying_tax_invoice() -> None:
    lines = [
        "KEDAI MAJU SDN BHD",
        "TAX INVOICE",
        "CASHIER: ALI",
        "ITEM 1 5.00",
        "TOTAL 5.00",
        "CASH 10.00",
        "CHANGE 5.00",
        "THANK YOU",
    ] + [f"ITEM {i} 1.00" for i in range(20)]
    doc_type, _ = classify([text_page(lines, width=600)])
    assert doc_type == "receipt"


def test_contract_by_article_headings() -> None:
    lines = [
        "CONTRATTO DI FORNITURA",
        "tra le parti",
        "Art. 1 Oggetto",
        "Art. 2 Durata",
        "Art. 3 Corrispettivo",
        "Art. 4 Recesso",
        "Art. 5 Foro competente: Milano",
    ]
    assert classify([text_page(lines)])[0] == "contract"


def test_scorer_can_be_replaced() -> None:
    set_scorer(lambda pages: {"order": 5.0, "invoice": 1.0, "other": 0.0})
    try:
        assert classify([ITALIAN])[0] == "order"
    finally:
        set_scorer(None)
    assert classify([ITALIAN])[0] == "invoice"
