"""The review queue: records waiting for a person, filtered, counted per reason, oldest first; "next" claims one."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, String, and_, cast, exists, func, select
from sqlalchemy.orm import Session

from review_ui import locks
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from review_ui.models import RecordLock
from review_ui.pages import DOC_TYPES, is_htmx, render
from storage.models import Document, FieldRow, Record

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(require("review"))]
PAGE_SIZE = 50
# Reason kinds, matched in the stored JSON list of reason sentences written by the route stage.
REASONS: dict[str, tuple[str, str]] = {
    "uncertain": ("Uncertain fields", "% is uncertain (%"),
    "missing": ("Missing fields", "% was not found%"),
    "check": ("Failed checks", "%check failed:%"),
    "doc_type": ("Document type", "%document type%"),
    "page": ("Page problems", '%"page %'),
    "policy": ("Always reviewed", "%sends every document to review%"),
}
AGES = {"1d": ("over a day", 1), "3d": ("over 3 days", 3), "7d": ("over a week", 7), "30d": ("over a month", 30)}


@dataclass(frozen=True, slots=True)
class Filters:
    """The queue's filters, as they travel in the query string."""

    pipeline: str = ""
    doc_type: str = ""
    supplier: str = ""
    age: str = ""
    reason: str = ""

    def query(self, **extra: Any) -> str:
        values = {key: value for key, value in {**asdict(self), **extra}.items() if value not in ("", None, 0)}
        return urlencode(values)


def filters_dep(pipeline: str = "", doc_type: str = "", supplier: str = "", age: str = "",
                reason: str = "") -> Filters:
    return Filters(pipeline, doc_type, supplier.strip()[:100], age if age in AGES else "",
                   reason if reason in REASONS else "")


FiltersDep = Annotated[Filters, Depends(filters_dep)]


def _supplier_value() -> Any:
    # The supplier's name is a field; a correlated scalar subquery keeps the main query a plain index scan.
    return (select(cast(FieldRow.value, String)).where(FieldRow.record_id == Record.id,
                                                       FieldRow.name == "supplier_name")
            .limit(1).scalar_subquery())


def _json_text(raw: str | None) -> str:
    try:
        value = json.loads(raw) if raw else ""
    except ValueError:
        return raw or ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _reasons_text() -> Any:
    return cast(Record.reasons, String)


def supplier_matches(session: Session, filters: Filters) -> list[str] | None:
    """Ids of the records whose supplier matches, looked up first: a separate query keeps the planner from
    guessing the selectivity of a text match inside a join (it guesses one row and loops over thousands)."""
    if not filters.supplier:
        return None
    # Matched in the stored JSON text, where non-ASCII letters are escaped the way json.dumps writes them.
    pattern = f"%{json.dumps(filters.supplier.lower())[1:-1]}%"
    return list(session.scalars(select(FieldRow.record_id).where(
        FieldRow.name == "supplier_name", func.lower(cast(FieldRow.value, String)).like(pattern)).limit(5000)))


def _filtered(query: Select[Any], filters: Filters, suppliers: list[str] | None, *,
              with_reason: bool = True) -> Select[Any]:
    query = query.where(Record.status == "needs_review")
    if filters.pipeline:
        query = query.where(Record.pipeline == filters.pipeline)
    if filters.doc_type:
        query = query.where(Record.doc_type == filters.doc_type)
    if filters.age:
        query = query.where(Record.created_at <= datetime.now(UTC) - timedelta(days=AGES[filters.age][1]))
    if suppliers is not None:
        query = query.where(Record.id.in_(suppliers))
    if with_reason and filters.reason:
        query = query.where(_reasons_text().like(REASONS[filters.reason][1]))
    return query


def reason_counts(session: Session, filters: Filters, suppliers: list[str] | None) -> tuple[int, dict[str, int]]:
    """How many records wait under the other filters, in total and per reason kind, in one scan."""
    columns = [func.count().label("total")] + [
        func.count().filter(_reasons_text().like(pattern)).label(key) for key, (_label, pattern) in REASONS.items()
    ]
    row = session.execute(_filtered(select(*columns).select_from(Record), filters, suppliers,
                                    with_reason=False)).one()
    return row.total, {key: int(getattr(row, key)) for key in REASONS}


def queue_rows(session: Session, filters: Filters, suppliers: list[str] | None,
               page: int) -> tuple[list[dict[str, Any]], bool]:
    now = datetime.now(UTC)
    query = _filtered(
        select(Record.id, Record.created_at, Record.pipeline, Record.doc_type, Record.reasons,
               Document.original_name, _supplier_value().label("supplier"), RecordLock.username)
        .join(Document, Document.id == Record.document_id)
        .outerjoin(RecordLock, and_(RecordLock.record_id == Record.id, RecordLock.expires_at > now)),
        filters, suppliers,
    ).order_by(Record.created_at, Record.id).offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = [dict(row._mapping) for row in session.execute(query)]
    for row in rows:
        row["supplier"] = _json_text(row["supplier"])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@router.get("/queue")
def queue_page(request: Request, principal: Reviewer, session: SessionDep, runtime: RuntimeDep,
               filters: FiltersDep, page: Annotated[int, Query(ge=0)] = 0,
               empty: bool = False) -> Response:
    suppliers = supplier_matches(session, filters)
    total, counts = reason_counts(session, filters, suppliers)
    rows, more = queue_rows(session, filters, suppliers, page)
    context = {"rows": rows, "more": more, "page": page, "filters": filters, "total": total, "counts": counts,
               "reasons": REASONS, "ages": AGES, "doc_types": DOC_TYPES, "pipelines": list(runtime.config.pipelines),
               "empty": empty}
    name = "_queue_table.html" if is_htmx(request) and request.headers.get("HX-Target") == "queue-results" \
        else "queue.html"
    return render(request, name, context, principal=principal)


def next_unclaimed(session: Session, filters: Filters, principal: Principal) -> str | None:
    """Claim the oldest record nobody else holds; a lost race moves on to the next candidate."""
    now = datetime.now(UTC)
    taken_by_other = exists().where(RecordLock.record_id == Record.id, RecordLock.expires_at > now,
                                    RecordLock.user_id != principal.user_id)
    candidates = session.scalars(_filtered(select(Record.id), filters, supplier_matches(session, filters))
                                 .where(~taken_by_other)
                                 .order_by(Record.created_at, Record.id).limit(10)).all()
    for record_id in candidates:
        if locks.claim(session, record_id, principal).mine:
            return record_id
    return None


@router.post("/queue/next")
def take_next(principal: Reviewer, session: SessionDep, pipeline: Annotated[str, Form()] = "",
              doc_type: Annotated[str, Form()] = "", supplier: Annotated[str, Form()] = "",
              age: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> RedirectResponse:
    filters = filters_dep(pipeline, doc_type, supplier, age, reason)
    record_id = next_unclaimed(session, filters, principal)
    if record_id is None:
        return RedirectResponse(f"/queue?{filters.query(empty=1)}", status_code=303)
    return RedirectResponse(f"/records/{record_id}?{filters.query()}", status_code=303)
