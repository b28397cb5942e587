"""The hash chain over the register and `verify`, which recomputes it and says where the register was altered."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.models import ProtocolAnnulment, ProtocolChange, ProtocolCounter, ProtocolDay, ProtocolEntry
from storage.models import Event
from storage.objects import ObjectNotFound, ObjectStore


def utc_iso(moment: datetime) -> str:
    """One spelling of an instant on every database (SQLite hands back naive UTC, PostgreSQL aware)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def digest(content: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``content``."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(data: bytes) -> str:
    """SHA-256 of a file, base64, as the segnatura's Impronta and the daily register carry it."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def genesis_hash(register: str, year: int) -> str:
    """What the first entry of a register's year points back to."""
    return hashlib.sha256(f"quinte-protocol:{register}:{year}".encode()).hexdigest()


def entry_content(entry: ProtocolEntry) -> dict[str, Any]:
    """Every fixed field of an entry, including the previous entry's hash: what its own hash covers."""
    return {
        "register": entry.register, "year": entry.year, "number": entry.number,
        "registered_at": utc_iso(entry.registered_at), "registration_date": entry.registration_date.isoformat(),
        "kind": entry.kind, "administration": entry.administration, "aoo": entry.aoo,
        "direction": entry.direction, "correspondent": entry.correspondent,
        "correspondent_vat": entry.correspondent_vat, "recipients": list(entry.recipients or []),
        "subject": entry.subject, "sender_number": entry.sender_number, "sender_date": entry.sender_date,
        "fingerprint": entry.fingerprint, "algorithm": entry.algorithm, "file_name": entry.file_name,
        "media_type": entry.media_type, "document_id": entry.document_id, "record_id": entry.record_id,
        "created_by": entry.created_by, "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: ProtocolEntry) -> str:
    return digest(entry_content(entry))


def annulment_hash(annulment: ProtocolAnnulment, of_entry_hash: str) -> str:
    return digest({"entry_hash": of_entry_hash, "annulled_at": utc_iso(annulment.annulled_at),
                   "annulled_by": annulment.annulled_by, "reason": annulment.reason,
                   "authorizing_act": annulment.authorizing_act})


def change_hash(change: ProtocolChange, of_entry_hash: str) -> str:
    return digest({"entry_hash": of_entry_hash, "prev_hash": change.prev_hash, "changed_at": utc_iso(change.changed_at),
                   "changed_by": change.changed_by, "field": change.field, "old": change.old_value,
                   "new": change.new_value})


@dataclass(frozen=True, slots=True)
class Problem:
    """One place where the stored register does not match its own chain."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _label(entry: ProtocolEntry) -> str:
    return f"register {entry.register} {entry.year} n. {entry.number:07d} (id {entry.id})"


def verify_register(session: Session, store: ObjectStore | None = None) -> list[Problem]:
    """Recompute every hash and link; an empty list means the register is intact."""
    entries = session.scalars(select(ProtocolEntry).order_by(ProtocolEntry.register, ProtocolEntry.year,
                                                             ProtocolEntry.number)).all()
    by_id = {entry.id: entry for entry in entries}
    problems = _verify_entries(session, entries)
    problems += _verify_annulments(session, by_id)
    problems += _verify_changes(session, by_id)
    problems += _verify_days(session, entries, store)
    return problems


def _verify_entries(session: Session, entries: list[ProtocolEntry]) -> list[Problem]:
    problems: list[Problem] = []
    groups: dict[tuple[str, int], list[ProtocolEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.register, entry.year), []).append(entry)
    counters = {(c.register, c.year): c.last_number for c in session.scalars(select(ProtocolCounter))}
    for (register, year), group in groups.items():
        previous = genesis_hash(register, year)
        for expected, entry in enumerate(group, start=1):
            if entry.number != expected:
                problems.append(Problem(_label(entry), f"number out of sequence: expected {expected:07d}"
                                        " (an entry is missing or was renumbered)"))
            if entry.prev_hash != previous:
                problems.append(Problem(_label(entry), "does not link to the previous entry's hash"))
            if entry_hash(entry) != entry.entry_hash:
                problems.append(Problem(_label(entry), "content does not match its hash (a fixed field was altered)"))
            previous = entry.entry_hash
        if counters.get((register, year)) != len(group):
            problems.append(Problem(f"register {register} {year}",
                                    f"counter says {counters.get((register, year))} numbers were given,"
                                    f" {len(group)} entries exist"))
    for (register, year), last in counters.items():
        if last and (register, year) not in groups:
            problems.append(Problem(f"register {register} {year}", f"counter says {last} but no entry exists"))
    return problems


def _verify_annulments(session: Session, by_id: dict[int, ProtocolEntry]) -> list[Problem]:
    problems: list[Problem] = []
    annulled = set()
    for annulment in session.scalars(select(ProtocolAnnulment)):
        entry = by_id.get(annulment.entry_id)
        annulled.add(annulment.entry_id)
        if entry is None:
            problems.append(Problem(f"annulment {annulment.id}", f"refers to missing entry id {annulment.entry_id}"))
        elif annulment_hash(annulment, entry.entry_hash) != annulment.row_hash:
            problems.append(Problem(_label(entry), "annulment does not match its hash"))
    # The audit log names every annulment too, so a deleted annulment row shows.
    for event in session.scalars(select(Event).where(Event.kind == "protocol.annulled")):
        entry_id = (event.data or {}).get("entry_id")
        if entry_id not in annulled:
            where = _label(by_id[entry_id]) if entry_id in by_id else f"entry id {entry_id}"
            problems.append(Problem(where, "annulled per the audit log but its annulment record is gone"))
    return problems


def _verify_changes(session: Session, by_id: dict[int, ProtocolEntry]) -> list[Problem]:
    problems: list[Problem] = []
    chains: dict[int, list[ProtocolChange]] = {}
    for change in session.scalars(select(ProtocolChange).order_by(ProtocolChange.entry_id, ProtocolChange.id)):
        chains.setdefault(change.entry_id, []).append(change)
    for entry_id, entry in by_id.items():
        previous, current = entry.entry_hash, {"classification": None, "assignment": None}
        for change in chains.pop(entry_id, []):
            if change.prev_hash != previous or change_hash(change, entry.entry_hash) != change.row_hash:
                problems.append(Problem(_label(entry), f"history of {change.field} (change {change.id}) was altered"))
            current[change.field] = change.new_value
            previous = change.row_hash
        for name, value in current.items():
            if getattr(entry, name) != value:
                problems.append(Problem(_label(entry), f"{name} differs from its history (changed without trace)"))
    problems.extend(Problem(f"entry id {entry_id}", "history refers to a missing entry") for entry_id in chains)
    return problems


def _verify_days(session: Session, entries: list[ProtocolEntry], store: ObjectStore | None) -> list[Problem]:
    problems: list[Problem] = []
    hashes = {(e.register, e.year, e.number): e.entry_hash for e in entries}
    for day in session.scalars(select(ProtocolDay).order_by(ProtocolDay.register, ProtocolDay.day)):
        where = f"daily register {day.register} {day.day.isoformat()}"
        day_entries = [e for e in entries if e.register == day.register and e.registration_date == day.day]
        if len(day_entries) != day.entry_count:
            problems.append(Problem(where, f"lists {day.entry_count} entries, the register now has"
                                           f" {len(day_entries)} for that day"))
        if store is None:
            continue
        try:
            data = store.get(day.json_key)
            pdf = store.get(day.pdf_key)
        except ObjectNotFound as exc:
            problems.append(Problem(where, f"file missing from the object store: {exc}"))
            continue
        if fingerprint(data) != day.json_fingerprint or fingerprint(pdf) != day.pdf_fingerprint:
            problems.append(Problem(where, "stored file does not match its fingerprint"))
            continue
        for item in json.loads(data)["entries"]:
            key = (day.register, item["year"], int(item["number"]))
            if hashes.get(key) != item["entry_hash"]:
                problems.append(Problem(where, f"entry {item['number']} differs from the register"))
    return problems
