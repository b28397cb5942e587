"""Active cycle: an outgoing invoice gets a yearly series number, a validated FPR12 XML, a courtesy PDF, a protocol."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.config import PipelinesConfig
from invoicing.config import InvoicingConfig, invoicing_of
from invoicing.duplicates import from_cents, to_cents
from invoicing.fatturapa_in import parse_xml, validate_fatturapa
from invoicing.fatturapa_out import (
    ActiveInvoice,
    Customer,
    InvoiceLine,
    PaymentTerms,
    Supplier,
    build_fatturapa,
    compute_totals,
    courtesy_pdf,
    fatturapa_filename,
)
from invoicing.models import InvoiceCounter, OutgoingInvoice
from invoicing.payments import write_lock
from invoicing.values import canonical_amount
from storage.counters import locked_counter
from storage.models import Event
from storage.objects import ObjectStore

ROME = ZoneInfo("Europe/Rome")
# The SdI file progressive must never repeat across years and series: one counter row of its own.
SDI_SERIES, SDI_YEAR = "~sdi", 0
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class InvoiceError(Exception):
    """An outgoing invoice that cannot be issued; the message says why."""


class OutgoingRequest(BaseModel):
    """What a person or a system gives to issue an invoice; the rest comes from configuration and counters."""

    model_config = ConfigDict(extra="forbid")

    customer: Customer
    lines: list[InvoiceLine] = Field(min_length=1, max_length=9999)
    issue_date: date | None = None
    series: str | None = None
    doc_type: str = Field(default="TD01", pattern=r"^TD(0[1-6]|1[6-9]|2[0-9])$")
    # Days to the due date of a bank transfer to our account; None leaves DatiPagamento out.
    payment_days: int | None = Field(default=30, ge=0, le=365)
    order_reference: str | None = Field(default=None, max_length=20)
    causale: str | None = Field(default=None, max_length=200)


def base36(number: int, width: int = 5) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    if len(digits) > width:
        raise InvoiceError("the SdI file progressive is exhausted")
    return digits.rjust(width, "0")


def next_number(session: Session, series: str, year: int) -> int:
    """Lock the series' counter row for the year (creating it if new), advance it and return the new number.

    PostgreSQL: SELECT … FOR UPDATE serialises concurrent issuers on the row. SQLite: the caller took the
    database write lock with BEGIN IMMEDIATE (``write_lock``) before anything else.
    """
    counter = locked_counter(session, InvoiceCounter, series=series, year=year)
    counter.last_number += 1
    session.flush()
    return counter.last_number


def format_number(series: str, year: int, seq: int) -> str:
    """The invoice Numero (≤20 characters, with a digit, as SdI requires): ``2026/A/00001``."""
    return f"{year}/{series}/{seq:05d}"


def active_invoice(settings: InvoicingConfig, request: OutgoingRequest, number: str, issued: date,
                   progressive: str) -> ActiveInvoice:
    """The invoice a request becomes: our company from configuration, a transfer to our account when due."""
    company, bank = settings.company, settings.bank_account
    assert company is not None
    payment = None
    if request.payment_days is not None and bank is not None:
        payment = PaymentTerms(iban=bank.iban, due_date=date.fromordinal(issued.toordinal() + request.payment_days))
    return ActiveInvoice(
        supplier=Supplier(name=company.name, vat_id=company.vat_id, tax_code=company.tax_code,
                          regime_fiscale=company.regime_fiscale, address=company.address),
        customer=request.customer, number=number, issue_date=issued, progressive=progressive,
        doc_type=request.doc_type, lines=request.lines, payment=payment, order_reference=request.order_reference,
        causale=request.causale,
    )


def _validated_xml(invoice: ActiveInvoice, schema: Path) -> bytes:
    xml = build_fatturapa(invoice)
    issues = validate_fatturapa(parse_xml(xml), schema)
    if issues:
        raise InvoiceError("the FatturaPA does not validate: " + "; ".join(f"{i.element}: {i.message}"
                                                                          for i in issues[:5]))
    return xml


def _register_outgoing(session: Session, config: PipelinesConfig, row: OutgoingInvoice, xml: bytes,
                       actor: str) -> int | None:
    """Outgoing protocol registration in the configured register, in this transaction."""
    code = invoicing_of(config).outgoing_register
    if code is None:
        return None
    from protocol.config import registers_of
    from protocol.service import ProtocolError, RegistrationData, register_in_session

    register = registers_of(config).get(code)
    if register is None:
        raise InvoiceError(f"invoicing.outgoing_register names an unknown register {code!r}")
    data = RegistrationData(
        correspondent=row.customer_name, correspondent_vat=row.customer_vat, recipients=[row.customer_name],
        subject=f"Fattura n. {row.number} del {row.issue_date.isoformat()}, totale "
                f"{from_cents(row.total_cents)} EUR",
        fingerprint=base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii"), direction="outgoing",
        sender_number=row.number, sender_date=row.issue_date.isoformat(), file_name=row.file_name,
        media_type="application/xml",
    )
    try:
        return register_in_session(session, register, data, actor=actor).id
    except ProtocolError as exc:
        raise InvoiceError(f"cannot be protocolled: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SourceRef:
    """What an invoice bills when it comes from a customer order or a contract: instalment n of N of it."""

    kind: str
    id: str
    instalment: int
    instalments: int


def issue_invoice(session: Session, request: OutgoingRequest, *, config: PipelinesConfig, store: ObjectStore,
                  schema: Path, actor: str, now: datetime | None = None) -> OutgoingInvoice:
    """Number, build, validate, render, store and register one invoice in one transaction.

    Must run on a fresh session: its first statement takes SQLite's write lock. A failure (invalid XML, a
    closed protocol day) rolls the transaction back, so the number is not used up and leaves no gap.
    """
    write_lock(session)
    return issue_locked(session, request, config=config, store=store, schema=schema, actor=actor, now=now)


def issue_locked(session: Session, request: OutgoingRequest, *, config: PipelinesConfig, store: ObjectStore,
                 schema: Path, actor: str, now: datetime | None = None, source: SourceRef | None = None
                 ) -> OutgoingInvoice:
    """``issue_invoice`` for a caller that took the write lock itself (to check its source first)."""
    settings = invoicing_of(config)
    if settings.company is None:
        raise InvoiceError("pipelines.yaml invoicing.company (who issues the invoices) is not configured")
    series = request.series or settings.series[0]
    if series not in settings.series:
        raise InvoiceError(f"unknown series {series!r} (configured: {', '.join(settings.series)})")
    issued = request.issue_date or (now or datetime.now(ROME)).astimezone(ROME).date()
    seq = next_number(session, series, issued.year)
    invoice = active_invoice(settings, request, format_number(series, issued.year, seq), issued,
                             base36(next_number(session, SDI_SERIES, SDI_YEAR)))
    xml = _validated_xml(invoice, schema)
    totals = compute_totals(invoice)
    file_name = fatturapa_filename(invoice)
    row = OutgoingInvoice(
        series=series, year=issued.year, seq=seq, number=invoice.number, issue_date=issued, doc_type=invoice.doc_type,
        customer_name=invoice.customer.name, customer_vat=invoice.customer.vat_id,
        net_cents=to_cents(totals.net) or 0, vat_cents=to_cents(totals.vat) or 0,
        total_cents=to_cents(totals.total) or 0, file_name=file_name,
        xml_key=f"invoicing/outgoing/{issued.year}/{file_name}",
        pdf_key=f"invoicing/outgoing/{issued.year}/{file_name.removesuffix('.xml')}.pdf",
        data=invoice.model_dump(mode="json"), created_by=actor,
    )
    if source is not None:
        row.source_kind, row.source_id = source.kind, source.id
        row.source_instalment, row.source_instalments = source.instalment, source.instalments
    store.put(row.xml_key, xml, content_type="application/xml")
    store.put(row.pdf_key, courtesy_pdf(invoice), content_type="application/pdf")
    session.add(row)
    session.flush()
    row.protocol_entry_id = _register_outgoing(session, config, row, xml, actor)
    session.add(Event(kind="invoice.issued", actor=actor, data={
        "invoice_id": row.id, "number": row.number, "file_name": file_name, "customer": row.customer_name,
        "total": canonical_amount(totals.total), "protocol_entry_id": row.protocol_entry_id,
        **({"source": asdict(source)} if source else {})}))
    return row
