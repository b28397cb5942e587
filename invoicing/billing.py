"""Outgoing invoices from a validated customer order or a contract's billing, once per source and instalment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import ContractEntry, PurchaseDocument
from core.config import PipelinesConfig
from invoicing.active import InvoiceError, OutgoingRequest, SourceRef, issue_locked
from invoicing.config import Company, invoicing_of
from invoicing.duplicates import from_cents, normalise_vat, record_values, to_cents
from invoicing.fatturapa_out import Address, Customer, InvoiceLine
from invoicing.models import OutgoingInvoice
from invoicing.payments import write_lock
from invoicing.terms import split_cents
from storage.models import Record
from storage.objects import ObjectStore

SOURCE_KINDS = ("order", "contract")
CHANNEL_FIELDS = ("vat_id", "tax_code", "sdi_code", "pec")


class SourceRefused(InvoiceError):
    """The order or contract cannot be invoiced as it stands; the message says why.

    ``unprocessable``: data is missing or wrong and the request can supply it (HTTP 422); otherwise the
    source's state forbids it — not validated, already invoiced (HTTP 409).
    """

    def __init__(self, message: str, *, unprocessable: bool) -> None:
        super().__init__(message)
        self.unprocessable = unprocessable


def _missing(message: str) -> SourceRefused:
    return SourceRefused(message, unprocessable=True)


def _conflict(message: str) -> SourceRefused:
    return SourceRefused(message, unprocessable=False)


class CustomerDetails(BaseModel):
    """What the order or contract may not say about the customer; a value given here wins over the source."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    vat_id: str | None = None
    tax_code: str | None = None
    sdi_code: str | None = None
    pec: str | None = None
    address: Address | None = None


class SourceInvoiceRequest(BaseModel):
    """Issue the invoice of an order or contract: the source gives customer and lines, this the rest."""

    model_config = ConfigDict(extra="forbid")

    customer: CustomerDetails = Field(default_factory=CustomerDetails)
    # A contract: which party to invoice, when the register cannot tell us from them.
    party: str | None = Field(default=None, max_length=256)
    # Bill the source in this many equal instalments (fixed by the first invoice of the source).
    instalments: int = Field(default=1, ge=1, le=120)
    # Bill the next instalment of a source already invoiced; without it a second request is refused.
    further: bool = False
    # For lines the source gives no rate (contracts never do); rate 0 needs the Natura.
    vat_rate: Decimal = Field(default=Decimal(22), ge=0, lt=100, decimal_places=2)
    natura: str | None = None
    issue_date: date | None = None
    series: str | None = None
    payment_days: int | None = Field(default=30, ge=0, le=365)
    causale: str | None = Field(default=None, max_length=200)


@dataclass(slots=True)
class Billing:
    """What a source says: whom to invoice, for what, and how the invoice refers to it."""

    kind: str
    id: str
    label: str
    customer: dict[str, Any]
    lines: list[InvoiceLine]
    order_reference: str | None = None
    record_id: str | None = None
    amount: str | None = None


# --------------------------------------------------------------------------- who is who


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def is_us(company: Company, vat: str | None, name: str | None) -> bool:
    """Our company by VAT id when one is known, else by name (case, spaces and punctuation aside)."""
    if vat:
        return normalise_vat(vat) == normalise_vat(company.vat_id)
    return bool(name) and _name_key(name or "") == _name_key(company.name)


def _validated(session: Session, record_id: str | None, what: str) -> None:
    """A source read from a scan must be validated; one typed in through the API was entered by a reviewer."""
    if record_id is None:
        return
    record = session.get(Record, record_id)
    status = record.status if record is not None else "missing"
    if status != "validated":
        raise _conflict(f"{what} is not validated (its record is {status}): approve it before invoicing")


def _record_fields(session: Session, record_id: str | None) -> dict[str, Any]:
    record = session.get(Record, record_id) if record_id else None
    return record_values(record) if record is not None else {}


def _eur(currency: str | None, what: str) -> None:
    if currency not in (None, "", "EUR"):
        raise _missing(f"{what} is in {currency}; outgoing invoices are issued in EUR")


# --------------------------------------------------------------------------- sources


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise _missing(f"{what}: not a number: {value!r}") from exc
    if not number.is_finite():
        raise _missing(f"{what}: not a number: {value!r}")
    return number


def _line(
    description: str, quantity: Decimal, price: Decimal, rate: Decimal, request: SourceInvoiceRequest
) -> InvoiceLine:
    return InvoiceLine(
        description=description[:1000],
        quantity=quantity,
        unit_price=price,
        vat_rate=rate,
        natura=request.natura if rate == 0 else None,
    )


