"""Payment runs: open payables due by a date become one SEPA pain.001.001.09 file, approved, then executed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

import sepaxml
import xmlschema
from sepaxml.validation import ValidationError as SepaValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import PipelinesConfig
from invoicing.config import BankAccount, invoicing_of
from invoicing.models import Payable, PaymentRun, PaymentRunItem
from storage.counters import take_write_lock
from storage.models import Event

SCHEMA = "pain.001.001.09"


class PaymentRunError(Exception):
    """A run that cannot be prepared or moved on; the message says why."""


@dataclass(slots=True)
class Selection:
    """The transfers to make, and the payables left out with the reason."""

    items: list[tuple[Payable, int, list[Payable]]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


write_lock = take_write_lock


@lru_cache(maxsize=1)
def pain_schema() -> xmlschema.XMLSchema:
    """The pain.001.001.09 XSD bundled with sepaxml."""
    return xmlschema.XMLSchema(os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{SCHEMA}.xsd"))


def validate_pain001(xml: bytes | str) -> None:
    """Raise xmlschema's validation error when the file does not match the pain.001.001.09 schema."""
    pain_schema().validate(xml.decode("utf-8") if isinstance(xml, bytes) else xml)


def _open_credit_notes(session: Session, invoice: Payable) -> list[Payable]:
    return list(session.scalars(select(Payable).where(Payable.corrects_payable_id == invoice.id,
                                                      Payable.kind == "credit_note", Payable.status == "open")))


def _candidates(session: Session, due_by: date | None, payable_ids: list[str] | None) -> list[Payable]:
    query = select(Payable).with_for_update(of=Payable)  # lock the payables, not their supplier rows
    if payable_ids:
        found = {p.id: p for p in session.scalars(query.where(Payable.id.in_(payable_ids)))}
        missing = [pid for pid in payable_ids if pid not in found]
        if missing:
            raise PaymentRunError(f"no payable {', '.join(missing)}")
        return [found[pid] for pid in payable_ids]
    if due_by is None:
        raise PaymentRunError("give a due date or the payables to pay")
    return list(session.scalars(query.where(Payable.kind == "invoice", Payable.status == "open",
                                            Payable.due_date <= due_by).order_by(Payable.due_date, Payable.id)))


def select_payables(session: Session, *, due_by: date | None, payable_ids: list[str] | None) -> Selection:
    """Open invoices to pay, each net of the open credit notes that correct it; by hand, every problem refuses."""
    selection = Selection()
    for payable in _candidates(session, due_by, payable_ids):
        credits = _open_credit_notes(session, payable)
        amount = payable.total_cents - sum(abs(c.total_cents) for c in credits)
        reason = None
        if payable.kind != "invoice":
            reason = "credit notes are not paid; they are netted off the invoice they correct"
        elif payable.status != "open":
            reason = f"the payable is {payable.status}"
        elif not (payable.iban or payable.supplier.iban):
            reason = "no IBAN for the supplier"
        elif payable.currency != "EUR":
            reason = f"SEPA transfers are in EUR, this invoice is in {payable.currency}"
        elif amount <= 0:
            reason = "nothing left to pay after credit notes"
        if reason and payable_ids:
            raise PaymentRunError(f"payable {payable.id} ({payable.number}): {reason}")
        if reason:
            selection.skipped.append({"payable_id": payable.id, "number": payable.number, "reason": reason})
        else:
            selection.items.append((payable, amount, credits))
    return selection


def remittance(payable: Payable) -> str:
    """Unstructured remittance (≤140): the supplier's invoice number and date, as the supplier reconciles it."""
    issued = f" del {payable.issue_date.strftime('%d/%m/%Y')}" if payable.issue_date else ""
    return f"Fattura n. {payable.number}{issued}"[:140]


def build_pain001(bank: BankAccount, execution_date: date, transfers: list[PaymentRunItem],
                  payables: dict[str, Payable]) -> tuple[bytes, str]:
    """The pain.001.001.09 XML (validated against the bundled XSD by sepaxml) and its message id."""
    config = {"name": bank.name, "IBAN": bank.iban, "batch": True, "currency": "EUR"}
    if bank.bic:
        config["BIC"] = bank.bic
    sepa = sepaxml.SepaTransfer(config, schema=SCHEMA)
    for item in transfers:
        payable = payables[item.payable_id]
        sepa.add_payment({
            "name": payable.supplier.name, "IBAN": payable.iban or payable.supplier.iban,
            "amount": item.amount_cents, "execution_date": execution_date, "description": item.remittance,
            "endtoend_id": item.end_to_end_id,
        })
    try:
        return sepa.export(validate=True), sepa.msg_id
    except SepaValidationError as exc:
        raise PaymentRunError(f"the pain.001 file does not validate: {exc.__cause__ or exc}") from exc


