"""Record leases: claim on opening, renew while open, refuse writes by others, expire, release, break."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, status
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_ui.auth import Principal
from review_ui.models import RecordLock

LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class LockState:
    """Who holds a record, until when, and whether that is the caller."""

    holder: str | None
    expires_at: datetime | None
    mine: bool

    @property
    def free(self) -> bool:
        return self.holder is None

    @property
    def held_by_other(self) -> bool:
        return self.holder is not None and not self.mine


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes that were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def state(session: Session, record_id: str, principal: Principal) -> LockState:
    lock = session.get(RecordLock, record_id, populate_existing=True)
    if lock is None or _aware(lock.expires_at) <= _now():
        return LockState(None, None, False)
    return LockState(lock.username, _aware(lock.expires_at), lock.user_id == principal.user_id)


def claim(session: Session, record_id: str, principal: Principal) -> LockState:
    """Take or renew the lease unless someone else holds an unexpired one; atomic on SQLite and PostgreSQL."""
    now = _now()
    expires = now + LEASE
    # Renewing one's own lease or taking over an expired one is a single conditional UPDATE.
    taken = session.execute(
        update(RecordLock)
        .where(RecordLock.record_id == record_id,
               (RecordLock.user_id == principal.user_id) | (RecordLock.expires_at <= now))
        .values(user_id=principal.user_id, username=principal.username, acquired_at=now, expires_at=expires)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        try:
            with session.begin_nested():
                session.execute(insert(RecordLock).values(record_id=record_id, user_id=principal.user_id,
                                                          username=principal.username, acquired_at=now,
                                                          expires_at=expires))
        except IntegrityError:
            pass  # someone else's live lease: report it below
    return state(session, record_id, principal)


def release(session: Session, record_id: str, principal: Principal | None = None) -> None:
    """Drop the lease: the caller's own, or any holder's when ``principal`` is None (a decision, a break)."""
    query = delete(RecordLock).where(RecordLock.record_id == record_id)
    if principal is not None:
        query = query.where(RecordLock.user_id == principal.user_id)
    session.execute(query.execution_options(synchronize_session=False))


def ensure_writable(session: Session, record_id: str, principal: Principal) -> None:
    """Refuse a write while another person holds a live lease (no lease at all is fine for API clients)."""
    current = state(session, record_id, principal)
    if current.held_by_other:
        until = current.expires_at.strftime("%H:%M:%S UTC") if current.expires_at else "?"
        raise HTTPException(status.HTTP_423_LOCKED,
                            f"{current.holder} is editing this record (lease until {until}); try again later")


def live_holders(session: Session, record_ids: list[str]) -> dict[str, str]:
    """Who holds a live lease on each of these records."""
    if not record_ids:
        return {}
    rows = session.execute(select(RecordLock.record_id, RecordLock.username)
                           .where(RecordLock.record_id.in_(record_ids), RecordLock.expires_at > _now()))
    return dict(rows.tuples().all())
