"""Passive cycle: a validated (and protocolled) supplier invoice or credit note becomes a payable, once."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.after_validation import run_for_validated_records
from core.config import PipelinesConfig
from core.context import StageContext
from ingest.sniff import P7M
from invoicing.config import invoicing_of
from invoicing.duplicates import (
    PAYABLE_TYPES,
    content_sha256,
    is_flagged,
    normalise_number,
    normalise_vat,
    record_values,
    to_cents,
    upsert_key,
)
from invoicing.fatturapa_in import FatturaPAError, P7MError, _children, _findall, _text, extract_p7m, parse_xml
from invoicing.models import Instalment, Payable, Supplier
from invoicing.stage import is_e_invoice
from invoicing.terms import Due, instalments
from invoicing.values import canonical_amount, canonical_date, canonical_number, round_cents, to_decimal
from storage.models import Document, Event, Record, utcnow
from storage.objects import ObjectStore

log = logging.getLogger("quinte.invoicing")
# The page names the invoice a credit note corrects with one of these phrases (samples/vocab.py "reference").
_CORRECTS = re.compile(
    r"(?:storno\s+della\s+fattura|rif(?:\.|erimento)?\s+(?:alla\s+)?fattura|fattura\s+(?:n[.°º]?|nr\.?|numero)|"
    r"relating\s+to\s+invoice|credit\s+for\s+invoice|invoice\s+(?:no\.?|number|#)|zur\s+rechnung|"
    r"korrektur\s+der\s+rechnung|rechnung\s+nr\.?|(?:relatif\s+à|annule)\s+la\s+facture|"
    r"(?:rectifica|referente\s+a)\s+la\s+factura)"
    r"\s*(?:n(?:r|o|um(?:ero)?)?\s*[.°º]*\s*º?|#)?\s*:?\s*([A-Za-z0-9][A-Za-z0-9/\-.]*[0-9][A-Za-z0-9/\-]*)",
    re.I,
)


class NotBooked(Exception):
    """A validated record that cannot become a payable; the message says why (also in the audit log)."""


@dataclass(slots=True)
class SdiDetails:
    """What an e-invoice body says beyond the record's fields: instalments, VAT summary, corrected invoice."""

    dues: list[Due] = field(default_factory=list)
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    corrects: str | None = None


# --------------------------------------------------------------------------- reading the record

def _sdi_body(store: ObjectStore, document: Document, body_index: int) -> etree._Element | None:
    data = store.get(document.object_key)
    try:
        root = parse_xml(extract_p7m(data) if document.media_type == P7M else data)
    except (FatturaPAError, P7MError):
        return None
    bodies = list(_children(root, "FatturaElettronicaBody"))
    return bodies[body_index] if body_index < len(bodies) else None


def sdi_details(store: ObjectStore, document: Document, body_index: int) -> SdiDetails:
    """DettaglioPagamento instalments, DatiRiepilogo and DatiFattureCollegate of one body of an e-invoice."""
    body = _sdi_body(store, document, body_index)
    details = SdiDetails()
    if body is None:
        return details
    for detail in _findall(body, "DatiPagamento/DettaglioPagamento"):
        raw_due, raw_amount = _text(detail, "DataScadenzaPagamento"), _text(detail, "ImportoPagamento")
        if raw_due and raw_amount:
            try:
                details.dues.append(Due(date.fromisoformat(canonical_date(raw_due)),
                                        to_cents(canonical_amount(to_decimal(raw_amount))) or 0))
            except ValueError:
                continue
    for summary in _findall(body, "DatiBeniServizi/DatiRiepilogo"):
        details.breakdown.append({
            "rate": canonical_number(to_decimal(_text(summary, "AliquotaIVA") or "0")),
            "natura": _text(summary, "Natura"),
            "taxable": canonical_amount(to_decimal(_text(summary, "ImponibileImporto") or "0")),
            "tax": canonical_amount(to_decimal(_text(summary, "Imposta") or "0")),
        })
    details.corrects = _text(body, "DatiGenerali/DatiFattureCollegate/IdDocumento")
    return details