def prepare_run(session: Session, config: PipelinesConfig, *, actor: str, execution_date: date,
                due_by: date | None = None, payable_ids: list[str] | None = None) -> tuple[PaymentRun, Selection]:
    """Select the payables, write the pain.001 file, and schedule them; the run then waits for approval."""
    bank = invoicing_of(config).bank_account
    if bank is None:
        raise PaymentRunError("pipelines.yaml invoicing.bank_account (name, iban, bic) is not configured")
    selection = select_payables(session, due_by=due_by, payable_ids=payable_ids)
    if not selection.items:
        raise PaymentRunError("nothing to pay: " + ("; ".join(
            f"{s['number']}: {s['reason']}" for s in selection.skipped) or "no open payable is due"))
    run = PaymentRun(execution_date=execution_date, created_by=actor, message_id="", total_cents=0, transactions=0,
                     xml="")
    session.add(run)
    session.flush()
    payables: dict[str, Payable] = {}
    for payable, amount, credits in selection.items:
        run.items.append(PaymentRunItem(payable_id=payable.id, amount_cents=amount,
                                        end_to_end_id=f"Q{run.id[:12]}{payable.id[:20]}",
                                        remittance=remittance(payable), credit_note_ids=[c.id for c in credits]))
        payables[payable.id] = payable
    xml, message_id = build_pain001(bank, execution_date, run.items, payables)
    run.xml, run.message_id = xml.decode("utf-8"), message_id
    run.total_cents = sum(item.amount_cents for item in run.items)
    run.transactions = len(run.items)
    _set_status(session, run, "scheduled")
    session.add(Event(kind="payment_run.prepared", actor=actor, data=_event_data(run)))
    return run, selection


def _set_status(session: Session, run: PaymentRun, status: str) -> None:
    """Move the run's payables and the credit notes netted off them together."""
    ids = [item.payable_id for item in run.items] + [cid for item in run.items for cid in item.credit_note_ids]
    for payable in session.scalars(select(Payable).where(Payable.id.in_(ids))):
        payable.status = status
        payable.updated_at = datetime.now(UTC)


def _event_data(run: PaymentRun) -> dict[str, object]:
    return {"run_id": run.id, "message_id": run.message_id, "execution_date": run.execution_date.isoformat(),
            "transactions": run.transactions, "total": f"{run.total_cents / 100:.2f}",
            "payables": [item.payable_id for item in run.items]}


def _locked_run(session: Session, run_id: str) -> PaymentRun:
    run = session.scalar(select(PaymentRun).where(PaymentRun.id == run_id).with_for_update())
    if run is None:
        raise LookupError(f"no payment run {run_id}")
    return run


def approve_run(session: Session, run_id: str, *, actor: str) -> PaymentRun:
    """Approval by a second person (four eyes): whoever prepared a run cannot approve it."""
    run = _locked_run(session, run_id)
    if run.status != "prepared":
        raise PaymentRunError(f"only a prepared run can be approved, this one is {run.status}")
    if actor == run.created_by:
        raise PaymentRunError("the person who prepared a payment run cannot approve it")
    run.status, run.approved_by, run.approved_at = "approved", actor, datetime.now(UTC)
    session.add(Event(kind="payment_run.approved", actor=actor, data={**_event_data(run), "approved_by": actor}))
    return run


def execute_run(session: Session, run_id: str, *, actor: str) -> PaymentRun:
    """The bank executed the file: every payable of the run (and credit note netted off) is paid."""
    run = _locked_run(session, run_id)
    if run.status != "approved":
        raise PaymentRunError(f"only an approved run can be marked executed, this one is {run.status}")
    run.status, run.executed_by, run.executed_at = "executed", actor, datetime.now(UTC)
    _set_status(session, run, "paid")
    session.add(Event(kind="payment_run.executed", actor=actor,
                      data={**_event_data(run), "approved_by": run.approved_by}))
    return run


def cancel_run(session: Session, run_id: str, *, actor: str) -> PaymentRun:
    """Withdraw a run not yet executed; its payables are open again."""
    run = _locked_run(session, run_id)
    if run.status not in {"prepared", "approved"}:
        raise PaymentRunError(f"a {run.status} run cannot be cancelled")
    run.status = "cancelled"
    _set_status(session, run, "open")
    session.add(Event(kind="payment_run.cancelled", actor=actor, data=_event_data(run)))
    return run
