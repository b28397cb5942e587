"""The daily register (registro giornaliero): the day's registrations as JSON and PDF, fingerprinted, day frozen."""

from __future__ import annotations

import io
import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.chain import fingerprint
from protocol.config import RegisterConfig, registers_of
from protocol.models import ProtocolAnnulment, ProtocolDay, ProtocolEntry
from protocol.service import ROME, ProtocolError, begin_locked, format_number, lock_counter, rome_now
from storage.models import Event
from storage.objects import ObjectStore

if TYPE_CHECKING:
    from core.runtime import Runtime
    from storage.db import Database

log = logging.getLogger("quinte.protocol")


def local_iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ROME).isoformat(timespec="seconds")


def _entry_item(entry: ProtocolEntry, annulment: ProtocolAnnulment | None) -> dict[str, Any]:
    return {
        "year": entry.year, "number": format_number(entry.number), "registered_at": local_iso(entry.registered_at),
        "direction": entry.direction, "correspondent": entry.correspondent,
        "correspondent_vat": entry.correspondent_vat, "recipients": entry.recipients or [],
        "subject": entry.subject, "sender_number": entry.sender_number, "sender_date": entry.sender_date,
        "fingerprint": entry.fingerprint, "algorithm": entry.algorithm, "file_name": entry.file_name,
        "classification": entry.classification, "assignment": entry.assignment,
        "annulled": None if annulment is None else {
            "at": local_iso(annulment.annulled_at), "by": annulment.annulled_by, "reason": annulment.reason,
            "authorizing_act": annulment.authorizing_act},
        "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash,
    }


def daily_payload(session: Session, register: RegisterConfig, day: date) -> dict[str, Any]:
    """The day's registrations of one register, in number order, as the JSON file holds them."""
    entries = session.scalars(select(ProtocolEntry).where(ProtocolEntry.register == register.code,
                                                          ProtocolEntry.registration_date == day)
                              .order_by(ProtocolEntry.year, ProtocolEntry.number)).all()
    annulments = {a.entry_id: a for a in session.scalars(
        select(ProtocolAnnulment).where(ProtocolAnnulment.entry_id.in_([e.id for e in entries])))}
    return {
        "register": {"code": register.code, "kind": register.kind, "administration": register.administration,
                     "administration_name": register.administration_name, "aoo": register.aoo},
        "day": day.isoformat(),
        "count": len(entries),
        "first_number": format_number(entries[0].number) if entries else None,
        "last_number": format_number(entries[-1].number) if entries else None,
        "chain_head": entries[-1].entry_hash if entries else None,
        "entries": [_entry_item(entry, annulments.get(entry.id)) for entry in entries],
    }


def render_pdf(payload: dict[str, Any]) -> bytes:
    """A printable daily register; annulled entries are marked ANNULLATO with the authorising act."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    register = payload["register"]
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=10 * mm, invariant=1,
                            title=f"Registro giornaliero {register['code']} {payload['day']}")
    head = (f"Registro giornaliero di protocollo - {register['administration_name'] or register['administration']}"
            f" - AOO {register['aoo']} - registro {register['code']} - {payload['day']}")
    rows: list[list[Any]] = [["N.", "Data e ora", "Dir.", "Corrispondente", "Oggetto", "Rif. mittente",
                              "Impronta (SHA-256)", "Stato"]]
    for item in payload["entries"]:
        annulled = item["annulled"]
        state = f"ANNULLATO: {annulled['reason']} ({annulled['authorizing_act']})" if annulled else ""
        reference = " del ".join(x for x in (item["sender_number"], item["sender_date"]) if x)
        rows.append([item["number"], item["registered_at"].replace("T", " ")[:16], item["direction"][:3],
                     Paragraph(item["correspondent"], small), Paragraph(item["subject"], small),
                     Paragraph(reference, small), Paragraph(item["fingerprint"], small), Paragraph(state, small)])
    table = Table(rows, repeatRows=1, colWidths=[18 * mm, 26 * mm, 10 * mm, 45 * mm, 70 * mm, 30 * mm,
                                                  35 * mm, 40 * mm])
    table.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 7), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("GRID", (0, 0), (-1, -1), 0.3, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#dddddd")]))
    footer = f"{payload['count']} registrazioni; ultima impronta della catena: {payload['chain_head'] or '-'}"
    doc.build([Paragraph(head, styles["Heading4"]), Spacer(1, 4 * mm), table, Spacer(1, 4 * mm),
               Paragraph(footer, small)])
    return buffer.getvalue()


def daily_keys(register: str, day: date) -> tuple[str, str]:
    base = f"protocol/{register}/daily/{day.year}/{register}-{day.isoformat()}"
    return f"{base}.json", f"{base}.pdf"


def produce_daily(db: Database, store: ObjectStore, register: RegisterConfig, day: date, *, actor: str = "system",
                  now: datetime | None = None) -> ProtocolDay:
    """Produce, store and freeze one day's register; a day already produced is returned as it was."""
    if day > rome_now(now).date():
        raise ProtocolError(f"{day} has not happened yet")
    with db.session() as session:
        begin_locked(session)
        existing = session.scalar(select(ProtocolDay).where(ProtocolDay.register == register.code,
                                                            ProtocolDay.day == day))
        if existing is not None:
            return existing
        # Holding the counter lock means no registration of that day can commit while the list is made.
        lock_counter(session, register.code, day.year)
        payload = daily_payload(session, register, day)
        data = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        pdf = render_pdf(payload)
        json_key, pdf_key = daily_keys(register.code, day)
        store.put(json_key, data, "application/json")
        store.put(pdf_key, pdf, "application/pdf")
        produced = ProtocolDay(register=register.code, day=day, produced_at=datetime.now(UTC), produced_by=actor,
                               entry_count=payload["count"], json_key=json_key, pdf_key=pdf_key,
                               json_fingerprint=fingerprint(data), pdf_fingerprint=fingerprint(pdf))
        session.add(produced)
        session.add(Event(kind="protocol.daily", actor=actor, data={
            "register": register.code, "day": day.isoformat(), "count": payload["count"],
            "json_fingerprint": produced.json_fingerprint, "algorithm": "SHA-256"}))
        session.flush()
        return produced


def due_days(session: Session, register: str, today: date) -> list[date]:
    """Past days not produced yet: yesterday, plus any earlier day with registrations (missed while down)."""
    produced = set(session.scalars(select(ProtocolDay.day).where(ProtocolDay.register == register)))
    with_entries = set(session.scalars(select(ProtocolEntry.registration_date).distinct().where(
        ProtocolEntry.register == register, ProtocolEntry.registration_date < today)))
    return sorted((with_entries | {today - timedelta(days=1)}) - produced)


def produce_due_days(runtime: Runtime, *, now: datetime | None = None) -> list[ProtocolDay]:
    """The scheduled job after midnight: every register's daily register for each past day not produced yet."""
    today = rome_now(now).date()
    made = []
    for register in registers_of(runtime.config).values():
        with runtime.db.session() as session:
            days = due_days(session, register.code, today)
        made.extend(produce_daily(runtime.db, runtime.store, register, day, now=now) for day in days)
    return made


def run_daily_scheduler(runtime: Runtime, stop: threading.Event, *, interval: float = 600.0) -> None:
    """Run ``produce_due_days`` now and then every ``interval`` seconds until ``stop`` is set.

    Checking often (instead of once at midnight) means a day missed while the service was down is made
    as soon as it is back.
    """
    while not stop.is_set():
        try:
            produce_due_days(runtime)
        except Exception:
            log.exception("daily protocol register failed; will retry")
        stop.wait(interval)
