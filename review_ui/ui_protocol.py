"""Protocol register pages: search, entry detail with history and segnatura links, annulment with confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.api import Filters, _filtered
from protocol.config import registers_of
from protocol.daily import local_iso
from protocol.models import ProtocolAnnulment, ProtocolChange, ProtocolEntry
from protocol.service import DIRECTIONS, ProtocolError, annul_entry, format_number
from review_ui import csrf
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from review_ui.pages import render
from review_ui.ui_forms import filled, problems, query, see_other

router = APIRouter(include_in_schema=False)
# Reading the register needs what its JSON API needs; annulling needs the protocol role.
Reader = Annotated[Principal, Depends(require("records:read"))]
ProtocolAdmin = Annotated[Principal, Depends(require("protocol"))]
FILTERS = ("register", "year", "number", "date_from", "date_to", "correspondent", "subject", "direction", "annulled")
PAGE = 50


def _filters(request: Request) -> tuple[Filters | None, dict[str, str], list[str]]:
    """The search form's values; invalid ones (a year in letters) become a message, not a 422 page."""
    values = filled(request.query_params, FILTERS)
    try:
        return Filters.model_validate(values), values, []
    except ValidationError as exc:
        return None, values, problems(exc)


def _rows(session: Session, filters: Filters, page: int) -> tuple[list[dict[str, Any]], int]:
    base = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(ProtocolEntry.registered_at.desc(), ProtocolEntry.id.desc())
                           .limit(PAGE).offset(page * PAGE)).all()
    return [_view(entry, annulment) for entry, annulment in rows], total


def _rome(moment: Any) -> str:
    """Date and time as the register states them: Europe/Rome, to the second."""
    return local_iso(moment).replace("T", " ")


def _view(entry: ProtocolEntry, annulment: ProtocolAnnulment | None) -> dict[str, Any]:
    return {"entry": entry, "number": format_number(entry.number), "at": _rome(entry.registered_at),
            "annulment": annulment, "annulled_at": _rome(annulment.annulled_at) if annulment else None}


@router.get("/protocol")
def register_page(request: Request, principal: Reader, session: SessionDep, runtime: RuntimeDep,
                  page: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The register, newest first, searched with a plain GET form; the CSV link exports the same selection."""
    filters, values, errors = _filters(request)
    rows, total = _rows(session, filters, page) if filters else ([], 0)
    context = {"rows": rows, "total": total, "page": page, "more": (page + 1) * PAGE < total, "values": values,
               "errors": errors, "registers": list(registers_of(runtime.config)), "directions": DIRECTIONS,
               "filter_query": query(values), "export_query": query(values) if filters else ""}
    return render(request, "protocol_list.html", context, principal=principal,
                  status_code=status.HTTP_400_BAD_REQUEST if errors else 200)


def _entry_context(session: Session, entry_id: int) -> dict[str, Any]:
    entry = session.get(ProtocolEntry, entry_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such protocol entry")
    annulment = session.scalar(select(ProtocolAnnulment).where(ProtocolAnnulment.entry_id == entry_id))
    history = session.scalars(select(ProtocolChange).where(ProtocolChange.entry_id == entry_id)
                              .order_by(ProtocolChange.id)).all()
    return {**_view(entry, annulment), "history": history}


@router.get("/protocol/{entry_id}")
def entry_page(entry_id: int, request: Request, principal: Reader, session: SessionDep) -> Response:
    return render(request, "protocol_entry.html", _entry_context(session, entry_id), principal=principal)


@router.post("/protocol/{entry_id}/annul", dependencies=[Depends(csrf.check)])
def annul(entry_id: int, request: Request, principal: ProtocolAdmin, session: SessionDep,
          reason: Annotated[str, Form()] = "", authorizing_act: Annotated[str, Form()] = "",
          confirm: Annotated[str, Form()] = "") -> Response:
    """First post: a confirmation page repeating what will be written. Second post (confirm=yes): annul."""
    context = _entry_context(session, entry_id)
    form = {"reason": reason.strip(), "authorizing_act": authorizing_act.strip()}
    error = None if all(form.values()) else "An annulment needs the reason and the authorising act."
    if error is None and context["annulment"] is not None:
        error = "This entry is already annulled."
    if error is None and confirm != "yes":
        return render(request, "protocol_annul_confirm.html", {**context, "form": form}, principal=principal)
    if error is None:
        try:
            annul_entry(session, entry_id, actor=principal.username, **form)
        except ProtocolError as exc:
            error = str(exc)
    if error is not None:
        return render(request, "protocol_entry.html", {**context, "form": form, "error": error},
                      principal=principal, status_code=status.HTTP_409_CONFLICT)
    return see_other(f"/protocol/{entry_id}")
