"""Payment runs: open instalments due by a date become one SEPA pain.001.001.09 file, approved, then executed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

import sepaxml
import xmlschema
from sepaxml.validation import ValidationError as SepaValidationError
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from core.config import PipelinesConfig
from invoicing.config import BankAccount, invoicing_of
from invoicing.models import Instalment, Payable, PaymentRun, PaymentRunItem
from storage.counters import take_write_lock
from storage.models import Event

SCHEMA = "pain.001.001.09"


class PaymentRunError(Exception):
    """A run that cannot be prepared or moved on; the message says why."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """One credit transfer to make: an instalment of a payable (None: a payable without instalments, whole)."""

    payable: Payable
    instalment: Instalment | None
    amount_cents: int
    credits: list[Payable]


@dataclass(slots=True)
class Selection:
    """The transfers to make, and the payables left out with the reason."""

    items: list[Transfer] = field(default_factory=list)
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


def _due_by(due_by: date) -> ColumnElement[bool]:
    """An open instalment due by the date, or, for a payable booked without instalments, its own due date."""
    open_due = Payable.instalments.any(and_(Instalment.status == "open", Instalment.due_date <= due_by))
    return or_(open_due, and_(~Payable.instalments.any(), Payable.due_date <= due_by))


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
    return list(session.scalars(query.where(Payable.kind == "invoice", Payable.status == "open", _due_by(due_by))
                                .order_by(Payable.due_date, Payable.id)))


def open_dues(payable: Payable, due_by: date | None) -> list[tuple[Instalment | None, int]]:
    """The instalments still to pay (due by the date, when one is given), earliest first, with their amounts."""
    if not payable.instalments:
        due = due_by is None or (payable.due_date is not None and payable.due_date <= due_by)
        return [(None, payable.total_cents)] if due else []
    return [(i, i.amount_cents) for i in payable.instalments
            if i.status == "open" and (due_by is None or i.due_date <= due_by)]


def _refusal(payable: Payable, dues: list[tuple[Instalment | None, int]], credits: list[Payable],
             due_by: date | None) -> str | None:
    if payable.kind != "invoice":
        return "credit notes are not paid; they are netted off the invoice they correct"
    if payable.status != "open":
        return f"the payable is {payable.status}"
    if not (payable.iban or payable.supplier.iban):
        return "no IBAN for the supplier"
    if payable.currency != "EUR":
        return f"SEPA transfers are in EUR, this invoice is in {payable.currency}"
    if not dues:
        return f"no open instalment due by {due_by.isoformat()}" if due_by else "no open instalment"
    if dues[0][1] - sum(abs(c.total_cents) for c in credits) <= 0:
        return "nothing left to pay after credit notes"
    return None


def select_payables(session: Session, *, due_by: date | None, payable_ids: list[str] | None) -> Selection:
    """One transfer per open instalment due by the date, or, by hand, per open instalment of the payables named.

    Open credit notes are netted off the first transfer of the invoice they correct; by hand, every
    problem refuses the run, by date it leaves the payable out with the reason.
    """
    selection = Selection()
    window = None if payable_ids else due_by
    for payable in _candidates(session, due_by, payable_ids):
        credits = _open_credit_notes(session, payable)
        dues = open_dues(payable, window)
        reason = _refusal(payable, dues, credits, window)
        if reason and payable_ids:
            raise PaymentRunError(f"payable {payable.id} ({payable.number}): {reason}")
        if reason:
            selection.skipped.append({"payable_id": payable.id, "number": payable.number, "reason": reason})
            continue
        netted = sum(abs(c.total_cents) for c in credits)
        for index, (instalment, amount) in enumerate(dues):
            first = index == 0
            selection.items.append(Transfer(payable, instalment, amount - netted if first else amount,
                                            credits if first else []))
    return selection


def remittance(payable: Payable, instalment: Instalment | None = None) -> str:
    """Unstructured remittance (≤140): the supplier's invoice number and date, as the supplier reconciles it,
    and which instalment of how many when the invoice is paid in several (``rata 1/3``)."""
    issued = f" del {payable.issue_date.strftime('%d/%m/%Y')}" if payable.issue_date else ""
    part = ""
    if instalment is not None and len(payable.instalments) > 1:
        part = f" rata {instalment.seq}/{len(payable.instalments)}"
    return f"Fattura n. {payable.number}{issued}{part}"[:140]


def end_to_end_id(run: PaymentRun, payable: Payable, instalment: Instalment | None) -> str:
    """≤35 characters, unique per transfer of the run: the instalment number follows the payable id."""
    suffix = f"-{instalment.seq}" if instalment is not None and len(payable.instalments) > 1 else ""
    return f"Q{run.id[:12]}{payable.id[:20]}{suffix}"


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
    """Select the instalments due, write the pain.001 file, and schedule them; the run then waits for approval."""
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
    for transfer in selection.items:
        payable, instalment = transfer.payable, transfer.instalment
        run.items.append(PaymentRunItem(payable_id=payable.id, instalment=instalment,
                                        amount_cents=transfer.amount_cents,
                                        end_to_end_id=end_to_end_id(run, payable, instalment),
                                        remittance=remittance(payable, instalment),
                                        credit_note_ids=[c.id for c in transfer.credits]))
        payables[payable.id] = payable
    xml, message_id = build_pain001(bank, execution_date, run.items, payables)
    run.xml, run.message_id = xml.decode("utf-8"), message_id
    run.total_cents = sum(item.amount_cents for item in run.items)
    run.transactions = len(run.items)
    _set_status(session, run, "scheduled")
    session.add(Event(kind="payment_run.prepared", actor=actor, data=_event_data(run)))
    return run, selection


def rolled_up(payable: Payable) -> str:
    """The payable's status from its instalments: paid or scheduled only when all of them are."""
    states = {i.status for i in payable.instalments}
    if states == {"paid"}:
        return "paid"
    if payable.status == "on_hold":  # held while an instalment was in a run: the rest stays held
        return "on_hold"
    return "open" if "open" in states else "scheduled"


