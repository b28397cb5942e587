"""The events table as a transactional outbox: turn new events into webhook deliveries, once per subscription.

Every state change writes its ``Event`` in the same transaction, so an event exists exactly when its change was
committed: nothing rolled back is ever seen, nothing committed is ever missed. Each subscription keeps a cursor
(the last event id it has looked at). PostgreSQL allocates ids before commit, so an id gap is either a rolled-back
insert (gone for good) or a transaction still running (its event will appear): the cursor passes a gap only when no
write transaction that began before the event after the gap is still running, or when the gap is older than
``gap_grace_seconds`` (a bound on how long one stuck transaction may hold back every delivery).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.records import iso, record_json
from protocol.models import ProtocolEntry
from protocol.service import summary
from storage.db import Database
from storage.models import Event, Record
from webhooks.config import WebhooksConfig
from webhooks.models import WebhookDelivery, WebhookSubscription

log = logging.getLogger("quinte.webhooks")

EVENT_TYPES = (
    "record.needs_review", "record.validated", "record.rejected", "protocol.registered", "protocol.annulled",
    "payable.created", "payment_run.executed", "contract.deadline",
)
SCAN_LIMIT = 1000


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes that were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def last_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Event.id))) or 0)


def begin_exclusive(session: Session) -> None:
    """SQLite: take the write lock up front so two dispatchers never interleave (PostgreSQL locks rows)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})


def event_body(session: Session, event: Event) -> str:
    """The request body: the event and, for an event about a record, the record as §3 defines it."""
    data: dict[str, Any] = dict(event.data or {})
    if event.document_id:
        data.setdefault("document_id", event.document_id)
    if event.record_id:
        record = session.get(Record, event.record_id)
        if record is not None:
            data["record"] = record_json(record, record.document, _protocol(session, record.id))
    body = {"id": event.id, "type": event.kind, "created_at": iso(event.created_at), "actor": event.actor,
            "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def _protocol(session: Session, record_id: str) -> dict[str, Any] | None:
    entry = session.scalar(select(ProtocolEntry).where(ProtocolEntry.record_id == record_id)
                           .order_by(ProtocolEntry.id.desc()).limit(1))
    return summary(entry) if entry is not None else None


# Event times come from the application's clock, transaction starts from the database's: allow for some skew.
CLOCK_SKEW = timedelta(seconds=5)


def oldest_writer_start(session: Session) -> datetime | None:
    """PostgreSQL: when the oldest other transaction that has written something began (None if there is none)."""
    if session.get_bind().dialect.name != "postgresql":
        return None  # SQLite has one writer at a time: ids become visible in order
    return session.scalar(text(
        "SELECT min(coalesce(xact_start, '-infinity'::timestamptz)) FROM pg_stat_activity"
        " WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()"))


def safe_events(events: list[Event], cursor: int, *, grace: timedelta, now: datetime,
                oldest_writer: datetime | None) -> list[Event]:
    """The prefix of ``events`` (ascending ids after ``cursor``) the cursor may pass without skipping a late commit."""
    taken: list[Event] = []
    expected = cursor + 1
    for event in events:
        if event.id != expected and not _gap_closed(aware(event.created_at), grace, now, oldest_writer):
            break  # an id before this one may belong to a transaction that has not committed yet
        taken.append(event)
        expected = event.id + 1
    return taken


def _gap_closed(after_gap: datetime, grace: timedelta, now: datetime, oldest_writer: datetime | None) -> bool:
    # A missing id was handed out before the event after it; only a transaction already running then can own it.
    nobody_older = oldest_writer is None or aware(oldest_writer) > after_gap + CLOCK_SKEW
    return nobody_older or after_gap < now - grace


def enqueue_subscription(db: Database, subscription_id: int, config: WebhooksConfig) -> tuple[int, int]:
    """Create the deliveries for one subscription's new events; return (events passed, deliveries created)."""
    with db.session() as session:
        begin_exclusive(session)
        subscription = session.scalar(select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                                      .with_for_update(skip_locked=True))
        if subscription is None or not subscription.active:
            return 0, 0  # gone, paused, or another dispatcher is on it right now
        events = list(session.scalars(select(Event).where(Event.id > subscription.cursor)
                                      .order_by(Event.id).limit(SCAN_LIMIT)))
        taken = safe_events(events, subscription.cursor, grace=timedelta(seconds=config.gap_grace_seconds),
                            now=datetime.now(UTC), oldest_writer=oldest_writer_start(session) if events else None)
        wanted = set(subscription.event_types or [])
        created = 0
        for event in taken:
            if event.kind in wanted:
                created += _insert_delivery(session, subscription.id, event)
        if taken:
            subscription.cursor = taken[-1].id
        return len(taken), created


def _insert_delivery(session: Session, subscription_id: int, event: Event) -> int:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = datetime.now(UTC)
    values = {"subscription_id": subscription_id, "event_id": event.id, "event_type": event.kind,
              "record_id": event.record_id, "body": event_body(session, event), "status": "pending", "attempts": 0,
              "next_attempt_at": now, "created_at": now, "window_started_at": now}
    # The unique (subscription, event) pair makes a second pass over the same events harmless.
    result = session.execute(insert(WebhookDelivery).values(**values)
                             .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"]))
    return int(result.rowcount or 0)


def enqueue_all(db: Database, config: WebhooksConfig) -> int:
    with db.session() as session:
        ids = list(session.scalars(select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))))
    created = 0
    for subscription_id in ids:
        while True:
            passed, made = enqueue_subscription(db, subscription_id, config)
            created += made
            if passed < SCAN_LIMIT:
                break
    return created
