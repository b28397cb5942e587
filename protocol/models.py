"""Protocol register tables: per-year counters, append-only entries, annulments, change history, closed days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

# Columns of an entry that never change once written; the database triggers of migration 0002 enforce it.
FIXED_ENTRY_COLUMNS = (
    "id", "register", "year", "number", "registered_at", "registration_date", "kind", "administration", "aoo",
    "direction", "correspondent", "correspondent_vat", "recipients", "subject", "sender_number", "sender_date",
    "fingerprint", "algorithm", "file_name", "media_type", "document_id", "record_id", "created_by",
    "prev_hash", "entry_hash",
)
# The only fields that may change (LG §3.1.4); every change is kept in protocol_changes.
MUTABLE_ENTRY_COLUMNS = ("classification", "assignment")


class ProtocolCounter(Base):
    """The last number given in one register and year; locked row by row so numbering has no gap or duplicate."""

    __tablename__ = "protocol_counters"

    register: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class ProtocolEntry(Base):
    """One registration (art. 53 DPR 445/2000). Never updated except classification and assignment; never deleted."""

    __tablename__ = "protocol_entries"
    __table_args__ = (
        UniqueConstraint("register", "year", "number", name="uq_protocol_entries_number"),
        # A record is registered at most once per register (NULL record ids, for manual entries, never collide).
        UniqueConstraint("register", "record_id", name="uq_protocol_entries_record"),
        Index("ix_protocol_entries_day", "register", "registration_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The calendar day in Europe/Rome: the day of the daily register this entry belongs to.
    registration_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    administration: Mapped[str] = mapped_column(String(64))
    aoo: Mapped[str] = mapped_column(String(64))
    # incoming | outgoing | internal
    direction: Mapped[str] = mapped_column(String(16))
    correspondent: Mapped[str] = mapped_column(String(512))
    correspondent_vat: Mapped[str | None] = mapped_column(String(32))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    sender_number: Mapped[str | None] = mapped_column(String(128))
    sender_date: Mapped[str | None] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(128))
    algorithm: Mapped[str] = mapped_column(String(16), default="SHA-256")
    file_name: Mapped[str | None] = mapped_column(String(512))
    media_type: Mapped[str | None] = mapped_column(String(128))
    # No foreign keys on purpose: the register is a legal record that outlives the capture tables.
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    record_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    classification: Mapped[str | None] = mapped_column(String(256))
    assignment: Mapped[str | None] = mapped_column(String(256))


class ProtocolAnnulment(Base):
    """The annulment of an entry (art. 54): the entry stays, this row marks it, with who, when and on what authority."""

    __tablename__ = "protocol_annulments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(Integer, unique=True)
    annulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    annulled_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    # Estremi del provvedimento di autorizzazione.
    authorizing_act: Mapped[str] = mapped_column(String(512))
    row_hash: Mapped[str] = mapped_column(String(64))


class ProtocolChange(Base):
    """A change of classification or assignment, kept forever; chained per entry."""

    __tablename__ = "protocol_changes"
    __table_args__ = (Index("ix_protocol_changes_entry", "entry_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(256))
    new_value: Mapped[str | None] = mapped_column(String(256))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class ProtocolDay(Base):
    """A produced daily register (registro giornaliero): the day is closed to new registrations."""

    __tablename__ = "protocol_days"
    __table_args__ = (UniqueConstraint("register", "day", name="uq_protocol_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    produced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    produced_by: Mapped[str] = mapped_column(String(128))
    entry_count: Mapped[int] = mapped_column(Integer)
    json_key: Mapped[str] = mapped_column(String(256))
    pdf_key: Mapped[str] = mapped_column(String(256))
    # SHA-256, base64, of the JSON and PDF files as stored.
    json_fingerprint: Mapped[str] = mapped_column(String(64))
    pdf_fingerprint: Mapped[str] = mapped_column(String(64))