def _order_lines(doc: PurchaseDocument, request: SourceInvoiceRequest) -> list[InvoiceLine]:
    """The order's lines; a line without a unit price is priced from its amount, one without a rate at the
    request's rate."""
    lines = []
    for number, raw in enumerate(doc.lines or [], start=1):
        what = f"order line {number}"
        quantity = _decimal(raw.get("quantity") or 1, what)
        if raw.get("unit_price") not in (None, ""):
            price = _decimal(raw["unit_price"], what)
        elif raw.get("amount") not in (None, "") and quantity:
            price = (_decimal(raw["amount"], what) / quantity).quantize(Decimal("0.00000001"))
        else:
            raise _missing(f"{what} has neither a unit price nor an amount")
        rate = _decimal(raw["vat_rate"], what) if raw.get("vat_rate") not in (None, "") else request.vat_rate
        lines.append(_line(str(raw.get("description") or f"Ordine {doc.number}"), quantity, price, rate, request))
    return lines


def load_order(
    session: Session, order_id: str, company: Company, request: SourceInvoiceRequest, *, lock: bool
) -> Billing:
    """A customer's order placed with us (we are its supplier): its buyer is the customer, its lines the lines."""
    query = select(PurchaseDocument).where(PurchaseDocument.id == order_id, PurchaseDocument.kind == "order")
    doc = session.scalar(query.with_for_update() if lock else query)
    if doc is None:
        raise LookupError(f"no order {order_id}")
    what = f"order {doc.number}"
    _validated(session, doc.record_id, what)
    if not is_us(company, doc.supplier_vat, doc.supplier_name):
        seller = doc.supplier_name or doc.supplier_vat or "no supplier"
        raise _missing(
            f"{what} is addressed to {seller}, not to {company.name} ({company.vat_id}): an order we "
            "placed is a purchase, only orders our customers place with us are invoiced"
        )
    if not doc.customer_name:
        raise _missing(f"{what} names no customer")
    _eur(doc.currency, what)
    if not doc.lines:
        raise _missing(f"{what} has no lines to invoice")
    fields = _record_fields(session, doc.record_id)
    customer = {
        "name": doc.customer_name,
        "vat_id": fields.get("customer_vat"),
        "tax_code": fields.get("customer_tax_code"),
    }
    on = f" del {doc.doc_date.strftime('%d/%m/%Y')}" if doc.doc_date else ""
    return Billing(
        "order",
        doc.id,
        f"Ordine n. {doc.number}{on}",
        customer,
        _order_lines(doc, request),
        order_reference=doc.number if len(doc.number) <= 20 else None,
        record_id=doc.record_id,
        amount=doc.total_amount,
    )


def _parties(entry: ContractEntry) -> list[dict[str, Any]]:
    """The contract's parties in document order, each with the VAT id and codice fiscale read beside it."""
    ids = {_name_key(str(p.get("name") or "")): p for p in entry.party_ids or [] if isinstance(p, dict)}
    return [{**ids.get(_name_key(name), {}), "name": name} for name in entry.parties or []]


def counterparty(entry: ContractEntry, company: Company, wanted: str | None) -> dict[str, Any]:
    """The party we invoice: the one named in the request, else the only party that is not us."""
    parties = _parties(entry)
    if wanted:
        for party in parties:
            if _name_key(party["name"]) == _name_key(wanted):
                return party
        raise _missing(f"no party named {wanted!r} in the contract (parties: {', '.join(entry.parties or [])})")
    others = [p for p in parties if not is_us(company, p.get("vat"), p["name"])]
    if len(others) == 1 and len(parties) > 1:
        return others[0]
    raise _missing(
        f"cannot tell which party of the contract is the customer ({', '.join(entry.parties or [])}; "
        f"we are {company.name}): name it in `party`"
    )


def load_contract(
    session: Session, contract_id: str, company: Company, request: SourceInvoiceRequest, *, lock: bool
) -> Billing:
    """A contract of the register: one billing line for its subject at its amount (net of VAT)."""
    query = select(ContractEntry).where(ContractEntry.id == contract_id)
    entry = session.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise LookupError(f"no contract {contract_id}")
    subject = (entry.subject or "").strip()
    what = f"contract {subject[:60] or entry.id}"
    _validated(session, entry.record_id, what)
    if not entry.amount:
        raise _missing(f"{what} states no amount to bill")
    _eur(entry.currency, what)
    party = counterparty(entry, company, request.party)
    customer = {"name": party["name"], "vat_id": party.get("vat"), "tax_code": party.get("tax_code")}
    label = f"Contratto: {subject}" if subject else "Corrispettivo contrattuale"
    if entry.effective_date:
        label += f" (dal {entry.effective_date.strftime('%d/%m/%Y')})"
    line = _line(label, Decimal(1), _decimal(entry.amount, what), request.vat_rate, request)
    return Billing("contract", entry.id, label, customer, [line], record_id=entry.record_id, amount=entry.amount)


