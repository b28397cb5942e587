"""Registration, annulment and classification changes: each one transaction, numbered under a row lock."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.config import PipelinesConfig
from protocol.chain import annulment_hash, change_hash, entry_hash, genesis_hash
from protocol.config import RegisterConfig, register_for, registers_of
from protocol.models import (
    MUTABLE_ENTRY_COLUMNS,
    ProtocolAnnulment,
    ProtocolChange,
    ProtocolCounter,
    ProtocolDay,
    ProtocolEntry,
)
from storage.counters import locked_counter, take_write_lock
from storage.models import Document, Event, Record

if TYPE_CHECKING:
    from core.runtime import Runtime
    from storage.db import Database

ROME = ZoneInfo("Europe/Rome")
DIRECTIONS = ("incoming", "outgoing", "internal")
DOC_LABELS = {"invoice": "Fattura", "credit_note": "Nota di credito", "receipt": "Ricevuta", "contract": "Contratto",
              "order": "Ordine", "delivery_note": "Documento di trasporto", "timesheet": "Foglio presenze",
              "other": "Documento"}


class ProtocolError(Exception):
    """A registration, annulment or change the register refuses; the message says why."""


class DayClosed(ProtocolError):
    """The daily register of that day was produced; nothing more can be registered on it."""


@dataclass(slots=True)
class RegistrationData:
    """What a registration writes besides what the system assigns (number, date and time, chain)."""

    correspondent: str
    subject: str
    fingerprint: str
    direction: str = "incoming"
    algorithm: str = "SHA-256"
    correspondent_vat: str | None = None
    recipients: list[str] = field(default_factory=list)
    sender_number: str | None = None
    sender_date: str | None = None
    file_name: str | None = None
    media_type: str | None = None
    document_id: str | None = None
    record_id: str | None = None
    classification: str | None = None
    assignment: str | None = None


def format_number(number: int) -> str:
    """The protocol number as the segnatura spells it: at least seven digits (art. 57)."""
    return f"{number:07d}"


def rome_now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(ROME)


begin_locked = take_write_lock


def lock_counter(session: Session, register: str, year: int) -> int:
    """Lock the register's counter row for the year (creating it if new) and return its last number."""
    return locked_counter(session, ProtocolCounter, register=register, year=year).last_number


def day_is_closed(session: Session, register: str, day: date) -> bool:
    return session.scalar(select(ProtocolDay.id).where(ProtocolDay.register == register,
                                                       ProtocolDay.day == day)) is not None


def register_entry(db: Database, register: RegisterConfig, data: RegistrationData, *, actor: str,
                   now: datetime | None = None) -> ProtocolEntry:
    """Register in a transaction of its own (the usual way)."""
    with db.session() as session:
        begin_locked(session)
        return register_in_session(session, register, data, actor=actor, now=now)


