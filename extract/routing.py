"""The route stage: straight-through processing when every rule holds, the review queue with reasons otherwise."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.context import StageContext
from core.records import touch
from extract.checks import NON_EU_SUPPLIER
from storage.models import Event, Page, Record

# Check codes that say a required field does not apply to this document (the check names the field).
WAIVES_REQUIRED = frozenset({NON_EU_SUPPLIER})


class RouteParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Fields that must be present, per document type, for a record to pass without a person.
    required: dict[str, list[str]] = Field(default_factory=dict)
    # Minimum calibrated confidence per field; ``default`` applies to fields not named.
    thresholds: dict[str, float] = Field(default_factory=lambda: {"default": 0.9})
    min_doc_type_confidence: float = Field(0.9, ge=0, le=1)
    # False sends everything to a person (a pipeline in its first weeks, say).
    auto_validate: bool = True
    # Records whose total is above this need a person with the approver role (a second pair of eyes),
    # and are never validated automatically.
    approval_limit: Decimal | None = Field(None, ge=0)


def routing_reasons(record: Record, *, params: RouteParams, accepted_types: list[str] | None,
                    page_problems: list[str]) -> list[str]:
    """Why a record needs a person; empty when it may be validated automatically."""
    reasons: list[str] = []
    if not params.auto_validate:
        reasons.append("this pipeline sends every document to review")
    if accepted_types and record.doc_type not in accepted_types:
        reasons.append(f"document type {record.doc_type} is not one this pipeline expects")
    if (record.doc_type_confidence or 0) < params.min_doc_type_confidence:
        reasons.append(f"unsure of the document type ({record.doc_type}, {record.doc_type_confidence or 0:.2f})")
    present = {row.name: row for row in record.fields if row.value is not None}
    # A field the document cannot have is not missing: a seller outside the EU has no VAT id (extract/checks.py).
    waived = {check.get("field") for check in record.checks or [] if check.get("code") in WAIVES_REQUIRED}
    for name in params.required.get(record.doc_type or "", []):
        if name not in present and name not in waived:
            reasons.append(f"{name} was not found")
    default = params.thresholds.get("default", 0.9)
    for name, row in sorted(present.items()):
        threshold = params.thresholds.get(name, default)
        if row.corrected_by is None and (row.confidence or 0) < threshold:
            reasons.append(f"{name} is uncertain ({row.confidence or 0:.2f} < {threshold:.2f})")
    reasons.extend(
        f"check failed: {check['message']}" for check in record.checks or [] if check.get("severity") == "error"
    )
    reasons.extend(page_problems)
    amount = record_amount(record)
    if params.approval_limit is not None and amount is not None and amount > params.approval_limit:
        reasons.append(f"the amount {amount} is above {params.approval_limit}: an approver must approve it")
    return reasons


def record_amount(record: Record) -> Decimal | None:
    """The record's money amount (invoice total or contract value), as a positive decimal, if it has one."""
    for row in record.fields:
        if row.name in ("total_amount", "amount") and row.value is not None:
            try:
                return abs(Decimal(str(row.value)))
            except InvalidOperation:
                return None
    return None


def route_stage(ctx: StageContext, params: RouteParams) -> None:
    with ctx.session() as session:
        problems = [f"page {number}: {problem}" for number, problem in session.execute(
            select(Page.number, Page.problem).where(Page.document_id == ctx.document_id, Page.problem.is_not(None))
        )]
        # Locked: a duplicate message (a redelivery, a re-send by the sweeper) running at the same time waits here
        # and then finds the decision made.
        records = session.scalars(select(Record).where(Record.document_id == ctx.document_id)
                                  .with_for_update()).all()
        for record in records:
            if record.status in {"validated", "rejected", "failed"}:
                continue
            reasons = routing_reasons(record, params=params, accepted_types=ctx.pipeline.doc_types,
                                      page_problems=problems)
            status = "needs_review" if reasons else "validated"
            if (record.status, record.reasons) == (status, reasons):
                continue  # a repeated run: nothing changed, so no second event for webhooks to deliver
            # One event per change of status. A repeated run may only reword the reasons (a duplicate check that
            # now counts one more copy): the record shows them, but it is no new event for webhooks to deliver.
            moved = record.status != status
            record.status = status
            record.reasons = reasons
            touch(record)
            if moved:
                session.add(Event(kind=f"record.{record.status}", document_id=ctx.document_id, record_id=record.id,
                                  data={"reasons": reasons}))
