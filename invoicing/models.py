"""Invoicing tables: suppliers, payables with instalments, duplicate keys, payment runs, outgoing invoices, counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, new_id, utcnow

PAYABLE_STATUSES = ("open", "scheduled", "paid", "on_hold")
INSTALMENT_STATUSES = ("open", "scheduled", "paid")
RUN_STATUSES = ("prepared", "approved", "executed", "cancelled")


class Supplier(Base):
    """Supplier master data, keyed by VAT id; updated from every booked invoice."""

    __tablename__ = "inv_suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vat_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    tax_code: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(512))
    iban: Mapped[str | None] = mapped_column(String(34))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InvoiceKey(Base):
    """The business key and content hash of every incoming invoice record, for duplicate detection."""

    __tablename__ = "inv_invoice_keys"
    __table_args__ = (Index("ix_inv_invoice_keys_business", "supplier_vat", "year"),)

    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(32), index=True)
    # invoice | credit_note: an invoice and a credit note may share a number without being duplicates.
    kind: Mapped[str] = mapped_column(String(16))
    supplier_vat: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(64))
    number_norm: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    total_cents: Mapped[int | None] = mapped_column(BigInteger)
    # sha256 of the invoice content: the original file, or the XML inside a signed .p7m.
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Payable(Base):
    """A supplier invoice or credit note booked for payment; amounts in cents, exact."""

    __tablename__ = "inv_payables"
    __table_args__ = (Index("ix_inv_payables_status_due", "status", "due_date"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(String(32), unique=True)
    document_id: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("inv_suppliers.id"), index=True)
    # invoice | credit_note
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(64))
    number_norm: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    net_cents: Mapped[int | None] = mapped_column(BigInteger)
    vat_cents: Mapped[int | None] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    # [{"rate": "22", "natura": null, "taxable": "100.00", "tax": "22.00"}, ...]
    vat_breakdown: Mapped[list[Any]] = mapped_column(JSON, default=list)
    iban: Mapped[str | None] = mapped_column(String(34))
    payment_terms: Mapped[str | None] = mapped_column(String(256))
    # open | scheduled | paid | on_hold
    status: Mapped[str] = mapped_column(String(16), default="open")
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # A credit note: the invoice number the page names, and the payable of that invoice once known.
    corrects_number: Mapped[str | None] = mapped_column(String(64))
    corrects_payable_id: Mapped[str | None] = mapped_column(ForeignKey("inv_payables.id"))
    source: Mapped[str] = mapped_column(String(16), default="paper")
    created_by: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="payable", order_by="Instalment.seq", cascade="all, delete-orphan"
    )


class Instalment(Base):
    """One due date and amount from the payment terms (a single one for most invoices)."""

    __tablename__ = "inv_instalments"
    __table_args__ = (UniqueConstraint("payable_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payable_id: Mapped[str] = mapped_column(ForeignKey("inv_payables.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # open | scheduled | paid: each instalment is paid by its own transfer; the payable follows when all have.
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")

    payable: Mapped[Payable] = relationship(back_populates="instalments")


class PaymentRun(Base):
    """A SEPA credit-transfer batch: prepared, approved by someone else, executed by the bank."""

    __tablename__ = "inv_payment_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # prepared | approved | executed | cancelled
    status: Mapped[str] = mapped_column(String(16), default="prepared")
    execution_date: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(35))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    transactions: Mapped[int] = mapped_column(Integer)
    xml: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    executed_by: Mapped[str | None] = mapped_column(String(128))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items: Mapped[list[PaymentRunItem]] = relationship(
        back_populates="run", order_by="PaymentRunItem.id", cascade="all, delete-orphan"
    )


class PaymentRunItem(Base):
    """One credit transfer of a run: the instalment of a payable it pays (net of linked credit notes)."""

    __tablename__ = "inv_payment_run_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("inv_payment_runs.id", ondelete="CASCADE"), index=True)
    payable_id: Mapped[str] = mapped_column(ForeignKey("inv_payables.id"), index=True)
    # None: the whole payable (runs prepared before instalments were paid one by one, payables without any).
    instalment_id: Mapped[int | None] = mapped_column(ForeignKey("inv_instalments.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    remittance: Mapped[str] = mapped_column(String(140))
    # Credit notes netted off in this transfer; they share the invoice's fate.
    credit_note_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)

    run: Mapped[PaymentRun] = relationship(back_populates="items")
    instalment: Mapped[Instalment | None] = relationship()


class InvoiceCounter(Base):
    """The last number given in one series and year; locked so numbers have no gap and no duplicate."""

    __tablename__ = "inv_counters"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class OutgoingInvoice(Base):
    """An invoice we issued: its number, FatturaPA XML and courtesy PDF (in the object store), totals."""

    __tablename__ = "inv_outgoing"
    __table_args__ = (
        UniqueConstraint("series", "year", "seq", name="uq_inv_outgoing_number"),
        # A customer order or a contract is invoiced once per instalment, even by two requests at once.
        UniqueConstraint("source_kind", "source_id", "source_instalment", name="uq_inv_outgoing_source"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    issue_date: Mapped[date] = mapped_column(Date)
    doc_type: Mapped[str] = mapped_column(String(4))
    customer_name: Mapped[str] = mapped_column(String(256))
    customer_vat: Mapped[str | None] = mapped_column(String(32))
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(64), unique=True)
    xml_key: Mapped[str] = mapped_column(String(256))
    pdf_key: Mapped[str] = mapped_column(String(256))
    # The request as validated (ActiveInvoice JSON), for display and re-rendering.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    protocol_entry_id: Mapped[int | None] = mapped_column(Integer)
    # What the invoice bills when it was issued from one: order | contract, its id, instalment n of N.
    source_kind: Mapped[str | None] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(32))
    source_instalment: Mapped[int | None] = mapped_column(Integer)
    source_instalments: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
