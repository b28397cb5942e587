"""Tables of the review UI: the leases reviewers hold on the records they are editing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, FieldRow, Record, utcnow


class RecordLock(Base):
    """A reviewer's lease on a record: others may look but not write until it expires or is released."""

    __tablename__ = "record_locks"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


# The review queue lists one status oldest first and filters on one field name;
# declared here so the metadata matches migration 0003_review.
Index("ix_records_status_created", Record.status, Record.created_at)
Index("ix_fields_name_record", FieldRow.name, FieldRow.record_id)
