"""The deadline scan: one `contract.deadline` event per deadline, a configurable number of days before it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.config import contracts_config
from contracts.models import ContractEntry, DeadlineNotice
from contracts.register import deadline_list, roll_forward, status_for
from core.runtime import Runtime
from storage.models import Event, utcnow


def upcoming(session: Session, today: dt.date, days: int) -> list[dict[str, object]]:
    """Deadlines from today to ``today + days`` across active contracts, soonest first (the dashboard)."""
    horizon = today + dt.timedelta(days=days)
    out: list[dict[str, object]] = []
    for entry in session.scalars(select(ContractEntry).where(ContractEntry.status != "terminated")):
        for deadline in deadline_list(entry):
            day = dt.date.fromisoformat(deadline["date"])
            if today <= day <= horizon:
                out.append({"contract_id": entry.id, "record_id": entry.record_id, "parties": entry.parties,
                            "subject": entry.subject, "kind": deadline["kind"], "date": deadline["date"],
                            "days_left": (day - today).days, "status": entry.status})
    return sorted(out, key=lambda d: (str(d["date"]), str(d["contract_id"])))


log = logging.getLogger("quinte.contracts")
ROME = ZoneInfo("Europe/Rome")


def scan(session: Session, today: dt.date, days_before: int = 30, *, expiring_days: int = 60) -> list[Event]:
    """Emit an event for every deadline now within ``days_before`` days; never twice for the same deadline.

    Also rolls tacitly renewed contracts on to their next term and refreshes statuses.
    """
    emitted: list[Event] = []
    for entry in session.scalars(select(ContractEntry)).all():
        if roll_forward(entry, today):
            entry.status = "renewed"
        entry.status = status_for(entry, today, expiring_days)
        entry.updated_at = utcnow()
        if entry.status == "terminated":
            continue
        for deadline in deadline_list(entry):
            day = dt.date.fromisoformat(deadline["date"])
            if today <= day <= today + dt.timedelta(days=days_before):
                event = _announce(session, entry, deadline["kind"], day, today)
                if event is not None:
                    emitted.append(event)
    session.flush()
    return emitted


def _announce(session: Session, entry: ContractEntry, kind: str, day: dt.date, today: dt.date) -> Event | None:
    """The notice row's unique key decides: a second scan (or a concurrent one) finds it and stays quiet."""
    exists = session.scalar(select(DeadlineNotice.id).where(
        DeadlineNotice.contract_id == entry.id, DeadlineNotice.kind == kind, DeadlineNotice.due_date == day))
    if exists is not None:
        return None
    event = Event(kind="contract.deadline", record_id=entry.record_id, document_id=entry.document_id,
                  data={"contract_id": entry.id, "deadline": kind, "date": day.isoformat(),
                        "days_left": (day - today).days, "parties": entry.parties, "subject": entry.subject})
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
            session.add(DeadlineNotice(contract_id=entry.id, kind=kind, due_date=day, event_id=event.id))
            session.flush()
    except IntegrityError:
        return None  # a concurrent scan announced it first
    return event


def run_deadline_scanner(runtime: Runtime, stop: threading.Event, *, interval: float = 3600.0) -> None:
    """Scan now and then every ``interval`` seconds until ``stop`` (one scanner per deployment)."""
    settings = contracts_config(runtime.config)
    while not stop.is_set():
        try:
            with runtime.db.session() as session:
                scan(session, dt.datetime.now(ROME).date(), settings.days_before,
                     expiring_days=settings.expiring_days)
        except Exception:
            log.exception("contract deadline scan failed; will retry")
        stop.wait(interval)
