"""Gap-free counters (protocol numbers, invoice numbers): one row per key, locked for the rest of the transaction."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

Counter = TypeVar("Counter")


def take_write_lock(session: Session) -> None:
    """Make SQLite take the write lock up front; must be the session's first statement (PostgreSQL locks rows)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})


def locked_counter(session: Session, model: type[Counter], **key: Any) -> Counter:
    """The counter row for ``key`` (created at 0 when new), locked until commit so no two callers share a number.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the row. SQLite: the whole database is already write-locked
    (``take_write_lock`` / BEGIN IMMEDIATE), so the same statement is enough.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**key, last_number=0).on_conflict_do_nothing())  # type: ignore[arg-type]
    return session.scalars(select(model).filter_by(**key).with_for_update()).one()