LOADERS: dict[str, Callable[..., Billing]] = {"order": load_order, "contract": load_contract}


def load_source(
    session: Session, kind: str, source_id: str, company: Company, request: SourceInvoiceRequest, *, lock: bool
) -> Billing:
    """The source's billing; LookupError when there is none, SourceRefused when it cannot be invoiced."""
    if kind not in LOADERS:
        raise LookupError(f"no source kind {kind!r} (one of {', '.join(SOURCE_KINDS)})")
    try:
        return LOADERS[kind](session, source_id, company, request, lock=lock)
    except ValidationError as exc:  # a line the FatturaPA cannot carry (rate 0 without Natura, not Latin-1)
        raise _missing("; ".join(_problems(exc))) from exc


def _problems(exc: ValidationError) -> list[str]:
    return [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]


# --------------------------------------------------------------------------- customer, instalments


def known_customer(session: Session, billing: Billing, given: CustomerDetails) -> dict[str, Any]:
    """The customer's details: the request's, then the source's, then those of our last invoice to them."""
    vat = normalise_vat(given.vat_id or billing.customer.get("vat_id") or "") or None
    source_vat = billing.customer.get("vat_id")
    if given.vat_id and source_vat and normalise_vat(given.vat_id) != normalise_vat(source_vat):
        raise _missing(
            f"the {billing.kind} gives {billing.customer['name']} the VAT id {source_vat}, the request {given.vat_id}"
        )
    query = select(OutgoingInvoice.data).order_by(OutgoingInvoice.created_at.desc()).limit(1)
    past = session.scalar(
        query.where(OutgoingInvoice.customer_vat == vat)
        if vat
        else query.where(OutgoingInvoice.customer_name == billing.customer["name"])
    )
    before: dict[str, Any] = dict((past or {}).get("customer") or {})
    values: dict[str, Any] = {"name": billing.customer["name"]}
    for name in CHANNEL_FIELDS:
        values[name] = getattr(given, name) or billing.customer.get(name) or before.get(name)
    if values["vat_id"]:
        values["vat_id"] = normalise_vat(values["vat_id"])
    address = given.address.model_dump() if given.address else before.get("address")
    values["address"] = address
    return values


def customer_for(values: dict[str, Any]) -> Customer:
    """The FatturaPA customer, refused with the field to give when an identifier or the delivery is missing."""
    name = values["name"]
    if not (values.get("vat_id") or values.get("tax_code")):
        raise _missing(
            f"the customer {name} has no VAT id or codice fiscale: give customer.vat_id or customer.tax_code"
        )
    if not values.get("address"):
        raise _missing(f"the customer {name} has no address: give customer.address")
    country = str(values["address"].get("country") or "IT")
    # SdI delivers to the code or PEC; consumers (no VAT id) and foreign customers use the fixed codes instead.
    if country == "IT" and values.get("vat_id") and not (values.get("sdi_code") or values.get("pec")):
        raise _missing(f"the customer {name} has no SdI code or PEC: give customer.sdi_code or customer.pec")
    try:
        return Customer.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        raise _missing("customer: " + "; ".join(_problems(exc))) from exc


def invoiced(session: Session, kind: str, source_id: str) -> list[OutgoingInvoice]:
    return list(
        session.scalars(
            select(OutgoingInvoice)
            .where(OutgoingInvoice.source_kind == kind, OutgoingInvoice.source_id == source_id)
            .order_by(OutgoingInvoice.source_instalment)
        )
    )


def next_instalment(session: Session, billing: Billing, request: SourceInvoiceRequest) -> tuple[int, int]:
    """Instalment n of N to bill now; a source already invoiced is refused unless a further one is asked for."""
    issued = invoiced(session, billing.kind, billing.id)
    if not issued:
        return 1, request.instalments
    numbers = ", ".join(i.number for i in issued)
    of = issued[0].source_instalments or 1
    if not request.further:
        raise _conflict(
            f"{billing.label} is already invoiced ({numbers}); ask for a further instalment to bill the next one"
        )
    if request.instalments not in (1, of):
        raise _conflict(f"{billing.label} is billed in {of} instalments, not {request.instalments}")
    seq = max(i.source_instalment or 1 for i in issued) + 1
    if seq > of:
        raise _conflict(f"{billing.label}: all {of} instalment(s) are invoiced ({numbers})")
    return seq, of


