"""The courtesy-copy benchmark set: its truth is what the PDF prints, and its scans are the generator's degradation."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
from pypdf import PdfReader
from stdnum.it import iva

from benchmarks.courtesy_scans import generated_invoice, scan_pages, truth_fields
from invoicing.fatturapa_out import courtesy_pdf


def _italian(amount: str) -> str:
    """A canonical amount as the courtesy copy prints it: 1234.50 → 1.234,50."""
    whole, cents = amount.split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + cents


def test_truth_is_what_the_courtesy_copy_prints() -> None:
    for index in range(6):
        invoice = generated_invoice(index)
        truth = truth_fields(invoice)
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(courtesy_pdf(invoice))).pages)
        text = re.sub(r"\s+", " ", text)
        assert iva.is_valid(truth["supplier_vat"][2:])  # a real issuer: the check digit holds
        for name in (
            "supplier_name",
            "customer_name",
            "invoice_number",
            "supplier_vat",
            "iban",
            "payment_terms",
            "order_reference",
            "customer_tax_code",
        ):
            if name in truth:
                assert truth[name] in text, (index, name, truth[name])
        assert f"del {date.fromisoformat(truth['issue_date']).strftime('%d/%m/%Y')}" in text
        for name in ("net_amount", "vat_amount", "total_amount"):
            assert _italian(truth[name]) in text, (index, name, truth[name])
        street, town = truth["supplier_address"].split(", ")
        assert street in text and town in text


def test_scans_are_300_dpi_pages_degraded_by_level() -> None:
    pdf = courtesy_pdf(generated_invoice(0))
    clean = scan_pages(pdf, 0, np.random.default_rng(1))
    worn = scan_pages(pdf, 3, np.random.default_rng(1))
    width, height = clean[0].size
    assert len(clean) == 1 and abs(width - 2480) <= 1 and abs(height - 3508) <= 1 and clean[0].mode == "L"  # A4, grey
    pixels = np.asarray(clean[0])
    assert pixels.min() < 50 and pixels.max() == 255  # level 0: black ink on white paper, untouched
    assert np.asarray(worn[0]).shape != pixels.shape  # level 3 always skews: the page lies on a larger canvas
