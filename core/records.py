"""Records: loading words for extraction, applying machine results without touching human corrections, the JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from core.document import Extraction, PageWords, Word
from storage.models import Document, FieldRow, Page, Record, WordRow


def load_page_words(session: Session, document_id: str) -> list[PageWords]:
    """Every page's words as the shared model, in page and reading order."""
    pages = session.scalars(select(Page).where(Page.document_id == document_id).order_by(Page.number)).all()
    result = []
    for page in pages:
        rows = session.scalars(select(WordRow).where(WordRow.page_id == page.id).order_by(WordRow.seq)).all()
        words = [Word(row.text, (row.x0, row.y0, row.x1, row.y1), row.confidence, page.number, row.block, row.line)
                 for row in rows]
        result.append(PageWords(page.number, page.width, page.height, words,
                                source="text_layer" if page.text_source == "text_layer" else "ocr"))
    return result


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes that were stored as UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def touch(record: Record) -> None:
    """Every change to a record bumps its version and its update time."""
    record.version += 1
    record.updated_at = datetime.now(UTC)


def apply_extraction(session: Session, record: Record, extraction: Extraction, *, text: str) -> None:
    """Replace the machine's results; a field a person corrected keeps the person's value."""
    if not record.doc_type_by_human:
        record.doc_type = extraction.doc_type
        record.doc_type_confidence = extraction.doc_type_confidence
    record.lines = extraction.lines
    record.checks = [check.as_json() for check in extraction.checks]
    record.text = text
    existing = {row.name: row for row in record.fields}
    for name, extracted in extraction.fields.items():
        row = existing.pop(name, None)
        if row is None:
            row = FieldRow(name=name)
            record.fields.append(row)
        row.machine_value = extracted.value
        if row.corrected_by:
            continue
        row.value = extracted.value
        row.confidence = extracted.confidence
        row.page = extracted.page
        row.bbox = list(extracted.bbox) if extracted.bbox else None
        row.source = extracted.source
    for row in existing.values():
        if row.corrected_by:
            row.machine_value = None
        else:
            record.fields.remove(row)
    touch(record)


def protocol_of(record: Record) -> dict[str, Any] | None:
    """The record's protocol registration (its first register's), or None when it has none."""
    session = object_session(record)
    if session is None:
        return None
    from protocol.models import ProtocolEntry
    from protocol.service import summary

    entry = session.scalar(select(ProtocolEntry).where(ProtocolEntry.record_id == record.id)
                           .order_by(ProtocolEntry.id).limit(1))
    return summary(entry) if entry is not None else None


def record_json(record: Record, document: Document, protocol: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record as interfaces.md §3 defines it; the protocol registration is looked up when not given."""
    if protocol is None:
        protocol = protocol_of(record)
    fields = {
        row.name: {"value": row.value, "confidence": row.confidence, "page": row.page, "bbox": row.bbox,
                   "source": row.source}
        for row in record.fields
        if row.value is not None
    }
    body: dict[str, Any] = {
        "id": record.id,
        "source": document.source,
        "sha256": document.sha256,
        "pages": document.page_count,
        "pipeline": record.pipeline,
        "doc_type": record.doc_type,
        "doc_type_confidence": record.doc_type_confidence,
        "status": record.status,
        "version": record.version,
        "fields": fields,
        "lines": record.lines or [],
        "checks": record.checks or [],
        "reasons": record.reasons or [],
        "protocol": protocol,
        "text": record.text or "",
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }
    if record.status == "failed":
        body["error"] = {"code": record.error_code, "message": record.error_message}
    return body
