"""Invoicing pages: payables by status and due date, payment runs (prepare, approve, execute), issuing an invoice
(typed in, or from a customer order or a contract)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData

from contracts.models import ContractEntry
from core.runtime import Runtime
from invoicing.active import InvoiceError, OutgoingRequest, issue_invoice
from invoicing.billing import (
    SOURCE_KINDS,
    CustomerDetails,
    SourceInvoiceRequest,
    SourceRefused,
    invoiceable,
    invoiced,
    issue_from_source,
    known_customer,
    load_source,
)
from invoicing.config import invoicing_of, schema_path
from invoicing.duplicates import from_cents
from invoicing.fatturapa_out import NATURE_DESCRIPTIONS
from invoicing.models import PAYABLE_STATUSES, OutgoingInvoice, Payable, PaymentRun
from invoicing.payables import NotBooked, set_hold
from invoicing.payments import PaymentRunError, approve_run, cancel_run, execute_run, prepare_run, write_lock
from review_ui import csrf
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from review_ui.pages import render
from review_ui.ui_forms import problems, query, see_other

router = APIRouter(prefix="/invoicing", include_in_schema=False)
Invoicing = Annotated[Principal, Depends(require("invoicing"))]
CSRF = [Depends(csrf.check)]
RUN_ACTIONS = {"approve": approve_run, "execute": execute_run, "cancel": cancel_run}
LINE_ROWS = 5
CUSTOMER_FIELDS = ("name", "vat_id", "tax_code", "sdi_code", "pec")
ADDRESS_FIELDS = ("street", "number", "postcode", "city", "province", "country")
LINE_FIELDS = ("description", "quantity", "unit_price", "vat_rate", "natura")


def _money(cents: int | None) -> str:
    return "" if cents is None else from_cents(cents)


# --------------------------------------------------------------------------- payables

def _payables(session: Session, state: str | None, due_by: date | None) -> list[Payable]:
    query_ = select(Payable).options(selectinload(Payable.instalments)).order_by(Payable.due_date, Payable.id)
    query_ = query_.limit(500)
    if state:
        query_ = query_.where(Payable.status == state)
    if due_by:
        query_ = query_.where(Payable.due_date <= due_by)
    return list(session.scalars(query_))


def _payables_page(request: Request, principal: Principal, session: Session, *, state: str | None = None,
                   due_by: date | None = None, error: str | None = None, status_code: int = 200) -> Response:
    if state and state not in PAYABLE_STATUSES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"status must be one of {', '.join(PAYABLE_STATUSES)}")
    context = {"payables": _payables(session, state, due_by), "statuses": PAYABLE_STATUSES, "state": state or "",
               "due_by": due_by.isoformat() if due_by else "", "today": date.today().isoformat(), "error": error,
               "back": "/invoicing/payables?" + query({"status": state, "due_by": due_by}), "money": _money,
               "runs": session.scalars(select(PaymentRun).order_by(PaymentRun.created_at.desc()).limit(20)).all()}
    return render(request, "inv_payables.html", context, principal=principal, status_code=status_code)


def _optional_date(value: str | None) -> date | None:
    """A date from a GET form, where an untouched field arrives as an empty string."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a date: {value!r} (YYYY-MM-DD)") from exc


@router.get("")
def index() -> Response:
    return see_other("/invoicing/payables")


@router.get("/payables")
def payables_page(request: Request, principal: Invoicing, session: SessionDep,
                  state: Annotated[str, Query(alias="status")] = "", due_by: str = "") -> Response:
    """Payables earliest due first, with hold/release, the payment-run form and the latest runs."""
    return _payables_page(request, principal, session, state=state or None, due_by=_optional_date(due_by))


def _local(target: str) -> str:
    # Only our own payables page: the back link comes from the form, so never follow it elsewhere.
    return target if target.startswith("/invoicing/payables") else "/invoicing/payables"


