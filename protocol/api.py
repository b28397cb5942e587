"""The protocol register's HTTP API under /api/protocol: search, detail with history, segnatura, annul, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.runtime import Runtime
from protocol.chain import utc_iso
from protocol.config import registers_of
from protocol.daily import local_iso
from protocol.models import ProtocolAnnulment, ProtocolChange, ProtocolEntry
from protocol.segnatura import build_segnatura, seal_key
from protocol.service import ProtocolError, annul_entry, change_entry, format_number, register_record
from protocol.stamp import archive_stamped_copy, stamped_key
from review_ui.auth import Principal, load_secret_key
from review_ui.deps import RuntimeDep, SessionDep, require

router = APIRouter(prefix="/api/protocol", tags=["protocol"])
Reader = Annotated[Principal, Depends(require("records:read"))]
Admin = Annotated[Principal, Depends(require("protocol"))]


class Annulment(BaseModel):
    reason: str = Field(min_length=1)
    authorizing_act: str = Field(min_length=1, description="estremi del provvedimento di autorizzazione")


class EntryChange(BaseModel):
    classification: str | None = None
    assignment: str | None = None


class ManualRegistration(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    record_id: str
    register_code: str | None = Field(None, alias="register")


class Filters(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_code: str | None = Field(None, alias="register")
    year: int | None = None
    number: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    correspondent: str | None = None
    subject: str | None = None
    direction: str | None = None
    annulled: bool | None = None


def _filtered(filters: Filters) -> Select[Any]:
    query = select(ProtocolEntry, ProtocolAnnulment).outerjoin(
        ProtocolAnnulment, ProtocolAnnulment.entry_id == ProtocolEntry.id)
    exact = {"register": filters.register_code, "year": filters.year, "number": filters.number,
             "direction": filters.direction}
    for name, value in exact.items():
        if value is not None:
            query = query.where(getattr(ProtocolEntry, name) == value)
    if filters.date_from:
        query = query.where(ProtocolEntry.registration_date >= filters.date_from)
    if filters.date_to:
        query = query.where(ProtocolEntry.registration_date <= filters.date_to)
    for name in ("correspondent", "subject"):
        text = getattr(filters, name)
        if text:
            query = query.where(func.lower(getattr(ProtocolEntry, name)).contains(text.lower(), autoescape=True))
    if filters.annulled is not None:
        query = query.where(ProtocolAnnulment.id.is_not(None) if filters.annulled else ProtocolAnnulment.id.is_(None))
    return query


def entry_json(entry: ProtocolEntry, annulment: ProtocolAnnulment | None) -> dict[str, Any]:
    """An entry as the API shows it; an annulled one keeps every original value, with the annulment beside."""
    return {
        "id": entry.id, "register": entry.register, "kind": entry.kind, "year": entry.year,
        "number": format_number(entry.number), "registered_at": local_iso(entry.registered_at),
        "registration_date": entry.registration_date.isoformat(), "administration": entry.administration,
        "aoo": entry.aoo, "direction": entry.direction, "correspondent": entry.correspondent,
        "correspondent_vat": entry.correspondent_vat, "recipients": entry.recipients or [],
        "subject": entry.subject, "sender_number": entry.sender_number, "sender_date": entry.sender_date,
        "fingerprint": {"algorithm": entry.algorithm, "value": entry.fingerprint}, "file_name": entry.file_name,
        "document_id": entry.document_id, "record_id": entry.record_id, "created_by": entry.created_by,
        "classification": entry.classification, "assignment": entry.assignment,
        "annulled": annulment is not None,
        "annulment": None if annulment is None else {
            "at": local_iso(annulment.annulled_at), "by": annulment.annulled_by, "reason": annulment.reason,
            "authorizing_act": annulment.authorizing_act},
        "entry_hash": entry.entry_hash,
    }


def _load(session: Session, entry_id: int) -> tuple[ProtocolEntry, ProtocolAnnulment | None]:
    entry = session.get(ProtocolEntry, entry_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such protocol entry")
    annulment = session.scalar(select(ProtocolAnnulment).where(ProtocolAnnulment.entry_id == entry_id))
    return entry, annulment


def _segnatura(runtime: Runtime, entry: ProtocolEntry) -> bytes:
    secret = load_secret_key(runtime.settings.secret_key.get_secret_value() if runtime.settings.secret_key else None,
                             runtime.settings.var_dir)
    return build_segnatura(entry, registers_of(runtime.config).get(entry.register), seal_key(secret))


@router.get("/entries")
def list_entries(session: SessionDep, _: Reader, filters: Annotated[Filters, Query()],
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Search the register, newest first."""
    query = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(ProtocolEntry.registered_at.desc(), ProtocolEntry.id.desc())
                           .limit(limit).offset(offset)).all()
    return {"total": total, "items": [entry_json(entry, annulment) for entry, annulment in rows]}