def paper_breakdown(values: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Net and VAT per rate from the lines when they add up to the net amount, else from the totals."""
    groups: dict[str, Decimal] = {}
    try:
        for line in lines:
            rate = canonical_number(to_decimal(str(line["vat_rate"])))
            groups[rate] = groups.get(rate, Decimal(0)) + to_decimal(str(line["amount"]))
    except (KeyError, ValueError):
        groups = {}
    net = values.get("net_amount")
    if groups and net is not None and sum(groups.values()) == to_decimal(str(net)):
        return [{"rate": rate, "natura": None, "taxable": canonical_amount(taxable),
                 "tax": canonical_amount(round_cents(taxable * to_decimal(rate) / 100))}
                for rate, taxable in groups.items()]
    if net is None:
        return []
    return [{"rate": values.get("vat_rate"), "natura": None, "taxable": str(net),
             "tax": str(values.get("vat_amount", "0.00"))}]


def corrected_number(record: Record, sdi: SdiDetails | None) -> str | None:
    """The invoice a credit note corrects, from DatiFattureCollegate or the wording on the page."""
    if record.doc_type != "credit_note":
        return None
    if sdi is not None and sdi.corrects:
        return sdi.corrects
    found = _CORRECTS.search(record.text or "")
    return found.group(1).rstrip(".-/") if found else None


# --------------------------------------------------------------------------- booking

def _approved_by_person(session: Session, record_id: str) -> bool:
    """Whether a reviewer (not the machine) validated the record: the explicit decision a flagged duplicate needs."""
    return session.scalar(select(Event.id).where(Event.record_id == record_id, Event.kind == "record.validated",
                                                 Event.actor != "system").limit(1)) is not None


def _protocol_pending(session: Session, config: PipelinesConfig, record: Record) -> bool:
    """True when a register applies to the record and it has no entry there yet."""
    from protocol.config import register_for
    from protocol.models import ProtocolEntry

    register = register_for(config, record.pipeline, record.doc_type)
    if register is None:
        return False
    return session.scalar(select(ProtocolEntry.id).where(ProtocolEntry.register == register.code,
                                                         ProtocolEntry.record_id == record.id)) is None


def upsert_supplier(session: Session, values: dict[str, Any], actor: str) -> tuple[Supplier, str | None]:
    """Create or update the supplier by VAT id; returns it and the IBAN it had before, when that changed."""
    vat = normalise_vat(str(values["supplier_vat"]))
    supplier = session.scalar(select(Supplier).where(Supplier.vat_id == vat))
    if supplier is None:
        supplier = Supplier(vat_id=vat, name=str(values.get("supplier_name") or vat))
        session.add(supplier)
    previous_iban = supplier.iban
    supplier.name = str(values.get("supplier_name") or supplier.name)
    supplier.tax_code = values.get("supplier_tax_code") or supplier.tax_code
    supplier.address = values.get("supplier_address") or supplier.address
    supplier.iban = values.get("iban") or supplier.iban
    supplier.updated_at = utcnow()
    session.flush()
    changed = previous_iban if previous_iban and supplier.iban != previous_iban else None
    if changed:
        session.add(Event(kind="supplier.iban_changed", actor=actor,
                          data={"supplier": vat, "old": previous_iban, "new": supplier.iban}))
    return supplier, changed


def link_credit_notes(session: Session, payable: Payable) -> None:
    """Join a credit note to the invoice it names, in whichever order the two arrive."""
    if payable.kind == "credit_note" and payable.corrects_number:
        wanted = normalise_number(payable.corrects_number)
        invoice = session.scalar(select(Payable).where(Payable.supplier_id == payable.supplier_id,
                                                       Payable.kind == "invoice", Payable.number_norm == wanted))
        payable.corrects_payable_id = invoice.id if invoice else None
    elif payable.kind == "invoice":
        for note in session.scalars(select(Payable).where(
                Payable.supplier_id == payable.supplier_id, Payable.kind == "credit_note",
                Payable.corrects_payable_id.is_(None), Payable.corrects_number.is_not(None))):
            if normalise_number(note.corrects_number or "") == payable.number_norm:
                note.corrects_payable_id = payable.id


def _check_bookable(session: Session, config: PipelinesConfig, record: Record) -> dict[str, Any]:
    values = record_values(record)
    missing = [name for name in ("supplier_vat", "invoice_number", "total_amount") if not values.get(name)]
    if missing:
        raise NotBooked(f"missing {', '.join(missing)}")
    if is_flagged(record) and not _approved_by_person(session, record.id):
        raise NotBooked("flagged as a probable duplicate and not approved by a reviewer")
    if _protocol_pending(session, config, record):
        raise NotBooked("not yet registered in its protocol register")
    return values


def book_record(session: Session, record: Record, *, config: PipelinesConfig, store: ObjectStore | None,
                actor: str) -> Payable:
    """Create the payable of a validated invoice or credit note; raises NotBooked with the reason otherwise."""
    values = _check_bookable(session, config, record)
    document = record.document
    sdi = sdi_details(store, document, record.body_index) if store and is_e_invoice(document.media_type) else None
    if store is not None:
        upsert_key(session, record, content_sha256(store, document))  # later copies are compared with this one
    supplier, old_iban = upsert_supplier(session, values, actor)
    total = to_cents(values["total_amount"]) or 0
    issue = date.fromisoformat(values["issue_date"]) if values.get("issue_date") else None
    dues = (sdi.dues if sdi and sdi.dues else instalments(
        total, issue, due=date.fromisoformat(values["due_date"]) if values.get("due_date") else None,
        terms=values.get("payment_terms"), default_days=invoicing_of(config).default_payment_days))
    number = str(values["invoice_number"])
    payable = Payable(
        record_id=record.id, document_id=record.document_id, supplier_id=supplier.id,
        kind=record.doc_type or "invoice", number=number, number_norm=normalise_number(number), issue_date=issue,
        due_date=min(d.due_date for d in dues), currency=str(values.get("currency") or "EUR"),
        net_cents=to_cents(values.get("net_amount")), vat_cents=to_cents(values.get("vat_amount")),
        total_cents=total, vat_breakdown=sdi.breakdown if sdi and sdi.breakdown else paper_breakdown(
            values, record.lines or []),
        iban=values.get("iban") or supplier.iban, payment_terms=values.get("payment_terms"),
        corrects_number=corrected_number(record, sdi), source="sdi" if sdi is not None else "paper",
        created_by=actor,
        instalments=[Instalment(seq=i, due_date=d.due_date, amount_cents=d.amount_cents)
                     for i, d in enumerate(dues, start=1)],
    )
    if old_iban:
        # A changed bank account on an invoice is the classic supplier fraud: a person confirms it first.
        payable.status, payable.hold_reason = "on_hold", f"supplier IBAN changed from {old_iban} to {supplier.iban}"
    session.add(payable)
    session.flush()
    link_credit_notes(session, payable)
    session.add(Event(kind="payable.created", actor=actor, document_id=record.document_id, record_id=record.id,
                      data={"payable_id": payable.id, "supplier": supplier.vat_id, "number": number,
                            "total": values["total_amount"], "status": payable.status}))
    return payable


def create_payable_for_record(session: Session, record_id: str, *, config: PipelinesConfig,
                              store: ObjectStore | None = None, actor: str = "system") -> Payable | None:
    """The payable of a record, created once; None when the record is not a validated invoice or cannot be booked.

    Called through ``core.after_validation`` (invoicing/order_match.py) by the `payable` stage and by approval
    inside its transaction (after protocol registration), so approval, registration and booking commit together.
    Why a record is not booked is written to the audit log as ``payable.not_booked``.
    """
    record = session.get(Record, record_id)
    if record is None or record.status != "validated" or record.doc_type not in PAYABLE_TYPES:
        return None
    existing = session.scalar(select(Payable).where(Payable.record_id == record_id))
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            return book_record(session, record, config=config, store=store, actor=actor)
    except NotBooked as exc:
        log.info("record %s not booked: %s", record_id, exc)
        session.add(Event(kind="payable.not_booked", actor=actor, document_id=record.document_id,
                          record_id=record.id, data={"reason": str(exc)}))
        return None


def set_hold(session: Session, payable: Payable, *, hold: bool, reason: str | None, actor: str) -> None:
    """Put an open payable on hold (with a reason) or release it back to open."""
    if hold and payable.status != "open":
        raise NotBooked(f"only an open payable can be put on hold, this one is {payable.status}")
    if not hold and payable.status != "on_hold":
        raise NotBooked(f"the payable is {payable.status}, not on hold")
    if hold and not (reason or "").strip():
        raise NotBooked("say why the payable is put on hold")
    payable.status = "on_hold" if hold else "open"
    payable.hold_reason = reason.strip() if hold and reason else None
    payable.updated_at = datetime.now(UTC)
    session.add(Event(kind="payable.held" if hold else "payable.released", actor=actor,
                      document_id=payable.document_id, record_id=payable.record_id,
                      data={"payable_id": payable.id, "reason": reason}))


class PayableParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Match each invoice to its purchase order (and delivery notes) when it is booked; the quantity and price
    # tolerances are the `contracts:` section's (`tolerances`, or `pipeline_tolerances` for this pipeline).
    match_orders: bool = True
    # True: an invoice with no order is held and sent to review; False: it is booked and the missing order reported.
    require_order: bool = False


def payable_stage(ctx: StageContext, params: PayableParams) -> None:
    """Book every validated invoice and credit note of the document; others wait for a reviewer's approval."""
    run_for_validated_records(ctx, "payable")
