"""Records as CSV or JSON Lines, for a pipeline and a time range: on request and on a schedule."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.records import record_json
from core.runtime import Runtime
from storage.db import Database
from storage.models import Document, FieldRow, Record
from webhooks.config import ExportConfig
from webhooks.models import JobState
from webhooks.outbox import aware, begin_exclusive

log = logging.getLogger("quinte.exports")
FIXED_COLUMNS = ("id", "source", "sha256", "pages", "pipeline", "doc_type", "doc_type_confidence", "status",
                 "version", "created_at", "updated_at")
# A spreadsheet runs a cell starting with these as a formula; OCR text must never become one.
_FORMULA_START = ("=", "+", "@", "\t", "\r")
_BATCH = 200


def records_query(pipeline: str | None, since: datetime | None, until: datetime | None,
                  *, by: str = "created_at") -> Select[Any]:
    column = getattr(Record, by)
    query = select(Record, Document).join(Document, Record.document_id == Document.id)
    if pipeline:
        query = query.where(Record.pipeline == pipeline)
    if since:
        query = query.where(column >= since)
    if until:
        query = query.where(column < until)
    return query.order_by(column, Record.id)


def _records(db: Database, query: Select[Any]) -> Iterator[dict[str, Any]]:
    """The records in query order, loaded a batch at a time so a large range never sits in memory at once."""
    with db.session() as session:
        ids = list(session.scalars(query.with_only_columns(Record.id)))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        with db.session() as session:
            rows = {record.id: (record, document) for record, document in
                    session.execute(query.where(Record.id.in_(chunk)))}
            for record_id in chunk:
                if record_id in rows:
                    body = record_json(*rows[record_id])
                    body.pop("text")  # the full text makes exports huge; it is one GET away
                    yield body


def jsonl_lines(db: Database, query: Select[Any]) -> Iterator[str]:
    for body in _records(db, query):
        yield json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"


def field_names(session: Session, query: Select[Any]) -> list[str]:
    ids = query.with_only_columns(Record.id).order_by(None)
    return list(session.scalars(select(FieldRow.name).where(FieldRow.record_id.in_(ids)).distinct()
                                .order_by(FieldRow.name)))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if text.startswith(_FORMULA_START) or (text.startswith("-") and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(db: Database, query: Select[Any]) -> Iterator[str]:
    """One row per record: the fixed columns, then one column per field name found in the range."""
    with db.session() as session:
        names = field_names(session, query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FIXED_COLUMNS, *names])
    for body in _records(db, query):
        fields = body["fields"]
        writer.writerow([_cell(body[c]) for c in FIXED_COLUMNS]
                        + [_cell(fields[n]["value"]) if n in fields else "" for n in names])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def render(db: Database, query: Select[Any], fmt: str) -> Iterator[str]:
    return csv_lines(db, query) if fmt == "csv" else jsonl_lines(db, query)


def _claim_run(db: Database, export: ExportConfig, now: datetime) -> datetime | None:
    """Take this export's next run if it is due; returns the start of its range (epoch on the first run)."""
    with db.session() as session:
        begin_exclusive(session)
        name = f"export:{export.name}"
        state = session.scalar(select(JobState).where(JobState.name == name).with_for_update())
        if state is None:
            state = JobState(name=name)
            session.add(state)
        last_run = aware(state.last_run_at) if state.last_run_at else None
        if last_run and now - last_run < timedelta(minutes=export.every_minutes):
            return None
        since = aware(state.last_until) if state.last_until else datetime(1970, 1, 1, tzinfo=UTC)
        state.last_run_at = now
        return since


def _finish_run(db: Database, export: ExportConfig, until: datetime | None, result: str) -> None:
    with db.session() as session:
        state = session.get(JobState, f"export:{export.name}")
        if state is not None:
            if until is not None:
                state.last_until = until
            state.last_result = result[:512]


def run_export(runtime: Runtime, export: ExportConfig, *, now: datetime | None = None) -> str | None:
    """Write the records updated since the last run to one file; returns where, or None if not due or empty."""
    now = now or datetime.now(UTC)
    since = _claim_run(runtime.db, export, now)
    if since is None:
        return None
    query = records_query(export.pipeline, since, now, by="updated_at")
    try:
        data = "".join(render(runtime.db, query, export.format)).encode()
        target = _write(runtime, export, now, data)
    except Exception as exc:
        # The range is not advanced, so the next run covers it again.
        _finish_run(runtime.db, export, None, f"failed: {type(exc).__name__}: {exc}")
        log.exception("scheduled export %s failed", export.name)
        return None
    _finish_run(runtime.db, export, now, f"written: {target}")
    log.info("scheduled export %s written to %s", export.name, target)
    return target


def _write(runtime: Runtime, export: ExportConfig, now: datetime, data: bytes) -> str:
    name = f"{export.name}-{now.strftime('%Y%m%dT%H%M%SZ')}.{export.format}"
    if export.folder is not None:
        folder = Path(export.folder)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.part"
        partial.write_bytes(data)
        partial.replace(folder / name)  # readers of the folder never see half a file
        return str(folder / name)
    key = f"{export.object_prefix.strip('/')}/{name}" if export.object_prefix else name
    media = "text/csv" if export.format == "csv" else "application/x-ndjson"
    runtime.store.put(key, data, content_type=media)
    return key
