"""The record view: page image with evidence, fields, lines, checks, lease, history, document-type change."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.records import touch
from review_ui import locks
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from review_ui.pages import DOC_TYPES, render
from review_ui.queue import Filters, filters_dep
from storage.models import Event, Page, Record

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(require("review"))]
Admin = Annotated[Principal, Depends(require("admin"))]
EDITABLE = frozenset({"needs_review", "validated"})
ATTENTION_BELOW = 0.9
# The shared field names per document type (interfaces.md §4), so a missing one can be typed in.
FIELDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "invoice": ("supplier_name", "supplier_vat", "supplier_tax_code", "supplier_address", "customer_name",
                "customer_vat", "customer_tax_code", "invoice_number", "issue_date", "due_date", "currency",
                "net_amount", "vat_amount", "vat_rate", "total_amount", "iban", "payment_terms", "order_reference"),
    "receipt": ("supplier_name", "supplier_address", "supplier_vat", "issue_date", "total_amount", "currency"),
    "contract": ("parties", "subject", "effective_date", "end_date", "term", "auto_renewal", "notice_period",
                 "amount", "currency", "jurisdiction"),
    "order": ("order_number", "order_date", "supplier_name", "supplier_vat", "customer_name", "delivery_date",
              "total_amount", "currency", "cig", "cup"),
    "delivery_note": ("ddt_number", "ddt_date", "supplier_name", "customer_name", "order_reference"),
    "timesheet": ("employee_name", "employee_tax_code", "period", "total_ordinary_hours", "total_overtime_hours"),
}
FIELDS_BY_TYPE["credit_note"] = FIELDS_BY_TYPE["invoice"]
LINE_COLUMNS = ("description", "quantity", "unit_price", "amount", "vat_rate")
_REASON_FIELD = re.compile(r"^(\w+) (?:is uncertain|was not found)")


def _record(session: Session, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record")
    return record


def _text(value: Any) -> tuple[str, bool]:
    """A value as the input shows it, and whether it is JSON (lists, booleans) rather than a plain string."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return value, False
    return json.dumps(value, ensure_ascii=False), True


def confidence_class(confidence: float | None, source: str | None) -> str:
    if source == "human":
        return "human"
    if confidence is None:
        return "none"
    return "high" if confidence >= ATTENTION_BELOW else "mid" if confidence >= 0.7 else "low"


def attention_names(record: Record) -> set[str]:
    """Fields a reason or a failed check names: where the reviewer should look first."""
    names = {match.group(1) for reason in record.reasons or [] if (match := _REASON_FIELD.match(str(reason)))}
    names |= {str(check["field"]) for check in record.checks or [] if check.get("field")}
    return names


def field_views(record: Record) -> list[dict[str, Any]]:
    """Every field to show: the record's own, then the missing names its type expects, in the type's order."""
    flagged = attention_names(record)
    rows = {row.name: row for row in record.fields}
    expected = FIELDS_BY_TYPE.get(record.doc_type or "", ())
    order = list(expected) + sorted(set(rows) - set(expected))
    views = []
    for name in order:
        row = rows.get(name)
        value, is_json = _text(row.value if row else None)
        machine, _ = _text(row.machine_value if row else None)
        confidence = row.confidence if row else None
        source = row.source if row else None
        attention = name in flagged or (row is not None and row.value is not None and source != "human"
                                        and (confidence or 0) < ATTENTION_BELOW)
        views.append({"name": name, "value": value, "json": is_json, "machine": machine,
                      "differs": row is not None and row.value != row.machine_value and row.machine_value is not None,
                      "confidence": confidence, "cls": confidence_class(confidence, source), "source": source or "",
                      "page": row.page if row else None, "bbox": row.bbox if row else None,
                      "attention": attention, "corrected_by": row.corrected_by if row else None})
    return views