def _set_status(session: Session, run: PaymentRun, status: str) -> None:
    """Move the run's instalments, then their payables as their instalments allow; credit notes netted off move
    with the transfer they were netted from. An item without an instalment moves its whole payable."""
    moved: dict[str, Payable] = {}
    for item in run.items:
        payable = session.get(Payable, item.payable_id)
        assert payable is not None
        for instalment in [item.instalment] if item.instalment is not None else payable.instalments:
            instalment.status = status
        if item.instalment is None and not payable.instalments:
            payable.status = status
        moved[payable.id] = payable
        for note in session.scalars(select(Payable).where(Payable.id.in_(item.credit_note_ids))):
            note.status = status
            for instalment in note.instalments:
                instalment.status = status
            note.updated_at = datetime.now(UTC)
    for payable in moved.values():
        if payable.instalments:
            payable.status = rolled_up(payable)
        payable.updated_at = datetime.now(UTC)


def _event_data(run: PaymentRun) -> dict[str, object]:
    return {"run_id": run.id, "message_id": run.message_id, "execution_date": run.execution_date.isoformat(),
            "transactions": run.transactions, "total": f"{run.total_cents / 100:.2f}",
            "payables": list(dict.fromkeys(item.payable_id for item in run.items))}


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
    """The bank executed the file: every instalment of the run (and credit note netted off) is paid; a payable
    is paid once all its instalments are."""
    run = _locked_run(session, run_id)
    if run.status != "approved":
        raise PaymentRunError(f"only an approved run can be marked executed, this one is {run.status}")
    run.status, run.executed_by, run.executed_at = "executed", actor, datetime.now(UTC)
    _set_status(session, run, "paid")
    session.add(Event(kind="payment_run.executed", actor=actor,
                      data={**_event_data(run), "approved_by": run.approved_by}))
    return run


def cancel_run(session: Session, run_id: str, *, actor: str) -> PaymentRun:
    """Withdraw a run not yet executed; its instalments, and so their payables, are open again."""
    run = _locked_run(session, run_id)
    if run.status not in {"prepared", "approved"}:
        raise PaymentRunError(f"a {run.status} run cannot be cancelled")
    run.status = "cancelled"
    _set_status(session, run, "open")
    session.add(Event(kind="payment_run.cancelled", actor=actor, data=_event_data(run)))
    return run