def register_in_session(session: Session, register: RegisterConfig, data: RegistrationData, *, actor: str,
                        now: datetime | None = None) -> ProtocolEntry:
    """Number and write one entry inside the caller's transaction; the caller must hold the write lock on SQLite."""
    if data.direction not in DIRECTIONS:
        raise ProtocolError(f"direction must be one of {', '.join(DIRECTIONS)}")
    if data.record_id is not None:
        existing = session.scalar(select(ProtocolEntry).where(ProtocolEntry.register == register.code,
                                                              ProtocolEntry.record_id == data.record_id))
        if existing is not None:
            return existing  # registered at most once per register: a repeat is a no-op
    moment = rome_now(now)
    last = lock_counter(session, register.code, moment.year)
    if day_is_closed(session, register.code, moment.date()):
        raise DayClosed(f"the daily register of {register.code} for {moment.date()} is closed")
    number = last + 1
    session.execute(update(ProtocolCounter).where(ProtocolCounter.register == register.code,
                                                  ProtocolCounter.year == moment.year).values(last_number=number))
    previous = genesis_hash(register.code, moment.year) if last == 0 else session.scalar(
        select(ProtocolEntry.entry_hash).where(ProtocolEntry.register == register.code,
                                               ProtocolEntry.year == moment.year, ProtocolEntry.number == last))
    if previous is None:
        raise ProtocolError(f"register {register.code} {moment.year}: entry {last} is missing; run verify")
    entry = ProtocolEntry(
        register=register.code, year=moment.year, number=number, registered_at=moment.astimezone(UTC),
        registration_date=moment.date(), kind=register.kind, administration=register.administration,
        aoo=register.aoo, direction=data.direction, correspondent=data.correspondent[:512],
        correspondent_vat=data.correspondent_vat, recipients=list(data.recipients), subject=data.subject,
        sender_number=data.sender_number, sender_date=data.sender_date, fingerprint=data.fingerprint,
        algorithm=data.algorithm, file_name=data.file_name, media_type=data.media_type,
        document_id=data.document_id, record_id=data.record_id, created_by=actor, prev_hash=previous,
    )
    entry.entry_hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    initial = {"classification": data.classification, "assignment": data.assignment}
    _apply_changes(session, entry, {k: v for k, v in initial.items() if v is not None}, actor)
    session.add(Event(kind="protocol.registered", actor=actor, document_id=entry.document_id,
                      record_id=entry.record_id, data=summary(entry)))
    return entry


def summary(entry: ProtocolEntry) -> dict[str, Any]:
    """The `protocol` object of the record JSON (interfaces.md §3)."""
    registered = entry.registered_at if entry.registered_at.tzinfo else entry.registered_at.replace(tzinfo=UTC)
    return {"register": entry.register, "year": entry.year, "number": format_number(entry.number),
            "registered_at": registered.astimezone(ROME).isoformat(timespec="seconds"), "entry_id": entry.id}


def _field_values(record: Record) -> dict[str, Any]:
    return {row.name: row.value for row in record.fields if row.value is not None}


def registration_from_record(record: Record, document: Document, register: RegisterConfig) -> RegistrationData:
    """The registration a validated record makes: its sender, its own number and date, and the file's fingerprint."""
    values = _field_values(record)
    parties = values.get("parties")
    correspondent = values.get("supplier_name") or (", ".join(parties) if isinstance(parties, list) else None)
    sender_number = values.get("invoice_number") or values.get("order_number") or values.get("ddt_number")
    sender_date = values.get("issue_date") or values.get("order_date") or values.get("ddt_date")
    subject = DOC_LABELS.get(record.doc_type or "other", "Documento")
    if sender_number:
        subject += f" n. {sender_number}"
    if sender_date:
        subject += f" del {sender_date}"
    if values.get("total_amount"):
        subject += f", totale {values['total_amount']} {values.get('currency', 'EUR')}"
    if not sender_number and not sender_date:
        subject += f" {document.original_name}"
    return RegistrationData(
        correspondent=str(correspondent or "mittente non indicato"), subject=subject,
        fingerprint=base64.b64encode(bytes.fromhex(document.sha256)).decode("ascii"),
        direction=register.direction, correspondent_vat=values.get("supplier_vat"),
        recipients=[values["customer_name"]] if values.get("customer_name") else [],
        sender_number=str(sender_number) if sender_number else None,
        sender_date=str(sender_date) if sender_date else None, file_name=document.original_name,
        media_type=document.media_type, document_id=document.id, record_id=record.id,
    )


def register_record(target: Runtime | Session, record_id: str, actor: str, *,
                    config: PipelinesConfig | None = None, register_code: str | None = None,
                    automatic_only: bool = True, now: datetime | None = None) -> ProtocolEntry | None:
    """Register a validated record into its register; None when it is not validated or no register applies.

    With a Runtime it runs in its own transaction; with a Session (the approve request's) it joins that one,
    so approval and registration commit or fail together. ``config`` is needed with a Session.
    """
    if isinstance(target, Session):
        if config is None:
            raise TypeError("register_record with a session needs config=")
        return _register_record(target, config, record_id, actor, register_code, automatic_only, now)
    with target.db.session() as session:
        begin_locked(session)
        return _register_record(session, target.config, record_id, actor, register_code, automatic_only, now)


