"""Invoicing API: suppliers, payables, payment runs (pain.001), outgoing invoices (FatturaPA, PDF); role `invoicing`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.records import iso
from core.runtime import Runtime
from invoicing.active import InvoiceError, OutgoingRequest, issue_invoice
from invoicing.billing import SourceInvoiceRequest, SourceRefused, issue_from_source
from invoicing.config import schema_path
from invoicing.duplicates import from_cents
from invoicing.models import (
    INSTALMENT_STATUSES,
    PAYABLE_STATUSES,
    OutgoingInvoice,
    Payable,
    PaymentRun,
    PaymentRunItem,
    Supplier,
)
from invoicing.payables import NotBooked, set_hold
from invoicing.payments import PaymentRunError, approve_run, cancel_run, execute_run, prepare_run, write_lock
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require

router = APIRouter(prefix="/api", tags=["invoicing"])
Invoicing = Annotated[Principal, Depends(require("invoicing"))]


def _amount(cents: int | None) -> str | None:
    return None if cents is None else from_cents(cents)


def supplier_json(supplier: Supplier) -> dict[str, Any]:
    return {"id": supplier.id, "vat_id": supplier.vat_id, "name": supplier.name, "tax_code": supplier.tax_code,
            "address": supplier.address, "iban": supplier.iban, "updated_at": iso(supplier.updated_at)}


def payable_json(payable: Payable) -> dict[str, Any]:
    return {
        "id": payable.id, "record_id": payable.record_id, "kind": payable.kind, "status": payable.status,
        "hold_reason": payable.hold_reason, "supplier": supplier_json(payable.supplier), "number": payable.number,
        "issue_date": payable.issue_date.isoformat() if payable.issue_date else None,
        "due_date": payable.due_date.isoformat() if payable.due_date else None, "currency": payable.currency,
        "net_amount": _amount(payable.net_cents), "vat_amount": _amount(payable.vat_cents),
        "total_amount": _amount(payable.total_cents), "vat_breakdown": payable.vat_breakdown,
        "instalments": [{"seq": i.seq, "due_date": i.due_date.isoformat(), "amount": _amount(i.amount_cents),
                         "status": i.status} for i in payable.instalments],
        "payment": payment_progress(payable),
        "iban": payable.iban, "payment_terms": payable.payment_terms, "corrects_number": payable.corrects_number,
        "corrects_payable_id": payable.corrects_payable_id, "source": payable.source,
        "created_at": iso(payable.created_at), "updated_at": iso(payable.updated_at),
    }


def payment_progress(payable: Payable) -> dict[str, Any]:
    """How far the instalments are: counts and amounts paid, scheduled and still open (partial payment shows)."""
    dues = payable.instalments
    cents = {state: sum(i.amount_cents for i in dues if i.status == state) for state in INSTALMENT_STATUSES}
    counts = {state: sum(1 for i in dues if i.status == state) for state in INSTALMENT_STATUSES}
    return {"instalments": len(dues), **{f"{state}_instalments": counts[state] for state in INSTALMENT_STATUSES},
            **{f"{state}_amount": from_cents(cents[state]) for state in INSTALMENT_STATUSES},
            "partial": 0 < counts["paid"] + counts["scheduled"] < len(dues)}


def _instalment_label(item: PaymentRunItem) -> str | None:
    if item.instalment is None:
        return None
    return f"{item.instalment.seq}/{len(item.instalment.payable.instalments)}"


def run_json(run: PaymentRun) -> dict[str, Any]:
    return {
        "id": run.id, "status": run.status, "execution_date": run.execution_date.isoformat(),
        "message_id": run.message_id, "transactions": run.transactions, "total_amount": _amount(run.total_cents),
        "created_by": run.created_by, "created_at": iso(run.created_at), "approved_by": run.approved_by,
        "approved_at": iso(run.approved_at), "executed_by": run.executed_by, "executed_at": iso(run.executed_at),
        "items": [{"payable_id": i.payable_id, "instalment_id": i.instalment_id, "instalment": _instalment_label(i),
                   "amount": _amount(i.amount_cents), "end_to_end_id": i.end_to_end_id, "remittance": i.remittance,
                   "credit_note_ids": i.credit_note_ids} for i in run.items],
    }


def invoice_json(invoice: OutgoingInvoice) -> dict[str, Any]:
    return {
        "id": invoice.id, "number": invoice.number, "series": invoice.series, "year": invoice.year,
        "issue_date": invoice.issue_date.isoformat(), "doc_type": invoice.doc_type,
        "customer_name": invoice.customer_name, "customer_vat": invoice.customer_vat,
        "net_amount": _amount(invoice.net_cents), "vat_amount": _amount(invoice.vat_cents),
        "total_amount": _amount(invoice.total_cents), "file_name": invoice.file_name,
        "protocol_entry_id": invoice.protocol_entry_id, "source": None if invoice.source_kind is None else {
            "kind": invoice.source_kind, "id": invoice.source_id, "instalment": invoice.source_instalment,
            "instalments": invoice.source_instalments},
        "created_by": invoice.created_by,
        "created_at": iso(invoice.created_at), "data": invoice.data,
    }


def _get(session: Session, model: type, key: object, what: str) -> Any:
    found = session.get(model, key)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} {key}")
    return found


# --------------------------------------------------------------------------- suppliers and payables

@router.get("/suppliers")
def list_suppliers(session: SessionDep, _: Invoicing, q: str | None = None) -> dict[str, Any]:
    query = select(Supplier).order_by(Supplier.name)
    if q:
        query = query.where(Supplier.name.ilike(f"%{q}%") | Supplier.vat_id.ilike(f"%{q}%"))
    return {"items": [supplier_json(s) for s in session.scalars(query.limit(500))]}


@router.get("/suppliers/{supplier_id}")
def get_supplier(supplier_id: int, session: SessionDep, _: Invoicing) -> dict[str, Any]:
    return supplier_json(_get(session, Supplier, supplier_id, "supplier"))


@router.get("/payables")
def list_payables(session: SessionDep, _: Invoicing, status_: Annotated[str | None, Query(alias="status")] = None,
                  due_by: date | None = None, supplier_id: int | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Payables by due date (earliest first), filtered by status, due date and supplier."""
    if status_ is not None and status_ not in PAYABLE_STATUSES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"status must be one of {PAYABLE_STATUSES}")
    query = select(Payable).order_by(Payable.due_date, Payable.id).limit(limit)
    if status_:
        query = query.where(Payable.status == status_)
    if due_by:
        query = query.where(Payable.due_date <= due_by)
    if supplier_id:
        query = query.where(Payable.supplier_id == supplier_id)
    return {"items": [payable_json(p) for p in session.scalars(query)]}


