"""Invoice ↔ order (↔ delivery notes) matching: 2-way and 3-way line matching within tolerances."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.config import Tolerances
from contracts.models import PurchaseDocument
from extract.layout import similarity
from extract.normalize import fold
from storage.models import FieldRow, Record


@dataclass(slots=True)
class LineDiff:
    """One invoice line that does not agree with its order (or received) line, and why."""

    invoice_line: int | None
    order_line: int | None
    description: str
    problems: list[str]
    invoice: dict[str, Any] | None = None
    order: dict[str, Any] | None = None


@dataclass(slots=True)
class MatchResult:
    """``matched`` lets the payable proceed; otherwise ``differences`` or ``reason`` say why not."""

    status: str  # matched | mismatch | no_order | not_an_invoice
    mode: str | None = None  # 2-way | 3-way
    order_id: str | None = None
    order_number: str | None = None
    delivery_note_ids: list[str] = field(default_factory=list)
    matched_by: str | None = None  # reference | supplier_amount
    differences: list[LineDiff] = field(default_factory=list)
    reason: str = ""

    @property
    def matched(self) -> bool:
        return self.status == "matched"

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"matched": self.matched}


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _within(got: Decimal, want: Decimal, pct: Decimal, absolute: Decimal = Decimal("0")) -> bool:
    return abs(got - want) <= max(abs(want) * pct / 100, absolute)


def _pair(invoice_lines: list[dict[str, Any]], order_lines: list[dict[str, Any]]) -> list[tuple[int, int | None]]:
    """Each invoice line with its order line: the most similar description, else the same position."""
    free = set(range(len(order_lines)))
    pairs: list[tuple[int, int | None]] = []
    for i, line in enumerate(invoice_lines):
        text = fold(str(line.get("description", "")))
        scored = sorted(((similarity(text, fold(str(order_lines[j].get("description", "")))), j) for j in free),
                        reverse=True)
        if scored and scored[0][0] >= 0.6:
            choice: int | None = scored[0][1]
        else:
            choice = i if i in free else None
        if choice is not None:
            free.discard(choice)
        pairs.append((i, choice))
    return pairs


def _received(description: str, delivery_lines: list[dict[str, Any]]) -> Decimal:
    """Quantity delivered for a description over every DDT's lines."""
    text = fold(description)
    return sum((_dec(d.get("quantity")) or Decimal(0) for d in delivery_lines
                if similarity(text, fold(str(d.get("description", "")))) >= 0.6), Decimal(0))


def match_lines(invoice_lines: list[dict[str, Any]], order_lines: list[dict[str, Any]], tolerances: Tolerances,
                delivery_lines: list[dict[str, Any]] | None = None) -> list[LineDiff]:
    """Lines that differ beyond the tolerances (empty: they match); 3-way when delivery lines are given."""
    diffs: list[LineDiff] = []
    for i, j in _pair(invoice_lines, order_lines):
        inv = invoice_lines[i]
        desc = str(inv.get("description", ""))
        if j is None:
            diffs.append(LineDiff(i, None, desc, ["not on the order"], inv))
            continue
        order = order_lines[j]
        problems = _compare(inv, order, tolerances)
        if delivery_lines is not None:
            qty = _dec(inv.get("quantity"))
            received = _received(desc, delivery_lines)
            if qty is not None and qty > received and not _within(qty, received, tolerances.quantity_pct):
                problems.append(f"quantity {qty} invoiced, {received} received")
        if problems:
            diffs.append(LineDiff(i, j, desc, problems, inv, order))
    return diffs


def _compare(inv: dict[str, Any], order: dict[str, Any], tol: Tolerances) -> list[str]:
    problems = []
    q_inv, q_ord = _dec(inv.get("quantity")), _dec(order.get("quantity"))
    if q_inv is not None and q_ord is not None and not _within(q_inv, q_ord, tol.quantity_pct):
        problems.append(f"quantity {q_inv} invoiced, {q_ord} ordered")
    p_inv, p_ord = _dec(inv.get("unit_price")), _dec(order.get("unit_price"))
    if p_inv is not None and p_ord is not None and not _within(p_inv, p_ord, tol.price_pct, tol.price_abs):
        problems.append(f"unit price {p_inv} invoiced, {p_ord} ordered")
    return problems


def match_documents(invoice_lines: list[dict[str, Any]], order: PurchaseDocument,
                    deliveries: list[PurchaseDocument], tolerances: Tolerances, matched_by: str) -> MatchResult:
    """2-way without delivery notes, 3-way with them."""
    delivery_lines = [line for d in deliveries for line in (d.lines or [])] if deliveries else None
    diffs = match_lines(invoice_lines, list(order.lines or []), tolerances, delivery_lines)
    return MatchResult("mismatch" if diffs else "matched", "3-way" if deliveries else "2-way", order.id,
                       order.number, [d.id for d in deliveries], matched_by, diffs,
                       "lines differ beyond the tolerances" if diffs else "")


# ---------------------------------------------------------------- the thin service


def _invoice_fields(session: Session, record_id: str) -> dict[str, Any]:
    rows = session.scalars(select(FieldRow).where(FieldRow.record_id == record_id))
    return {row.name: row.value for row in rows if row.value is not None}


def find_order(session: Session, fields: dict[str, Any]) -> tuple[PurchaseDocument | None, str | None]:
    """By the order reference printed on the invoice; else the supplier's order with the same total."""
    orders = select(PurchaseDocument).where(PurchaseDocument.kind == "order")
    reference = str(fields.get("order_reference") or "").strip()
    if reference:
        candidates = session.scalars(orders.where(PurchaseDocument.number == reference)).all()
        vat = fields.get("supplier_vat")
        chosen = [o for o in candidates if not vat or not o.supplier_vat or o.supplier_vat == vat]
        if chosen:
            return chosen[0], "reference"
    vat, total = fields.get("supplier_vat"), _dec(fields.get("total_amount"))
    if vat and total is not None:
        for order in session.scalars(orders.where(PurchaseDocument.supplier_vat == vat)):
            if _dec(order.total_amount) == total:
                return order, "supplier_amount"
    return None, None


def match_invoice(session: Session, record_id: str, tolerances: Tolerances | None = None) -> MatchResult:
    """Match an invoice record to its order and delivery notes; an invoice without an order is reported."""
    record = session.get(Record, record_id)
    if record is None or record.doc_type not in ("invoice", "credit_note"):
        return MatchResult("not_an_invoice", reason="the record is not an invoice")
    fields = _invoice_fields(session, record_id)
    order, how = find_order(session, fields)
    if order is None:
        return MatchResult("no_order", reason="no order found by reference "
                           f"{fields.get('order_reference')!r} nor by supplier and total")
    deliveries = list(session.scalars(select(PurchaseDocument).where(
        PurchaseDocument.kind == "delivery_note", PurchaseDocument.order_reference == order.number)))
    return match_documents(list(record.lines or []), order, deliveries, tolerances or Tolerances(), how or "")
