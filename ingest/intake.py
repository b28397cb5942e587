"""Intake: a file's bytes become a stored original, a document and a record, a duplicate, or a quarantine entry."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import UnreadableDocument
from core.runtime import Runtime
from ingest.sniff import probe, sniff
from storage.models import Document, Event, Intake, Record

log = logging.getLogger("quinte.ingest")


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What became of a file: accepted (and queued), a duplicate of an earlier one, or quarantined with a reason."""

    outcome: Literal["accepted", "duplicate", "quarantined"]
    document_id: str | None
    record_id: str | None
    reason: str | None = None
    first_stage: str | None = None


def display_name(name: str) -> str:
    """A name safe to show and store: invalid UTF-8 replaced, control characters dropped, no folders."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.replace("/", "_").replace("\\", "_").strip() or "unnamed"
    return text[:255]


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def accept_file(runtime: Runtime, pipeline_name: str, data: bytes, *, source: str, original_name: str,
                uploaded_by: str | None = None) -> IntakeResult:
    """Store the original and register it; nothing that enters is lost, whatever its content."""
    pipeline = runtime.config.pipeline(pipeline_name)
    name = display_name(original_name)
    if len(data) > pipeline.intake.max_bytes:
        return record_oversized(runtime, pipeline_name, len(data), source=source, original_name=name,
                                uploaded_by=uploaded_by)
    sha256 = hashlib.sha256(data).hexdigest()
    duplicate = _find_duplicate(runtime, sha256)
    if duplicate is not None:
        return _record_duplicate(runtime, pipeline_name, duplicate, sha256=sha256, size=len(data), source=source,
                                 name=name, uploaded_by=uploaded_by)
    key = original_key(sha256)
    runtime.store.put(key, data, content_type=sniff(data) or "application/octet-stream")
    reason: str | None = None
    error_code: str | None = None
    try:
        probed = probe(data, max_pages=pipeline.intake.max_pages)
        media_type, pages = probed.media_type, probed.pages
    except UnreadableDocument as exc:
        reason, error_code = str(exc), exc.code
        media_type, pages = sniff(data) or "application/octet-stream", 0
    try:
        with runtime.db.session() as session:
            document = Document(sha256=sha256, pipeline=pipeline_name, source=source, original_name=name,
                                media_type=media_type, size=len(data), object_key=key, page_count=pages)
            session.add(document)
            session.flush()
            record = Record(document_id=document.id, pipeline=pipeline_name,
                            status="failed" if reason else "processing",
                            error_code=error_code, error_message=reason)
            session.add(record)
            session.flush()
            outcome = "quarantined" if reason else "accepted"
            session.add(Intake(pipeline=pipeline_name, source=source, original_name=name, size=len(data),
                               sha256=sha256, outcome=outcome, reason=reason, document_id=document.id,
                               uploaded_by=uploaded_by))
            session.add(Event(kind=f"intake.{outcome}", actor=uploaded_by or "system",
                              via="upload" if uploaded_by else "inbox", document_id=document.id,
                              record_id=record.id, data={"source": source, "reason": reason}))
            document_id, record_id = document.id, record.id
    except IntegrityError:
        # The same bytes arrived twice at once; the other copy won the race.
        duplicate = _find_duplicate(runtime, sha256)
        return _record_duplicate(runtime, pipeline_name, duplicate, sha256=sha256, size=len(data), source=source,
                                 name=name, uploaded_by=uploaded_by)
    if reason:
        log.warning("quarantined %s: %s", source, reason, extra={"document_id": document_id})
        return IntakeResult("quarantined", document_id, record_id, reason)
    log.info("accepted %s", source, extra={"document_id": document_id})
    return IntakeResult("accepted", document_id, record_id, first_stage=pipeline.stage_names[0])


def _find_duplicate(runtime: Runtime, sha256: str) -> str | None:
    with runtime.db.session() as session:
        return session.scalar(select(Document.id).where(Document.sha256 == sha256))


def _record_duplicate(runtime: Runtime, pipeline_name: str, document_id: str | None, *, sha256: str, size: int,
                      source: str, name: str, uploaded_by: str | None) -> IntakeResult:
    with runtime.db.session() as session:
        session.add(Intake(pipeline=pipeline_name, source=source, original_name=name, size=size, sha256=sha256,
                           outcome="duplicate", reason="the same file was received before",
                           document_id=document_id, uploaded_by=uploaded_by))
        session.add(Event(kind="intake.duplicate", actor=uploaded_by or "system", document_id=document_id,
                          data={"source": source}))
        record_id = session.scalar(select(Record.id).where(Record.document_id == document_id).limit(1))
    return IntakeResult("duplicate", document_id, record_id, "the same file was received before")


def record_oversized(runtime: Runtime, pipeline_name: str, size: int, *, source: str, original_name: str,
                     uploaded_by: str | None = None) -> IntakeResult:
    """Log a file too large to read at all; it stays in quarantine, not in the object store."""
    limit = runtime.config.pipeline(pipeline_name).intake.max_bytes
    reason = f"the file is {size / 1e6:.1f} MB; this pipeline accepts at most {limit / 1e6:.1f} MB"
    with runtime.db.session() as session:
        session.add(Intake(pipeline=pipeline_name, source=source, original_name=display_name(original_name),
                           size=size, outcome="quarantined", reason=reason, uploaded_by=uploaded_by))
    return IntakeResult("quarantined", None, None, reason)


def record_refused(runtime: Runtime, pipeline_name: str, *, source: str, original_name: str,
                   reason: str) -> IntakeResult:
    """Log an inbox entry that is not a regular file (a link, a pipe): it is moved aside, never opened."""
    with runtime.db.session() as session:
        session.add(Intake(pipeline=pipeline_name, source=source, original_name=display_name(original_name),
                           size=0, outcome="quarantined", reason=reason))
    return IntakeResult("quarantined", None, None, reason)
