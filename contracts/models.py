"""Tables of the contracts register: contracts with computed deadlines, deadline notices, orders and DDTs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id, utcnow


class ContractEntry(Base):
    """One validated contract: parties, value, dates and the deadlines computed from them."""

    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(String(32), unique=True)
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    subject: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[list[Any]] = mapped_column(JSON, default=list)
    party_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    amount: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    effective_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, index=True)
    term: Mapped[str | None] = mapped_column(String(16))
    auto_renewal: Mapped[bool | None] = mapped_column(Boolean)
    notice_period: Mapped[str | None] = mapped_column(String(16))
    jurisdiction: Mapped[str | None] = mapped_column(String(128))
    # Last day a notice of non-renewal or termination can still be sent (end date minus notice period).
    notice_date: Mapped[date | None] = mapped_column(Date, index=True)
    # For tacit renewals: the day the contract renews by itself if nobody sent notice.
    renewal_date: Mapped[date | None] = mapped_column(Date)
    # active | expiring | renewed | terminated
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeadlineNotice(Base):
    """One deadline already announced: the unique key makes the deadline scan idempotent."""

    __tablename__ = "contract_deadline_notices"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    # end | notice | renewal
    kind: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)
    event_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PurchaseDocument(Base):
    """A purchase order or a delivery note (DDT), extracted from a scan or created through the API."""

    __tablename__ = "purchase_documents"
    __table_args__ = (UniqueConstraint("kind", "supplier_vat", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # order | delivery_note
    kind: Mapped[str] = mapped_column(String(16), index=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    doc_date: Mapped[date | None] = mapped_column(Date)
    supplier_name: Mapped[str | None] = mapped_column(String(256))
    supplier_vat: Mapped[str | None] = mapped_column(String(32), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(256))
    total_amount: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    cig: Mapped[str | None] = mapped_column(String(10))
    cup: Mapped[str | None] = mapped_column(String(15))
    # A DDT names the order it delivers.
    order_reference: Mapped[str | None] = mapped_column(String(64), index=True)
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    record_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_by: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