def instalment_lines(billing: Billing, seq: int, of: int) -> list[InvoiceLine]:
    """Instalment ``seq`` of ``of``: per VAT rate, that share of the taxable amount (the shares add up exactly)."""
    if of == 1:
        return billing.lines
    groups: dict[tuple[Decimal, str | None], int] = {}
    for line in billing.lines:
        key = (line.vat_rate, line.natura)
        groups[key] = groups.get(key, 0) + (to_cents(line.amount) or 0)
    lines = []
    for (rate, natura), cents in groups.items():
        share = Decimal(from_cents(split_cents(cents, of)[seq - 1]))
        rated = f", IVA {natura or f'{rate.normalize():f}%'}" if len(groups) > 1 else ""
        lines.append(
            InvoiceLine(
                description=f"{billing.label}, rata {seq}/{of}{rated}"[:1000],
                unit_price=share,
                vat_rate=rate,
                natura=natura,
            )
        )
    return lines


# --------------------------------------------------------------------------- issuing


def issue_from_source(
    session: Session,
    kind: str,
    source_id: str,
    request: SourceInvoiceRequest,
    *,
    config: PipelinesConfig,
    store: ObjectStore,
    schema: Path,
    actor: str,
    now: datetime | None = None,
) -> OutgoingInvoice:
    """Issue the invoice of an order or contract through the same path as any outgoing invoice.

    The source row is locked (PostgreSQL) or the database write-locked (SQLite) before anything is read, so two
    requests for the same source cannot both pass the "not invoiced yet" check; the unique key on
    (source, instalment) backs that up.
    """
    write_lock(session)
    company = invoicing_of(config).company
    if company is None:
        raise InvoiceError("pipelines.yaml invoicing.company (who issues the invoices) is not configured")
    billing = load_source(session, kind, source_id, company, request, lock=True)
    seq, of = next_instalment(session, billing, request)
    customer = customer_for(known_customer(session, billing, request.customer))
    part = f", rata {seq}/{of}" if of > 1 else ""
    try:
        body = OutgoingRequest(
            customer=customer,
            lines=instalment_lines(billing, seq, of),
            issue_date=request.issue_date,
            series=request.series,
            payment_days=request.payment_days,
            order_reference=billing.order_reference,
            causale=request.causale or f"{billing.label}{part}"[:200],
        )
    except ValidationError as exc:
        raise _missing("; ".join(_problems(exc))) from exc
    return issue_locked(
        session,
        body,
        config=config,
        store=store,
        schema=schema,
        actor=actor,
        now=now,
        source=SourceRef(kind, billing.id, seq, of),
    )


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One order or contract on the page of sources to invoice."""

    kind: str
    id: str
    label: str
    customer: str
    amount: str | None
    validated: bool
    invoices: list[str]
    instalments: int


def invoiceable(session: Session, company: Company, limit: int = 300) -> list[SourceRow]:
    """Orders placed with us and contracts of the register, newest first, with the invoices already issued."""
    issued: dict[tuple[str, str], list[str]] = {}
    of: dict[tuple[str, str], int] = {}
    for invoice in session.scalars(
        select(OutgoingInvoice)
        .where(OutgoingInvoice.source_kind.is_not(None))
        .order_by(OutgoingInvoice.source_instalment)
    ):
        key = (str(invoice.source_kind), str(invoice.source_id))
        issued.setdefault(key, []).append(invoice.number)
        of[key] = invoice.source_instalments or 1
    orders = [
        doc
        for doc in session.scalars(
            select(PurchaseDocument)
            .where(PurchaseDocument.kind == "order")
            .order_by(PurchaseDocument.created_at.desc())
            .limit(limit)
        )
        if is_us(company, doc.supplier_vat, doc.supplier_name)
    ]
    contracts = list(session.scalars(select(ContractEntry).order_by(ContractEntry.created_at.desc()).limit(limit)))
    record_ids = [s.record_id for s in [*orders, *contracts] if s.record_id]
    statuses = {
        rid: state for rid, state in session.execute(select(Record.id, Record.status).where(Record.id.in_(record_ids)))
    }
    rows = [
        SourceRow(
            "order",
            doc.id,
            f"Ordine n. {doc.number}",
            doc.customer_name or "",
            doc.total_amount,
            doc.record_id is None or statuses.get(doc.record_id) == "validated",
            issued.get(("order", doc.id), []),
            of.get(("order", doc.id), 1),
        )
        for doc in orders
    ]
    rows += [
        SourceRow(
            "contract",
            entry.id,
            f"Contratto: {entry.subject or entry.id}",
            ", ".join(p for p in entry.parties or [] if not is_us(company, None, p)),
            entry.amount,
            statuses.get(entry.record_id) == "validated",
            issued.get(("contract", entry.id), []),
            of.get(("contract", entry.id), 1),
        )
        for entry in contracts
    ]
    return rows
