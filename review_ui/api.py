"""The JSON API for systems and the review UI: tokens, uploads, records, corrections, decisions."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select

from core.after_validation import after_validation
from core.records import record_json, touch
from extract.memory import learn_from_approval, learn_from_correction
from extract.routing import record_amount
from ingest.intake import accept_file, display_name, record_oversized
from ingest.pages import page_media_type
from protocol.service import ProtocolError
from review_ui import locks
from review_ui.auth import Principal, authenticate
from review_ui.deps import RuntimeDep, SessionDep, require
from storage.models import Document, Event, FieldRow, Page, Record

router = APIRouter(prefix="/api")
Reader = Annotated[Principal, Depends(require("records:read"))]
Writer = Annotated[Principal, Depends(require("documents:write"))]
Reviewer = Annotated[Principal, Depends(require("review"))]


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UploadResponse(BaseModel):
    id: str | None = Field(description="the record id (of the first record when a file has several)")
    document_id: str | None
    outcome: str
    reason: str | None = None


class FieldsPatch(BaseModel):
    version: int
    fields: dict[str, Any]


class Decision(BaseModel):
    version: int
    reason: str | None = None


@router.post("/token", response_model=TokenResponse, tags=["auth"])
def issue_token(request: Request, runtime: RuntimeDep,
                form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenResponse:
    user = authenticate(runtime.db, form.username, form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return TokenResponse(access_token=request.app.state.tokens.issue(user))


@router.post("/documents", response_model=UploadResponse, status_code=201, tags=["documents"])
async def upload_document(request: Request, runtime: RuntimeDep, principal: Writer, file: UploadFile,
                          pipeline: Annotated[str | None, Form()] = None) -> UploadResponse:
    name = pipeline or runtime.config.default_pipeline
    if name not in runtime.config.pipelines:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"unknown pipeline {name!r}")
    limit = runtime.config.pipeline(name).intake.max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        # Refused, but still in the intake log: every file that reached quinte is accounted for.
        record_oversized(runtime, name, file.size or len(data), source=f"upload/{display_name(file.filename or '')}",
                         original_name=file.filename or "upload", uploaded_by=principal.username)
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            f"the file is larger than this pipeline accepts ({limit // 1_000_000} MB)")
    original = display_name(file.filename or "upload")
    result = accept_file(runtime, name, data, source=f"upload/{original}", original_name=original,
                         uploaded_by=principal.username)
    if result.outcome == "accepted" and result.document_id and result.first_stage:
        request.app.state.dispatcher.submit(result.document_id, result.first_stage)
    return UploadResponse(id=result.record_id, document_id=result.document_id, outcome=result.outcome,
                          reason=result.reason)


def _encode_cursor(record: Record) -> str:
    raw = json.dumps([record.updated_at.isoformat(), record.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, record_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(stamp), str(record_id)
    except (ValueError, TypeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor") from exc


@router.get("/records", tags=["records"])
def list_records(session: SessionDep, _: Reader,
                 status_: Annotated[str | None, Query(alias="status")] = None,
                 doc_type: str | None = None, pipeline: str | None = None,
                 updated_since: datetime | None = None, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Records in update order (oldest first) for incremental sync; follow ``next_cursor`` for more."""
    query = select(Record, Document).join(Document, Record.document_id == Document.id)
    if status_:
        query = query.where(Record.status == status_)
    if doc_type:
        query = query.where(Record.doc_type == doc_type)
    if pipeline:
        query = query.where(Record.pipeline == pipeline)
    if updated_since:
        since = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)
        query = query.where(Record.updated_at >= since)
    if cursor:
        stamp, record_id = _decode_cursor(cursor)
        query = query.where(or_(Record.updated_at > stamp, and_(Record.updated_at == stamp, Record.id > record_id)))
    rows = session.execute(query.order_by(Record.updated_at, Record.id).limit(limit + 1)).all()
    items = []
    for record, document in rows[:limit]:
        body = record_json(record, document)
        body.pop("text")
        items.append(body)
    next_cursor = _encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def _get_record(session: SessionDep, record_id: str) -> tuple[Record, Document]:
    record = session.get(Record, record_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record")
    return record, record.document


@router.get("/records/{record_id}", tags=["records"])
def get_record(record_id: str, session: SessionDep, _: Reader) -> dict[str, Any]:
    record, document = _get_record(session, record_id)
    return record_json(record, document)


@router.get("/records/{record_id}/pages/{number}/image", tags=["records"],
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def page_image(record_id: str, number: int, session: SessionDep, runtime: RuntimeDep, _: Reader) -> Response:
    record, _document = _get_record(session, record_id)
    page = session.scalar(select(Page).where(Page.document_id == record.document_id, Page.number == number))
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    # A page OCR has not cleaned yet is shown as split from the original, which may be the scan's JPEG.
    return Response(runtime.store.get(page.image_key), media_type=page_media_type(page.image_key),
                    headers={"Cache-Control": "private, max-age=300"})


def _check_version(record: Record, version: int) -> None:
    if record.version != version:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"the record changed since you read it (version {version}, now {record.version});"
                            " reload it and apply your change again")


@router.patch("/records/{record_id}/fields", tags=["review"])
def correct_fields(record_id: str, body: FieldsPatch, session: SessionDep, principal: Reviewer,
                   request: Request) -> dict[str, Any]:
    """A reviewer's corrections; the machine's value is kept beside each one."""
    record, document = _get_record(session, record_id)
    locks.ensure_writable(session, record.id, principal)
    _check_version(record, body.version)
    if record.status not in {"needs_review", "validated"}:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a {record.status} record cannot be corrected")
    via = request.headers.get("X-Quinte-Via", "api")[:32]
    now = datetime.now(UTC)
    existing = {row.name: row for row in record.fields}
    for name, value in body.fields.items():
        row = existing.get(name)
        old = row.value if row else None
        if row is None:
            row = FieldRow(name=name, machine_value=None)
            record.fields.append(row)
        row.value = value
        row.confidence = 1.0
        row.source = "human"
        row.page = row.bbox = None
        row.corrected_by, row.corrected_at = principal.username, now
        session.add(Event(kind="field.corrected", actor=principal.username, via=via, document_id=document.id,
                          record_id=record.id,
                          data={"field": name, "old": old, "new": value, "machine_value": row.machine_value}))
        learn_from_correction(session, record, name, value)
    touch(record)
    session.flush()
    return record_json(record, document)


def _decide(record_id: str, body: Decision, session: SessionDep, principal: Principal, decision: str,
            request: Request) -> dict[str, Any]:
    record, document = _get_record(session, record_id)
    locks.ensure_writable(session, record.id, principal)
    _check_version(record, body.version)
    if record.status != "needs_review":
        raise HTTPException(status.HTTP_409_CONFLICT, f"only records waiting for review can be {decision}")
    if decision == "rejected" and not (body.reason or "").strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "say why the record is rejected")
    record.status = decision
    touch(record)
    locks.release(session, record.id)  # decided: nobody needs the lease any more
    session.add(Event(kind=f"record.{decision}", actor=principal.username,
                      via=request.headers.get("X-Quinte-Via", "api")[:32], document_id=document.id,
                      record_id=record.id, data={"reason": body.reason}))
    session.flush()
    return record_json(record, document)