@router.post("/payables/{payable_id}/{action}", dependencies=CSRF)
def hold_or_release(payable_id: str, action: str, request: Request, principal: Invoicing, session: SessionDep,
                    reason: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "") -> Response:
    if action not in ("hold", "release"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such action")
    payable = session.get(Payable, payable_id)
    if payable is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such payable")
    try:
        set_hold(session, payable, hold=action == "hold", reason=reason.strip() or None, actor=principal.username)
    except NotBooked as exc:
        session.rollback()
        return _payables_page(request, principal, session, error=str(exc), status_code=status.HTTP_409_CONFLICT)
    return see_other(_local(back))


# --------------------------------------------------------------------------- payment runs

@router.post("/runs", dependencies=CSRF)
def prepare(request: Request, principal: Invoicing, session: SessionDep, runtime: RuntimeDep,
            execution_date: Annotated[date, Form()], due_by: Annotated[date, Form()]) -> Response:
    """Every open invoice due by the date, in one pain.001 file; the run then waits for a second person."""
    write_lock(session)  # first statement: two people preparing at once must not schedule a payable twice
    try:
        run, _selection = prepare_run(session, runtime.config, actor=principal.username,
                                      execution_date=execution_date, due_by=due_by)
    except PaymentRunError as exc:
        session.rollback()
        return _payables_page(request, principal, session, error=str(exc), status_code=status.HTTP_409_CONFLICT)
    return see_other(f"/invoicing/runs/{run.id}")


def _run_page(request: Request, principal: Principal, session: Session, run_id: str, *, error: str | None = None,
              status_code: int = 200) -> Response:
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such payment run")
    payables = {p.id: p for p in session.scalars(select(Payable).where(
        Payable.id.in_([item.payable_id for item in run.items])))}
    context = {"run": run, "payables": payables, "money": _money, "error": error}
    return render(request, "inv_run.html", context, principal=principal, status_code=status_code)


@router.get("/runs/{run_id}")
def run_page(run_id: str, request: Request, principal: Invoicing, session: SessionDep) -> Response:
    return _run_page(request, principal, session, run_id)


@router.post("/runs/{run_id}/{action}", dependencies=CSRF)
def move_run(run_id: str, action: str, request: Request, principal: Invoicing, session: SessionDep) -> Response:
    """Approve (someone other than the preparer: the service refuses otherwise), execute or cancel."""
    move = RUN_ACTIONS.get(action)
    if move is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such action")
    try:
        move(session, run_id, actor=principal.username)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except PaymentRunError as exc:
        session.rollback()
        return _run_page(request, principal, session, run_id, error=str(exc), status_code=status.HTTP_409_CONFLICT)
    return see_other(f"/invoicing/runs/{run_id}")


# --------------------------------------------------------------------------- outgoing invoices

@router.get("/invoices")
def invoices_page(request: Request, principal: Invoicing, session: SessionDep) -> Response:
    invoices = session.scalars(select(OutgoingInvoice).order_by(OutgoingInvoice.created_at.desc()).limit(200)).all()
    return render(request, "inv_invoices.html", {"invoices": invoices, "money": _money}, principal=principal)


def _form_page(request: Request, principal: Principal, runtime: Runtime, values: dict[str, Any],
               errors: list[str], status_code: int = 200) -> Response:
    settings = invoicing_of(runtime.config)
    context = {"values": values, "errors": errors, "line_rows": LINE_ROWS, "natures": NATURE_DESCRIPTIONS,
               "series": settings.series, "company": settings.company,
               "default_days": settings.default_payment_days}
    return render(request, "inv_invoice_form.html", context, principal=principal, status_code=status_code)


@router.get("/invoices/new")
def new_invoice(request: Request, principal: Invoicing, runtime: RuntimeDep) -> Response:
    return _form_page(request, principal, runtime, {"country": "IT", "vat_rate_0": "22", "quantity_0": "1"}, [])


def _blank_none(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def request_from_form(form: FormData) -> OutgoingRequest:
    """The same request the JSON API takes, from the form's flat fields; empty line rows are left out."""
    get = {key: _blank_none(form.get(key)) for key in form}
    address = {name: get.get(name) for name in ADDRESS_FIELDS if get.get(name)}
    customer = {name: get.get(name) for name in CUSTOMER_FIELDS if get.get(name)} | {"address": address}
    lines = []
    for row in range(LINE_ROWS):
        line = {name: get.get(f"{name}_{row}") for name in LINE_FIELDS if get.get(f"{name}_{row}")}
        if line.get("description") or line.get("unit_price"):
            lines.append(line)
    body: dict[str, Any] = {"customer": customer, "lines": lines, "payment_days": get.get("payment_days")}
    for name in ("issue_date", "series", "causale", "order_reference"):
        if get.get(name):
            body[name] = get[name]
    return OutgoingRequest.model_validate(body)


async def _form(request: Request) -> FormData:
    # Parsed once (Starlette caches it, the CSRF check read it already); the endpoint itself stays sync.
    return await request.form()


@router.post("/invoices", dependencies=CSRF)
def issue(request: Request, principal: Invoicing, session: SessionDep, runtime: RuntimeDep,
          form: Annotated[FormData, Depends(_form)]) -> Response:
    """Issue through the service behind POST /api/outgoing-invoices; mistakes come back on the form, kept."""
    values = {key: value for key, value in form.items() if isinstance(value, str) and key != csrf.FIELD}
    try:
        body = request_from_form(form)
    except ValidationError as exc:
        return _form_page(request, principal, runtime, values, problems(exc),
                          status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        invoice = issue_invoice(session, body, config=runtime.config, store=runtime.store,
                                schema=schema_path(runtime), actor=principal.username)
    except InvoiceError as exc:
        session.rollback()
        return _form_page(request, principal, runtime, values, [str(exc)], status.HTTP_409_CONFLICT)
    return see_other(f"/invoicing/invoices/{invoice.id}")


@router.get("/invoices/{invoice_id}")
def invoice_page(invoice_id: str, request: Request, principal: Invoicing, session: SessionDep) -> Response:
    invoice = session.get(OutgoingInvoice, invoice_id)
    if invoice is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such invoice")
    return render(request, "inv_invoice.html", {"invoice": invoice, "money": _money}, principal=principal)


# --------------------------------------------------------------------------- invoices from orders and contracts

@router.get("/sources")
def sources_page(request: Request, principal: Invoicing, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Customer orders and contracts, with what is invoiced already and a button to invoice (the next part)."""
    company = invoicing_of(runtime.config).company
    rows = invoiceable(session, company) if company else []
    return render(request, "inv_sources.html", {"rows": rows}, principal=principal)


def _source_page(request: Request, principal: Principal, session: Session, runtime: Runtime, kind: str,
                 source_id: str, values: dict[str, Any], errors: list[str], status_code: int = 200) -> Response:
    """The form to invoice one source, prefilled with what the source and our earlier invoices know."""
    settings = invoicing_of(runtime.config)
    if kind not in SOURCE_KINDS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such source")
    context: dict[str, Any] = {"kind": kind, "source_id": source_id, "label": f"{kind} {source_id}", "lines": [],
                               "customer_name": None, "parties": [], "natures": NATURE_DESCRIPTIONS,
                               "series": settings.series, "default_days": settings.default_payment_days}
    if kind == "contract":
        entry = session.get(ContractEntry, source_id)
        context["parties"] = list(entry.parties or []) if entry else []
    try:
        request_ = SourceInvoiceRequest(party=values.get("party") or None)
        billing = load_source(session, kind, source_id, settings.company, request_, lock=False) \
            if settings.company else None
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except SourceRefused as exc:  # shown once: a refused POST already carries the same message
        billing = None
        errors = errors if str(exc) in errors else [*errors, str(exc)]
    if billing is not None:
        known = {} if values else _flat_customer(known_customer(session, billing, CustomerDetails()))
        context.update(label=billing.label, lines=billing.lines, customer_name=billing.customer["name"])
        values = {**known, **values}
        issued = invoiced(session, kind, billing.id)
        context.update(invoices=[i.number for i in issued],
                       instalments=issued[0].source_instalments or 1 if issued else 1)
    context.update(values=values, errors=errors)
    return render(request, "inv_source_form.html", context, principal=principal, status_code=status_code)


def _flat_customer(known: dict[str, Any]) -> dict[str, str]:
    """The customer's details as the form's flat fields."""
    flat = {name: known[name] for name in CUSTOMER_FIELDS if known.get(name)}
    return flat | {name: value for name, value in (known.get("address") or {}).items() if value}


@router.get("/sources/{kind}/{source_id}")
def source_page(kind: str, source_id: str, request: Request, principal: Invoicing, session: SessionDep,
                runtime: RuntimeDep) -> Response:
    return _source_page(request, principal, session, runtime, kind, source_id, {}, [])


def source_request_from_form(form: FormData) -> SourceInvoiceRequest:
    """The JSON API's body from the form's flat fields; the address only when a street is given."""
    get = {key: _blank_none(form.get(key)) for key in form}
    customer: dict[str, Any] = {name: get[name] for name in CUSTOMER_FIELDS[1:] if get.get(name)}
    if get.get("street"):
        customer["address"] = {name: get[name] for name in ADDRESS_FIELDS if get.get(name)}
    body: dict[str, Any] = {"customer": customer, "payment_days": get.get("payment_days"),
                            "further": get.get("further") == "true"}
    for name in ("party", "instalments", "vat_rate", "natura", "issue_date", "series", "causale"):
        if get.get(name):
            body[name] = get[name]
    return SourceInvoiceRequest.model_validate(body)


@router.post("/sources/{kind}/{source_id}", dependencies=CSRF)
def issue_from_source_form(kind: str, source_id: str, request: Request, principal: Invoicing, session: SessionDep,
                           runtime: RuntimeDep, form: Annotated[FormData, Depends(_form)]) -> Response:
    """Issue through the service behind POST /api/outgoing-invoices/from-…; a refusal comes back on the form."""
    values = {key: value for key, value in form.items() if isinstance(value, str) and key != csrf.FIELD}
    try:
        body = source_request_from_form(form)
        invoice = issue_from_source(session, kind, source_id, body, config=runtime.config, store=runtime.store,
                                    schema=schema_path(runtime), actor=principal.username)
    except ValidationError as exc:
        return _source_page(request, principal, session, runtime, kind, source_id, values, problems(exc),
                            status.HTTP_422_UNPROCESSABLE_CONTENT)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvoiceError as exc:
        session.rollback()
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if isinstance(exc, SourceRefused) and exc.unprocessable \
            else status.HTTP_409_CONFLICT
        return _source_page(request, principal, session, runtime, kind, source_id, values, [str(exc)], code)
    return see_other(f"/invoicing/invoices/{invoice.id}")
