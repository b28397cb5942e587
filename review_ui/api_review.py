"""JSON API additions for the review screen: word boxes, the original file, line items and record leases."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select

from core.records import iso, record_json, touch
from review_ui import locks
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from storage.models import Document, Event, Page, Record, WordRow

router = APIRouter(prefix="/api", tags=["review"])
Reader = Annotated[Principal, Depends(require("records:read"))]
Reviewer = Annotated[Principal, Depends(require("review"))]
LINE_KEYS = ("description", "quantity", "unit_price", "amount", "vat_rate")


class LinesPatch(BaseModel):
    version: int
    lines: list[dict[str, Any]]


def _record(session: SessionDep, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record")
    return record


@router.get("/records/{record_id}/pages/{number}/words", tags=["records"])
def page_words(record_id: str, number: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    """The OCR words of one page with their boxes in page-image pixels, in reading order."""
    record = _record(session, record_id)
    page = session.scalar(select(Page).where(Page.document_id == record.document_id, Page.number == number))
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    rows = session.execute(select(WordRow.seq, WordRow.text, WordRow.x0, WordRow.y0, WordRow.x1, WordRow.y1,
                                  WordRow.confidence).where(WordRow.page_id == page.id).order_by(WordRow.seq))
    words = [{"seq": seq, "text": text, "bbox": [x0, y0, x1, y1], "confidence": conf}
             for seq, text, x0, y0, x1, y1, conf in rows]
    return {"page": number, "width": page.width, "height": page.height, "words": words}


def content_disposition(name: str) -> str:
    """An attachment header that no file name can break: ASCII fallback plus the RFC 5987 UTF-8 form."""
    clean = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").replace("/", "_").replace("\\", "_")
    clean = clean.strip().strip(".") or "document"
    fallback = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode()
    fallback = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in fallback).strip() or "document"
    return f"attachment; filename=\"{fallback[:150]}\"; filename*=UTF-8''{quote(clean[:150], safe='')}"


@router.get("/records/{record_id}/original", tags=["records"])
def original_file(record_id: str, session: SessionDep, runtime: RuntimeDep, _: Reader) -> Response:
    """The file exactly as it entered, for download."""
    document: Document = _record(session, record_id).document
    return Response(runtime.store.get(document.object_key), media_type=document.media_type,
                    headers={"Content-Disposition": content_disposition(document.original_name),
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def _clean_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Only the known columns, as strings, and no blank rows: the table is what a person typed.
    cleaned = []
    for line in lines:
        row = {key: str(line[key]).strip() for key in LINE_KEYS if line.get(key) not in (None, "")}
        row = {key: value for key, value in row.items() if value}
        if row:
            cleaned.append(row)
    return cleaned


@router.patch("/records/{record_id}/lines")
def correct_lines(record_id: str, body: LinesPatch, session: SessionDep, principal: Reviewer,
                  request: Request) -> dict[str, Any]:
    """A reviewer's line items replace the machine's; the old ones are kept in the audit event."""
    record = _record(session, record_id)
    locks.ensure_writable(session, record.id, principal)
    if record.version != body.version:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"the record changed since you read it (version {body.version}, now {record.version});"
                            " reload it and apply your change again")
    if record.status not in {"needs_review", "validated"}:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a {record.status} record cannot be corrected")
    old, new = record.lines or [], _clean_lines(body.lines)
    record.lines = new
    touch(record)
    session.add(Event(kind="lines.corrected", actor=principal.username,
                      via=request.headers.get("X-Quinte-Via", "api")[:32], document_id=record.document_id,
                      record_id=record.id, data={"field": "lines", "old": old, "new": new}))
    session.flush()
    return record_json(record, record.document)


def lock_json(state: locks.LockState) -> dict[str, Any]:
    expires: datetime | None = state.expires_at
    return {"holder": state.holder, "expires_at": iso(expires), "mine": state.mine}


@router.get("/records/{record_id}/lock")
def get_lock(record_id: str, session: SessionDep, principal: Reader) -> dict[str, Any]:
    _record(session, record_id)
    return lock_json(locks.state(session, record_id, principal))


@router.post("/records/{record_id}/lock")
def claim_lock(record_id: str, session: SessionDep, principal: Reviewer) -> dict[str, Any]:
    """Claim or renew the lease; 423 with the holder when someone else has it."""
    _record(session, record_id)
    state = locks.claim(session, record_id, principal)
    if not state.mine:
        raise HTTPException(status.HTTP_423_LOCKED, f"{state.holder} is editing this record")
    return lock_json(state)


@router.delete("/records/{record_id}/lock", status_code=204)
def release_lock(record_id: str, session: SessionDep, principal: Reviewer) -> Response:
    locks.release(session, record_id, None if principal.can("admin") else principal)
    return Response(status_code=204)