def _check_approval_limit(session: SessionDep, record_id: str, principal: Principal, runtime: RuntimeDep) -> None:
    """Above the pipeline's approval limit only an approver may approve (a second pair of eyes)."""
    record, _document = _get_record(session, record_id)
    pipeline = runtime.config.pipelines.get(record.pipeline)
    if pipeline is None or "route" not in pipeline.stage_names or principal.can("approve"):
        return
    limit = pipeline.params("route").approval_limit  # type: ignore[attr-defined]
    amount = record_amount(record)
    if limit is not None and amount is not None and amount > limit:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"the amount {amount} is above this pipeline's limit of"
                                                       f" {limit}: an approver must approve it")


@router.post("/records/{record_id}/approve", tags=["review"])
def approve(record_id: str, body: Decision, session: SessionDep, principal: Reviewer,
            request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    _check_approval_limit(session, record_id, principal, runtime)
    _decide(record_id, body, session, principal, "validated", request)
    learn_from_approval(session, _get_record(session, record_id)[0])  # approving confirms the values it kept
    # The pipeline's post-route stages (protocol register, payable and order matching, contracts register) act
    # on the approved record in this same transaction, exactly as they do for records validated automatically.
    try:
        after_validation(session, runtime, record_id, principal.username)
    except ProtocolError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"cannot be protocolled: {exc}") from exc
    record, document = _get_record(session, record_id)
    return record_json(record, document)  # with its protocol number, or back in review when its order differs


@router.post("/records/{record_id}/reject", tags=["review"])
def reject(record_id: str, body: Decision, session: SessionDep, principal: Reviewer,
           request: Request) -> dict[str, Any]:
    return _decide(record_id, body, session, principal, "rejected", request)


@router.get("/records/{record_id}/history", tags=["records"])
def history(record_id: str, session: SessionDep, _: Reader) -> list[dict[str, Any]]:
    _get_record(session, record_id)
    events = session.scalars(select(Event).where(Event.record_id == record_id).order_by(Event.id)).all()
    return [{"at": e.created_at.isoformat(), "kind": e.kind, "actor": e.actor, "via": e.via, "data": e.data}
            for e in events]
