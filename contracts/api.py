"""HTTP API under /api: contracts register with deadlines, upcoming deadlines, orders, matching results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.config import contracts_config
from contracts.deadlines import upcoming
from contracts.matching import match_invoice
from contracts.models import ContractEntry, PurchaseDocument
from contracts.register import contract_json
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require

router = APIRouter(prefix="/api", tags=["contracts"])
Reader = Annotated[Principal, Depends(require("records:read"))]
Writer = Annotated[Principal, Depends(require("review"))]


class OrderLine(BaseModel):
    description: str = Field(min_length=1)
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal | None = None
    code: str | None = None


class OrderIn(BaseModel):
    """A purchase order typed in or sent by another system."""

    order_number: str = Field(min_length=1, max_length=64)
    order_date: dt.date | None = None
    supplier_name: str | None = None
    supplier_vat: str | None = None
    customer_name: str | None = None
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    cig: str | None = Field(None, pattern=r"^[A-Z0-9]{10}$")
    cup: str | None = Field(None, pattern=r"^[A-Z0-9]{15}$")
    lines: list[OrderLine] = Field(default_factory=list)
    total_amount: Decimal | None = None


def _order_json(doc: PurchaseDocument) -> dict[str, Any]:
    return {"id": doc.id, "kind": doc.kind, "number": doc.number,
            "date": doc.doc_date.isoformat() if doc.doc_date else None, "supplier_name": doc.supplier_name,
            "supplier_vat": doc.supplier_vat, "customer_name": doc.customer_name, "total_amount": doc.total_amount,
            "currency": doc.currency, "cig": doc.cig, "cup": doc.cup, "order_reference": doc.order_reference,
            "lines": doc.lines, "record_id": doc.record_id}


@router.get("/contracts")
def list_contracts(session: SessionDep, _: Reader, status_: Annotated[str | None, Query(alias="status")] = None,
                   limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    query = select(ContractEntry).order_by(ContractEntry.end_date, ContractEntry.id)
    if status_:
        query = query.where(ContractEntry.status == status_)
    return [contract_json(e) for e in session.scalars(query.limit(limit).offset(offset))]


@router.get("/contracts/deadlines")
def deadlines_dashboard(session: SessionDep, runtime: RuntimeDep, _: Reader,
                        days: int | None = Query(None, ge=0, le=730)) -> dict[str, Any]:
    """Upcoming deadlines (notice, end, renewal) across the register, soonest first."""
    horizon = days if days is not None else contracts_config(runtime.config).expiring_days
    today = dt.date.today()
    return {"today": today.isoformat(), "days": horizon, "deadlines": upcoming(session, today, horizon)}


@router.get("/contracts/{contract_id}")
def contract_detail(contract_id: str, session: SessionDep, _: Reader) -> dict[str, Any]:
    entry = session.get(ContractEntry, contract_id) or session.scalar(
        select(ContractEntry).where(ContractEntry.record_id == contract_id))
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such contract")
    return contract_json(entry)


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def create_order(order: OrderIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    lines = [{"description": line.description, "quantity": str(line.quantity),
              "unit_price": str(line.unit_price.quantize(Decimal("0.01"))),
              "amount": str((line.quantity * line.unit_price).quantize(Decimal("0.01")))}
             | ({"vat_rate": str(line.vat_rate)} if line.vat_rate is not None else {})
             | ({"code": line.code} if line.code else {}) for line in order.lines]
    total = order.total_amount if order.total_amount is not None else sum(
        (Decimal(line["amount"]) for line in lines), Decimal(0))
    doc = PurchaseDocument(kind="order", number=order.order_number, doc_date=order.order_date,
                           supplier_name=order.supplier_name, supplier_vat=order.supplier_vat,
                           customer_name=order.customer_name, total_amount=str(total.quantize(Decimal("0.01"))),
                           currency=order.currency, cig=order.cig, cup=order.cup, lines=lines,
                           created_by=principal.username)
    session.add(doc)
    try:
        session.flush()
    except IntegrityError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "this supplier's order number exists already") from exc
    return _order_json(doc)


@router.get("/orders")
def list_orders(session: SessionDep, _: Reader, kind: str = Query("order", pattern="^(order|delivery_note)$"),
                supplier_vat: str | None = None, limit: int = Query(100, ge=1, le=1000),
                offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    query = select(PurchaseDocument).where(PurchaseDocument.kind == kind).order_by(PurchaseDocument.created_at)
    if supplier_vat:
        query = query.where(PurchaseDocument.supplier_vat == supplier_vat)
    return [_order_json(d) for d in session.scalars(query.limit(limit).offset(offset))]


@router.get("/records/{record_id}/matching")
def record_matching(record_id: str, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    """The invoice's match against its order (and DDTs): matched, mismatch with the differing lines, or no order."""
    from storage.models import Record

    record = session.get(Record, record_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record")
    tolerances = contracts_config(runtime.config).tolerances_for(record.pipeline)
    return match_invoice(session, record_id, tolerances).as_json()