@router.get("/records/{record_id}")
def record_page(request: Request, record_id: str, principal: Reviewer, runtime: RuntimeDep,
                filters: Annotated[Filters, Depends(filters_dep)]) -> Response:
    """Open a record; opening it claims the lease when it can still be edited."""
    with runtime.db.session() as session:
        record = _record(session, record_id)
        lock = locks.claim(session, record.id, principal) if record.status in EDITABLE else \
            locks.state(session, record.id, principal)
    with runtime.db.session() as session:
        record = _record(session, record_id)
        pages = session.scalars(select(Page).where(Page.document_id == record.document_id)
                                .order_by(Page.number)).all()
        context = {"record": record, "document": record.document, "pages": pages,
                   "fields": field_views(record), "lock": lock, "editable": record.status in EDITABLE,
                   "can_decide": record.status == "needs_review", "doc_types": DOC_TYPES,
                   "line_columns": LINE_COLUMNS, "lines": record.lines or [], "filters": filters}
        return render(request, "record.html", context, principal=principal)


def _lock_fragment(request: Request, record: Record, lock: locks.LockState, principal: Principal) -> Response:
    return render(request, "_lock.html", {"record": record, "lock": lock,
                                          "editable": record.status in EDITABLE}, principal=principal)


@router.post("/records/{record_id}/lease")
def renew_lease(request: Request, record_id: str, principal: Reviewer, session: SessionDep) -> Response:
    """Polled while the record is open: renews the lease, or reports who took it."""
    record = _record(session, record_id)
    lock = locks.claim(session, record.id, principal) if record.status in EDITABLE else \
        locks.state(session, record.id, principal)
    return _lock_fragment(request, record, lock, principal)


@router.post("/records/{record_id}/release", status_code=204)
def release_lease(record_id: str, principal: Reviewer, session: SessionDep) -> Response:
    """Sent when the page is left, so the next reviewer need not wait for the lease to run out."""
    locks.release(session, record_id, principal)
    return Response(status_code=204)


@router.post("/records/{record_id}/lock/break")
def break_lease(request: Request, record_id: str, principal: Admin, session: SessionDep) -> Response:
    """An admin frees a record someone left open, and takes it over."""
    record = _record(session, record_id)
    before = locks.state(session, record.id, principal)
    locks.release(session, record.id)
    if before.held_by_other:
        session.add(Event(kind="lock.broken", actor=principal.username, via="ui", document_id=record.document_id,
                          record_id=record.id, data={"holder": before.holder}))
    lock = locks.claim(session, record.id, principal)
    return _lock_fragment(request, record, lock, principal)


@router.get("/records/{record_id}/history")
def history_fragment(request: Request, record_id: str, principal: Reviewer, session: SessionDep) -> Response:
    record = _record(session, record_id)
    events = session.scalars(select(Event).where(Event.record_id == record.id).order_by(Event.id.desc())).all()
    return render(request, "_history.html", {"events": events}, principal=principal)


@router.post("/records/{record_id}/doctype")
def change_doc_type(request: Request, record_id: str, principal: Reviewer, runtime: RuntimeDep,
                    doc_type: Annotated[str, Form()], version: Annotated[int, Form()]) -> Response:
    """A person's choice of type, then extraction again; fields a person corrected keep their values."""
    if doc_type not in DOC_TYPES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"unknown document type {doc_type!r}")
    with runtime.db.session() as session:
        record = _record(session, record_id)
        locks.ensure_writable(session, record.id, principal)
        if record.version != version:
            raise HTTPException(status.HTTP_409_CONFLICT, "the record changed since you read it; reload it")
        if record.status != "needs_review":
            # A decided record is never re-extracted (the extract stage skips it), so its type stays put.
            raise HTTPException(status.HTTP_409_CONFLICT, f"the type of a {record.status} record cannot be changed")
        old, document_id = record.doc_type, record.document_id
        record.doc_type, record.doc_type_by_human, record.doc_type_confidence = doc_type, True, 1.0
        touch(record)
        session.add(Event(kind="doc_type.changed", actor=principal.username, via="ui", document_id=document_id,
                          record_id=record.id, data={"field": "doc_type", "old": old, "new": doc_type}))
    # Committed first: the extract stage reads the person's choice from the database.
    request.app.state.dispatcher.submit(document_id, "extract")
    return RedirectResponse(f"/records/{record_id}", status_code=303)