def _register_record(session: Session, config: PipelinesConfig, record_id: str, actor: str,
                     register_code: str | None, automatic_only: bool, now: datetime | None) -> ProtocolEntry | None:
    record = session.get(Record, record_id)
    if record is None or record.status != "validated":
        return None
    if register_code is not None:
        register = registers_of(config).get(register_code)
        if register is None:
            raise ProtocolError(f"unknown register {register_code!r}")
    else:
        register = register_for(config, record.pipeline, record.doc_type, automatic_only=automatic_only)
    if register is None or (automatic_only and not register.automatic):
        return None
    data = registration_from_record(record, record.document, register)
    return register_in_session(session, register, data, actor=actor, now=now)


def annul_entry(session: Session, entry_id: int, *, actor: str, reason: str, authorizing_act: str) -> ProtocolAnnulment:
    """Annul an entry (art. 54): it stays, marked; its number is never given again."""
    if not reason.strip() or not authorizing_act.strip():
        raise ProtocolError("an annulment needs a reason and the authorising act")
    entry = session.get(ProtocolEntry, entry_id)
    if entry is None:
        raise LookupError(f"no protocol entry {entry_id}")
    if session.scalar(select(ProtocolAnnulment.id).where(ProtocolAnnulment.entry_id == entry_id)) is not None:
        raise ProtocolError(f"entry {format_number(entry.number)}/{entry.year} is already annulled")
    annulment = ProtocolAnnulment(entry_id=entry_id, annulled_at=datetime.now(UTC), annulled_by=actor,
                                  reason=reason.strip(), authorizing_act=authorizing_act.strip())
    annulment.row_hash = annulment_hash(annulment, entry.entry_hash)
    session.add(annulment)
    session.add(Event(kind="protocol.annulled", actor=actor, document_id=entry.document_id,
                      record_id=entry.record_id, data={**summary(entry), "reason": annulment.reason,
                                                       "authorizing_act": annulment.authorizing_act}))
    session.flush()
    return annulment


def change_entry(session: Session, entry_id: int, changes: dict[str, str | None], *, actor: str) -> ProtocolEntry:
    """Change classification and/or assignment; every change is kept, chained, with who and when."""
    unknown = set(changes) - set(MUTABLE_ENTRY_COLUMNS)
    if unknown:
        raise ProtocolError(f"only {' and '.join(MUTABLE_ENTRY_COLUMNS)} may change, not {', '.join(sorted(unknown))}")
    entry = session.scalar(select(ProtocolEntry).where(ProtocolEntry.id == entry_id).with_for_update())
    if entry is None:
        raise LookupError(f"no protocol entry {entry_id}")
    _apply_changes(session, entry, changes, actor)
    return entry


def _apply_changes(session: Session, entry: ProtocolEntry, changes: dict[str, str | None], actor: str) -> None:
    previous = session.scalar(select(ProtocolChange.row_hash).where(ProtocolChange.entry_id == entry.id)
                              .order_by(ProtocolChange.id.desc()).limit(1)) or entry.entry_hash
    for name, value in changes.items():
        old = getattr(entry, name)
        if old == value:
            continue
        change = ProtocolChange(entry_id=entry.id, changed_at=datetime.now(UTC), changed_by=actor, field=name,
                                old_value=old, new_value=value, prev_hash=previous)
        change.row_hash = change_hash(change, entry.entry_hash)
        previous = change.row_hash
        setattr(entry, name, value)
        session.add(change)
        session.add(Event(kind="protocol.changed", actor=actor, document_id=entry.document_id,
                          record_id=entry.record_id, data={**summary(entry), "field": name, "old": old, "new": value}))
    session.flush()