@router.get("/entries/{entry_id}")
def get_entry(entry_id: int, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    """One entry with its classification/assignment history and its segnatura XML."""
    entry, annulment = _load(session, entry_id)
    changes = session.scalars(select(ProtocolChange).where(ProtocolChange.entry_id == entry_id)
                              .order_by(ProtocolChange.id)).all()
    body = entry_json(entry, annulment)
    body["history"] = [{"at": utc_iso(c.changed_at), "by": c.changed_by, "field": c.field, "old": c.old_value,
                        "new": c.new_value} for c in changes]
    body["segnatura"] = _segnatura(runtime, entry).decode("utf-8")
    return body


@router.get("/entries/{entry_id}/segnatura.xml", responses={200: {"content": {"application/xml": {}}}})
def get_segnatura(entry_id: int, session: SessionDep, runtime: RuntimeDep, _: Reader) -> Response:
    entry, _annulment = _load(session, entry_id)
    return Response(_segnatura(runtime, entry), media_type="application/xml")


@router.get("/entries/{entry_id}/stamped.pdf", responses={200: {"content": {"application/pdf": {}}}})
def get_stamped(entry_id: int, session: SessionDep, runtime: RuntimeDep, _: Reader) -> Response:
    """The archived copy with the protocol stamp on its first page (made now if it was not yet)."""
    entry, _annulment = _load(session, entry_id)
    key = stamped_key(entry)
    if not runtime.store.exists(key):
        register = registers_of(runtime.config).get(entry.register)
        archive_stamped_copy(session, runtime.store, entry, register.administration_name if register else "")
    return Response(runtime.store.get(key), media_type="application/pdf")


@router.post("/entries/{entry_id}/annul")
def annul(entry_id: int, body: Annulment, session: SessionDep, principal: Admin) -> dict[str, Any]:
    """Annul an entry: it stays in the register, marked, with who, when, why and on what authority."""
    _load(session, entry_id)
    try:
        annulment = annul_entry(session, entry_id, actor=principal.username, reason=body.reason,
                                authorizing_act=body.authorizing_act)
    except ProtocolError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    entry, _ = _load(session, entry_id)
    return entry_json(entry, annulment)


@router.patch("/entries/{entry_id}")
def change(entry_id: int, body: EntryChange, session: SessionDep, principal: Admin) -> dict[str, Any]:
    """Change classification or assignment (the only mutable fields); the old value stays in the history."""
    _load(session, entry_id)
    change_entry(session, entry_id, body.model_dump(exclude_unset=True), actor=principal.username)
    entry, annulment = _load(session, entry_id)
    return entry_json(entry, annulment)


@router.post("/registrations", status_code=201)
def register_manually(body: ManualRegistration, session: SessionDep, runtime: RuntimeDep,
                      principal: Admin) -> dict[str, Any]:
    """Register a validated record by hand (for registers that are not automatic)."""
    try:
        # Its own transaction, so SQLite's write lock is taken first thing (see service.begin_locked).
        entry = register_record(runtime, body.record_id, principal.username, register_code=body.register_code,
                                automatic_only=False)
    except ProtocolError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if entry is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the record is not validated or no register takes it")
    return entry_json(*_load(session, entry.id))


CSV_COLUMNS = ("register", "year", "number", "registered_at", "direction", "correspondent", "correspondent_vat",
               "subject", "sender_number", "sender_date", "fingerprint", "classification", "assignment", "annulled",
               "annulment_reason", "annulment_act")


@router.get("/export.csv", responses={200: {"content": {"text/csv": {}}}})
def export_csv(session: SessionDep, _: Reader, filters: Annotated[Filters, Query()]) -> Response:
    """The filtered register as CSV, in number order."""
    rows = session.execute(_filtered(filters).order_by(ProtocolEntry.register, ProtocolEntry.year,
                                                       ProtocolEntry.number)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry, annulment in rows:
        body = entry_json(entry, annulment)
        writer.writerow([body["register"], body["year"], body["number"], body["registered_at"], body["direction"],
                         body["correspondent"], body["correspondent_vat"] or "", body["subject"],
                         body["sender_number"] or "", body["sender_date"] or "", entry.fingerprint,
                         body["classification"] or "", body["assignment"] or "", "yes" if annulment else "no",
                         annulment.reason if annulment else "", annulment.authorizing_act if annulment else ""])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="protocollo.csv"'})
