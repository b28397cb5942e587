"""The contracts register: validated contract records become entries with computed deadlines and a status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import ContractEntry, PurchaseDocument
from extract.contract import add_duration, end_from_term, subtract_duration
from storage.models import Event, FieldRow, Record, utcnow

STATUSES = ("active", "expiring", "renewed", "terminated")


@dataclass(frozen=True, slots=True)
class Deadlines:
    """What a contract's dates imply: when it ends, the last day to give notice, when it renews by itself."""

    end_date: dt.date | None
    notice_date: dt.date | None
    renewal_date: dt.date | None


def compute_deadlines(effective: dt.date | None, end: dt.date | None, term: str | None,
                      notice: str | None, auto_renewal: bool | None) -> Deadlines:
    """End = printed end, or effective + term − 1 day; notice = end − notice period; renewal = the day after end."""
    if end is None and effective is not None and term:
        end = dt.date.fromisoformat(end_from_term(effective.isoformat(), term))
    notice_date = subtract_duration(end, notice) if end is not None and notice else None
    renewal = end + dt.timedelta(days=1) if end is not None and auto_renewal else None
    return Deadlines(end, notice_date, renewal)


def roll_forward(entry: ContractEntry, today: dt.date) -> bool:
    """A tacitly renewed contract past its end runs for another term: move its dates on; True when it did."""
    if not (entry.auto_renewal and entry.end_date and entry.term) or entry.status == "terminated":
        return False
    moved = False
    while entry.end_date < today:
        start = entry.end_date + dt.timedelta(days=1)
        entry.end_date = add_duration(start, entry.term) - dt.timedelta(days=1)
        moved = True
    if moved:
        deadlines = compute_deadlines(None, entry.end_date, entry.term, entry.notice_period, True)
        entry.notice_date, entry.renewal_date = deadlines.notice_date, deadlines.renewal_date
    return moved


def status_for(entry: ContractEntry, today: dt.date, expiring_days: int) -> str:
    """`terminated` stays; past its end a non-renewing contract is terminated; near its notice day it is expiring."""
    if entry.status == "terminated":
        return "terminated"
    if entry.end_date and entry.end_date < today and not entry.auto_renewal:
        return "terminated"
    watch = entry.notice_date or entry.end_date
    if watch and today <= watch <= today + dt.timedelta(days=expiring_days):
        return "expiring"
    return "renewed" if entry.status == "renewed" else "active"


def _fields(session: Session, record_id: str) -> dict[str, Any]:
    rows = session.scalars(select(FieldRow).where(FieldRow.record_id == record_id))
    return {row.name: row.value for row in rows if row.value is not None}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def register_contract(session: Session, record_id: str, *, today: dt.date | None = None,
                      expiring_days: int = 60) -> ContractEntry | PurchaseDocument | None:
    """Enter a validated contract (or order / DDT) record in its register; again on a re-approval it updates.

    Returns None for records that are not validated or not of these types.
    """
    record = session.get(Record, record_id)
    if record is None or record.status != "validated":
        return None
    if record.doc_type in ("order", "delivery_note"):
        return register_purchase_document(session, record)
    if record.doc_type != "contract":
        return None
    fields = _fields(session, record_id)
    entry = session.scalar(select(ContractEntry).where(ContractEntry.record_id == record_id))
    created = entry is None
    if entry is None:
        entry = ContractEntry(record_id=record_id, document_id=record.document_id)
        session.add(entry)
    effective, end = _date(fields.get("effective_date")), _date(fields.get("end_date"))
    deadlines = compute_deadlines(effective, end, fields.get("term"), fields.get("notice_period"),
                                  fields.get("auto_renewal"))
    entry.subject = fields.get("subject")
    entry.parties = list(fields.get("parties") or [])
    entry.party_ids = list(fields.get("party_ids") or [])
    entry.amount, entry.currency = fields.get("amount"), fields.get("currency")
    entry.effective_date, entry.end_date = effective, deadlines.end_date
    entry.term, entry.notice_period = fields.get("term"), fields.get("notice_period")
    entry.auto_renewal, entry.jurisdiction = fields.get("auto_renewal"), fields.get("jurisdiction")
    entry.notice_date, entry.renewal_date = deadlines.notice_date, deadlines.renewal_date
    entry.status = status_for(entry, today or dt.date.today(), expiring_days)
    entry.updated_at = utcnow()
    session.flush()
    session.add(Event(kind="contract.registered" if created else "contract.updated", record_id=record_id,
                      document_id=record.document_id, data={"contract_id": entry.id}))
    return entry


def register_purchase_document(session: Session, record: Record) -> PurchaseDocument:
    """Orders and DDTs read from scans join the ones created through the API, for matching."""
    fields = _fields(session, record.id)
    kind = record.doc_type or "order"
    doc = session.scalar(select(PurchaseDocument).where(PurchaseDocument.record_id == record.id))
    if doc is None:
        doc = PurchaseDocument(kind=kind, record_id=record.id, number="")
        session.add(doc)
    doc.number = str(fields.get("order_number" if kind == "order" else "ddt_number") or record.id)
    doc.doc_date = _date(fields.get("order_date" if kind == "order" else "ddt_date"))
    doc.supplier_name, doc.supplier_vat = fields.get("supplier_name"), fields.get("supplier_vat")
    doc.customer_name, doc.total_amount = fields.get("customer_name"), fields.get("total_amount")
    doc.currency, doc.cig, doc.cup = fields.get("currency"), fields.get("cig"), fields.get("cup")
    doc.order_reference = fields.get("order_reference")
    doc.lines = list(record.lines or [])
    session.flush()
    return doc


def contract_json(entry: ContractEntry) -> dict[str, Any]:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "id": entry.id, "record_id": entry.record_id, "document_id": entry.document_id, "subject": entry.subject,
        "parties": entry.parties, "party_ids": entry.party_ids, "amount": entry.amount, "currency": entry.currency,
        "effective_date": iso(entry.effective_date), "end_date": iso(entry.end_date), "term": entry.term,
        "auto_renewal": entry.auto_renewal, "notice_period": entry.notice_period,
        "jurisdiction": entry.jurisdiction, "status": entry.status,
        "deadlines": deadline_list(entry),
    }


def deadline_list(entry: ContractEntry) -> list[dict[str, str]]:
    """The entry's deadlines in date order: notice (last day to send it), end, renewal."""
    items = [("notice", entry.notice_date), ("end", entry.end_date), ("renewal", entry.renewal_date)]
    return sorted(({"kind": kind, "date": day.isoformat()} for kind, day in items if day), key=lambda d: d["date"])
