"""A test-scan data set: courtesy PDFs of outgoing invoices issued from generated requests, rasterised and degraded."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
from pdf2image import convert_from_bytes
from PIL import Image

from extract.evaluation import CACHE_DIR, Item, ocr_words
from invoicing.active import OutgoingRequest, active_invoice, base36, format_number
from invoicing.config import BankAccount, Company, InvoicingConfig
from invoicing.fatturapa_out import (
    ActiveInvoice,
    Address,
    Customer,
    InvoiceLine,
    compute_totals,
    courtesy_pdf,
    payment_text,
)
from invoicing.values import canonical_amount, canonical_number
from samples import content, parties
from samples.degrade import LEVELS, degrade
from samples.generate import save_images

SEED = 7352  # held out like the other benchmark seeds (7349-7351)
_STREET = re.compile(r"^(?P<street>.*?)\s+(?P<number>\d+(?:/[A-Z]| bis)?)$")
_TOWN = re.compile(r"^(?P<postcode>\d{5}) (?P<city>.+) \((?P<province>[A-Z]{2})\)$")


def address(party: parties.Party) -> Address:
    """A generated party's printed address ("Via Roma 12/A", "20121 Milano (MI)") as a FatturaPA Sede."""
    street, town = _STREET.match(party.street), _TOWN.match(party.city_line)
    assert street and town, party
    return Address(
        street=street["street"],
        number=street["number"],
        postcode=town["postcode"],
        city=town["city"],
        province=town["province"],
        country=party.country,
    )


def _tax_code(party: parties.Party) -> str | None:
    """The codice fiscale only when it is not just the VAT number (a sole trader's, a consumer's)."""
    return party.tax_code if party.tax_code and party.tax_code != (party.vat or "")[2:] else None


def _customer(rng: random.Random) -> Customer:
    draw = rng.random()
    party = (
        parties.private_customer(rng)
        if draw < 0.1
        else parties.italian_public_body(rng)
        if draw < 0.25
        else parties.italian_company(rng)
    )
    code = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(7))
    # A consumer (no VAT id) gets no SdI code: the invoice goes to 0000000, their tax drawer.
    return Customer(
        name=party.name,
        vat_id=party.vat,
        tax_code=_tax_code(party),
        sdi_code=code if party.vat else None,
        address=address(party),
    )


def generated_invoice(index: int, seed: int = SEED) -> ActiveInvoice:
    """One invoice as ``issue_invoice`` builds it, from a generated request of a generated Italian company."""
    rng = random.Random(f"courtesy:{seed}:{index}")
    issuer = parties.italian_company(rng)
    settings = InvoicingConfig(
        company=Company(name=issuer.name, vat_id=issuer.vat or "", tax_code=_tax_code(issuer), address=address(issuer)),
        bank_account=BankAccount(name=issuer.name[:70], iban=parties.italian_iban(rng)),
    )
    lines = [
        InvoiceLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            natura=line.natura,
        )
        for line in content.make_lines(rng, "it", "IT", rng.randint(1, 6))
    ]
    issued = content.random_date(rng)
    request = OutgoingRequest(
        customer=_customer(rng),
        lines=lines,
        issue_date=issued,
        payment_days=rng.choice([None, 30, 30, 60, 90]),
        order_reference=f"{rng.choice(['45', 'PO', 'ORD'])}{rng.randint(100000, 999999)}"
        if rng.random() < 0.35
        else None,
    )
    number = format_number(rng.choice(settings.series), issued.year, rng.randint(1, 2500))
    return active_invoice(settings, request, number, issued, base36(index + 1))


def truth_fields(invoice: ActiveInvoice) -> dict[str, str]:
    """The canonical fields (interfaces.md §3) the courtesy copy prints, from the request's known values."""
    totals = compute_totals(invoice)
    supplier, customer, payment = invoice.supplier, invoice.customer, invoice.payment

    def printed_address(where: Address) -> str:
        return f"{where.street} {where.number}, {where.postcode} {where.city} ({where.province})"

    fields = {
        "supplier_name": supplier.name,
        "supplier_vat": supplier.vat_id,
        "supplier_tax_code": supplier.tax_code,
        "supplier_address": printed_address(supplier.address),
        "customer_name": customer.name,
        "customer_vat": customer.vat_id,
        "customer_tax_code": customer.tax_code,
        "invoice_number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": payment.due_date.isoformat() if payment else None,
        "currency": invoice.currency,
        "net_amount": canonical_amount(totals.net),
        "vat_amount": canonical_amount(totals.vat),
        "total_amount": canonical_amount(totals.total),
        # one rate only: with mixed rates the document has no single rate to report (as the generator's truth)
        "vat_rate": canonical_number(totals.summaries[0].rate) if len(totals.summaries) == 1 else None,
        "iban": payment.iban if payment else None,
        # the payment line as printed after "Pagamento:" ("bonifico su IBAN …, scadenza 26/03/2023")
        "payment_terms": re.sub(r"<[^>]+>", "", payment_text(payment)).removeprefix("Pagamento: ") if payment else None,
        "order_reference": invoice.order_reference,
    }
    return {name: value for name, value in fields.items() if value}


def scan_pages(pdf: bytes, level: int, rng: np.random.Generator) -> list[Image.Image]:
    """The PDF rendered to 300 dpi grey page images (pdf2image), degraded like the generator's scans."""
    return [
        Image.fromarray(degrade(np.asarray(page), level, rng)[0])
        for page in convert_from_bytes(pdf, dpi=300, grayscale=True)
    ]


def make_scans(count: int, seed: int = SEED, levels: tuple[int, ...] = tuple(LEVELS)) -> Path:
    """Write ``count`` degraded courtesy copies (image PDFs) and their truth once; later calls reuse them."""
    folder = CACHE_DIR / "courtesy" / f"s{seed}-n{count}-L{''.join(map(str, levels))}"
    marker = folder / "done"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        invoice, level = generated_invoice(index, seed), levels[index % len(levels)]
        stem = f"{index:04d}-courtesy-L{level}"
        save_images(
            scan_pages(courtesy_pdf(invoice), level, np.random.default_rng([seed, index])),
            folder / f"{stem}.pdf",
            "pdf",
        )
        truth = {"doc_type": "invoice", "level": level, "fields": truth_fields(invoice)}
        (folder / f"{stem}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    marker.write_text(str(count), encoding="utf-8")
    return folder


def courtesy_items(count: int, seed: int = SEED) -> list[Item]:
    """The scans OCR'd through the pipeline's pages and ocr stages (cached), with their true fields."""
    folder = make_scans(count, seed)
    paths = sorted(folder.glob("*-courtesy-L*.pdf"))
    truths: list[dict[str, Any]] = [json.loads(p.with_suffix(".truth.json").read_text(encoding="utf-8")) for p in paths]
    return [
        Item(p.name, pages, "invoice", t["fields"], t["level"], "it", "courtesy")
        for p, pages, t in zip(paths, ocr_words(paths), truths, strict=True)
    ]
