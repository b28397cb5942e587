"""HTTP access to supplier memory: what reviewers taught about a supplier, and forgetting it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy import delete, select

from extract.models import SupplierHint
from review_ui.auth import Principal
from review_ui.deps import SessionDep, require
from storage.models import Event

router = APIRouter(prefix="/api/supplier-memory", tags=["supplier memory"])
Reviewer = Annotated[Principal, Depends(require("review"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def _hint_json(hint: SupplierHint) -> dict[str, Any]:
    return {
        "field": hint.field,
        "label": hint.label,
        "label_position": "above" if hint.label_above else "before",
        # A hint from an approval remembers only the label; one from a correction also the place.
        "box": hint.box or None,
        "page": hint.page,
        "example": hint.example,
        "corrections": hint.corrections,
        "learned_from": "correction" if hint.corrections else "approval",
        "updated_at": hint.updated_at.isoformat() if hint.updated_at else None,
    }


def _hints(session: SessionDep, vat: str) -> list[SupplierHint]:
    hints = list(session.scalars(select(SupplierHint).where(SupplierHint.supplier_vat == vat)
                                 .order_by(SupplierHint.field)))
    if not hints:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"nothing is remembered about supplier {vat}")
    return hints


@router.get("/{vat}")
def show(vat: str, session: SessionDep, _: Reviewer) -> dict[str, Any]:
    """What the supplier's documents are read with: per field, the label and place reviewers taught."""
    return {"supplier_vat": vat, "fields": [_hint_json(h) for h in _hints(session, vat)]}


@router.delete("/{vat}")
def forget(vat: str, session: SessionDep, principal: Admin, request: Request) -> dict[str, Any]:
    """Forget everything taught about the supplier (a new template, or a wrong lesson); the audit log keeps it."""
    hints = _hints(session, vat)
    session.execute(delete(SupplierHint).where(SupplierHint.supplier_vat == vat))
    session.add(Event(kind="supplier_memory.forgotten", actor=principal.username,
                      via=request.headers.get("X-Quinte-Via", "api")[:32],
                      data={"supplier_vat": vat, "fields": [_hint_json(h) for h in hints]}))
    session.flush()
    return {"supplier_vat": vat, "forgotten": len(hints)}
