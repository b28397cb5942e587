"""The payable stage's effect: book a validated invoice once and match it to its order; a mismatch holds it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.config import Tolerances, contracts_config
from contracts.matching import LineDiff, MatchResult, match_invoice
from core.after_validation import Validated
from core.document import Check
from core.records import touch
from invoicing.duplicates import record_values
from invoicing.models import Payable
from invoicing.payables import PayableParams, create_payable_for_record, set_hold
from storage.models import Event, Record

MISMATCH = "order_mismatch"
NO_ORDER = "no_order"
# Holds placed here start with this, so a later match releases only its own hold (never an IBAN-change hold).
HOLD_PREFIX = "order matching: "
# A scheduled or paid payable is past matching: its status is no longer matching's to change.
MATCHABLE = ("open", "on_hold")


def book_and_match(validated: Validated, params: PayableParams) -> Payable | None:
    """Book a validated invoice or credit note (once) and, when the pipeline matches orders, match the invoice.

    Credit notes are booked but not matched: they correct an invoice, not an order.
    """
    session, runtime = validated.session, validated.runtime
    payable = create_payable_for_record(session, validated.record_id, config=runtime.config, store=runtime.store,
                                        actor=validated.actor)
    record = session.get(Record, validated.record_id)
    if payable is None or record is None or record.doc_type != "invoice" or not params.match_orders:
        return payable
    if payable.status in MATCHABLE:
        tolerances = contracts_config(runtime.config).tolerances_for(record.pipeline)
        result = match_invoice(session, record.id, tolerances)
        apply_match(session, record, payable, result, match_check(result, record, tolerances, params.require_order),
                    actor=validated.actor)
    return payable


def apply_match(session: Session, record: Record, payable: Payable, result: MatchResult,
                check: dict[str, Any] | None, *, actor: str) -> None:
    """Put the outcome on the record's checks and the payable's status; applying it again changes nothing.

    A blocking check seen for the first time holds the payable and sends the record back to review. The same
    check on a validated record means a reviewer approved the record with it in sight: the record stays validated
    and the payable stays as the invoicing staff left it (held until someone releases it).
    """
    first_seen = check is not None and check not in (record.checks or [])
    _replace_check(record, check)
    if check is not None and check["severity"] == "error":
        if first_seen:
            if payable.status == "open":
                set_hold(session, payable, hold=True, reason=HOLD_PREFIX + check["message"], actor=actor)
            _send_to_review(session, record, check["message"], actor)
    elif payable.status == "on_hold" and (payable.hold_reason or "").startswith(HOLD_PREFIX):
        set_hold(session, payable, hold=False, reason=None, actor=actor)  # corrected, or its order arrived
    _log_outcome(session, record, payable, result, actor)


def match_check(result: MatchResult, record: Record, tolerances: Tolerances,
                require_order: bool) -> dict[str, Any] | None:
    """The check a reviewer reads: the lines that differ from the order, or the order that was not found."""
    if result.status == "mismatch":
        lines = "; ".join(_line_text(diff) for diff in result.differences)
        limits = (f"quantity ±{tolerances.quantity_pct}%, unit price ±{tolerances.price_pct}% "
                  f"or {tolerances.price_abs}")
        return Check(MISMATCH, f"the invoice does not match order {result.order_number} ({result.mode}, "
                               f"tolerances {limits}): {lines}").as_json()
    if result.status == "no_order":
        reference = record_values(record).get("order_reference")
        named = f"none numbered {reference!r} from this supplier" if reference else "the invoice names none"
        required = " (this pipeline requires one)" if require_order else ""
        return Check(NO_ORDER, f"no purchase order found for this invoice{required}: {named}, and no order of this "
                               "supplier has the same total", "order_reference",
                     "error" if require_order else "warning").as_json()
    return None


def _line_text(diff: LineDiff) -> str:
    number = f"line {diff.invoice_line + 1}" if diff.invoice_line is not None else "a line"
    return f"{number} “{diff.description}”: {', '.join(diff.problems)}"


def _replace_check(record: Record, check: dict[str, Any] | None) -> None:
    checks = [c for c in record.checks or [] if c.get("code") not in (MISMATCH, NO_ORDER)]
    if check is not None:
        checks.append(check)
    if checks != (record.checks or []):
        record.checks = checks
        touch(record)


def _send_to_review(session: Session, record: Record, message: str, actor: str) -> None:
    record.status = "needs_review"
    record.reasons = [f"check failed: {message}"]  # worded as the route stage words a failed check
    touch(record)
    session.add(Event(kind="record.needs_review", actor=actor, document_id=record.document_id,
                      record_id=record.id, data={"reasons": record.reasons}))


def _log_outcome(session: Session, record: Record, payable: Payable, result: MatchResult, actor: str) -> None:
    """A ``payable.matching`` event for each new outcome (the audit trail of a match, and the no-order report)."""
    data = {"payable_id": payable.id, **result.as_json()}
    last = session.scalar(select(Event.data).where(Event.record_id == record.id, Event.kind == "payable.matching")
                          .order_by(Event.id.desc()).limit(1))
    if last != data:
        session.add(Event(kind="payable.matching", actor=actor, document_id=record.document_id, record_id=record.id,
                          data=data))