@router.get("/payables/{payable_id}")
def get_payable(payable_id: str, session: SessionDep, _: Invoicing) -> dict[str, Any]:
    return payable_json(_get(session, Payable, payable_id, "payable"))


class HoldBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


def _hold(payable_id: str, session: Session, principal: Principal, hold: bool, reason: str | None) -> dict[str, Any]:
    payable = _get(session, Payable, payable_id, "payable")
    try:
        set_hold(session, payable, hold=hold, reason=reason, actor=principal.username)
    except NotBooked as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return payable_json(payable)


@router.post("/payables/{payable_id}/hold")
def hold_payable(payable_id: str, body: HoldBody, session: SessionDep, principal: Invoicing) -> dict[str, Any]:
    return _hold(payable_id, session, principal, True, body.reason)


@router.post("/payables/{payable_id}/release")
def release_payable(payable_id: str, session: SessionDep, principal: Invoicing) -> dict[str, Any]:
    return _hold(payable_id, session, principal, False, None)


# --------------------------------------------------------------------------- payment runs

class RunRequest(BaseModel):
    """Either every open invoice due by ``due_by``, or exactly the payables listed."""

    model_config = ConfigDict(extra="forbid")

    execution_date: date
    due_by: date | None = None
    payable_ids: list[str] | None = Field(default=None, min_length=1, max_length=5000)


@router.post("/payment-runs", status_code=status.HTTP_201_CREATED)
def create_run(body: RunRequest, session: SessionDep, runtime: RuntimeDep, principal: Invoicing) -> dict[str, Any]:
    write_lock(session)  # two people preparing runs at once must not schedule the same payable twice
    try:
        run, selection = prepare_run(session, runtime.config, actor=principal.username,
                                     execution_date=body.execution_date, due_by=body.due_by,
                                     payable_ids=body.payable_ids)
    except PaymentRunError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return {**run_json(run), "skipped": selection.skipped}


@router.get("/payment-runs")
def list_runs(session: SessionDep, _: Invoicing) -> dict[str, Any]:
    runs = session.scalars(select(PaymentRun).order_by(PaymentRun.created_at.desc()).limit(200))
    return {"items": [run_json(r) for r in runs]}


@router.get("/payment-runs/{run_id}")
def get_run(run_id: str, session: SessionDep, _: Invoicing) -> dict[str, Any]:
    return run_json(_get(session, PaymentRun, run_id, "payment run"))


