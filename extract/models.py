"""Supplier memory tables: where, and under which label, a reviewer found each field on a supplier's documents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class SupplierHint(Base):
    """One field of one supplier (by VAT id): the label printed before it and its box relative to the page."""

    __tablename__ = "supplier_hints"
    __table_args__ = (UniqueConstraint("supplier_vat", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supplier_vat: Mapped[str] = mapped_column(String(32), index=True)
    field: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(128))
    # The label heads the value's column (a header above it) rather than preceding it on its row.
    label_above: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    page: Mapped[int] = mapped_column(Integer, default=1)
    # [x0, y0, x1, y1] as shares of the page's width and height, so scans at another resolution still match.
    box: Mapped[list[float]] = mapped_column(JSON)
    example: Mapped[str | None] = mapped_column(String(256))
    corrections: Mapped[int] = mapped_column(Integer, default=1)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