@router.get("/payment-runs/{run_id}/pain001")
def get_run_xml(run_id: str, session: SessionDep, _: Invoicing) -> Response:
    run = _get(session, PaymentRun, run_id, "payment run")
    return Response(run.xml.encode("utf-8"), media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{run.message_id}.xml"'})


def _move(run_id: str, session: Session, principal: Principal, action: Any) -> dict[str, Any]:
    try:
        return run_json(action(session, run_id, actor=principal.username))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except PaymentRunError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post("/payment-runs/{run_id}/approve")
def approve(run_id: str, session: SessionDep, principal: Invoicing) -> dict[str, Any]:
    return _move(run_id, session, principal, approve_run)


@router.post("/payment-runs/{run_id}/execute")
def execute(run_id: str, session: SessionDep, principal: Invoicing) -> dict[str, Any]:
    return _move(run_id, session, principal, execute_run)


@router.post("/payment-runs/{run_id}/cancel")
def cancel(run_id: str, session: SessionDep, principal: Invoicing) -> dict[str, Any]:
    return _move(run_id, session, principal, cancel_run)


# --------------------------------------------------------------------------- outgoing invoices

@router.post("/outgoing-invoices", status_code=status.HTTP_201_CREATED)
def create_invoice(body: OutgoingRequest, session: SessionDep, runtime: RuntimeDep,
                   principal: Invoicing) -> dict[str, Any]:
    try:
        invoice = issue_invoice(session, body, config=runtime.config, store=runtime.store,
                                schema=schema_path(runtime), actor=principal.username)
    except InvoiceError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return invoice_json(invoice)


def _from_source(kind: str, source_id: str, body: SourceInvoiceRequest | None, session: Session, runtime: Runtime,
                 principal: Principal) -> dict[str, Any]:
    try:
        invoice = issue_from_source(session, kind, source_id, body or SourceInvoiceRequest(), config=runtime.config,
                                    store=runtime.store, schema=schema_path(runtime), actor=principal.username)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except SourceRefused as exc:
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if exc.unprocessable else status.HTTP_409_CONFLICT
        raise HTTPException(code, str(exc)) from exc
    except InvoiceError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return invoice_json(invoice)


@router.post("/outgoing-invoices/from-order/{order_id}", status_code=status.HTTP_201_CREATED)
def invoice_order(order_id: str, session: SessionDep, runtime: RuntimeDep, principal: Invoicing,
                  body: SourceInvoiceRequest | None = None) -> dict[str, Any]:
    """Invoice a validated order a customer placed with us: its buyer, its lines (409 once invoiced, unless
    ``further`` asks for the next of ``instalments``; 422 when the customer's ids or SdI delivery are missing)."""
    return _from_source("order", order_id, body, session, runtime, principal)


@router.post("/outgoing-invoices/from-contract/{contract_id}", status_code=status.HTTP_201_CREATED)
def invoice_contract(contract_id: str, session: SessionDep, runtime: RuntimeDep, principal: Invoicing,
                     body: SourceInvoiceRequest | None = None) -> dict[str, Any]:
    """Invoice a contract of the register: one line for its subject at its amount, or an instalment of it."""
    return _from_source("contract", contract_id, body, session, runtime, principal)


@router.get("/outgoing-invoices")
def list_invoices(session: SessionDep, _: Invoicing, year: int | None = None) -> dict[str, Any]:
    query = select(OutgoingInvoice).order_by(OutgoingInvoice.year.desc(), OutgoingInvoice.series,
                                             OutgoingInvoice.seq.desc()).limit(500)
    if year:
        query = query.where(OutgoingInvoice.year == year)
    return {"items": [invoice_json(i) for i in session.scalars(query)]}


@router.get("/outgoing-invoices/{invoice_id}")
def get_invoice(invoice_id: str, session: SessionDep, _: Invoicing) -> dict[str, Any]:
    return invoice_json(_get(session, OutgoingInvoice, invoice_id, "invoice"))


def _file(invoice_id: str, session: Session, request: Request, kind: str) -> Response:
    invoice = _get(session, OutgoingInvoice, invoice_id, "invoice")
    key = invoice.xml_key if kind == "xml" else invoice.pdf_key
    name = key.rsplit("/", 1)[-1]
    media = "application/xml" if kind == "xml" else "application/pdf"
    data = request.app.state.runtime.store.get(key)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/outgoing-invoices/{invoice_id}/xml")
def get_invoice_xml(invoice_id: str, session: SessionDep, request: Request, _: Invoicing) -> Response:
    return _file(invoice_id, session, request, "xml")


@router.get("/outgoing-invoices/{invoice_id}/pdf")
def get_invoice_pdf(invoice_id: str, session: SessionDep, request: Request, _: Invoicing) -> Response:
    return _file(invoice_id, session, request, "pdf")
