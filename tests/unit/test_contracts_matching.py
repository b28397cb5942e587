"""2-way and 3-way line matching: exact, within tolerance, out of tolerance, extra lines."""

from __future__ import annotations

from decimal import Decimal

from contracts.config import Tolerances
from contracts.matching import match_lines

ORDER = [{"description": "Toner nero", "quantity": "4", "unit_price": "89.95"},
         {"description": "Carta A4 risma", "quantity": "10", "unit_price": "3.06"}]


def test_exact_match() -> None:
    assert match_lines(list(reversed(ORDER)), ORDER, Tolerances()) == []


def test_within_tolerance() -> None:
    invoice = [{"description": "Toner nero", "quantity": "4", "unit_price": "90.50"},
               {"description": "Carta A4 risma", "quantity": "10.2", "unit_price": "3.06"}]
    tol = Tolerances(quantity_pct=Decimal(5), price_pct=Decimal(1))
    assert match_lines(invoice, ORDER, tol) == []


def test_out_of_tolerance_returns_the_lines() -> None:
    invoice = [{"description": "Toner nero", "quantity": "5", "unit_price": "99.00"},
               {"description": "Carta A4 risma", "quantity": "10", "unit_price": "3.06"},
               {"description": "Spese di trasporto", "quantity": "1", "unit_price": "20.00"}]
    diffs = match_lines(invoice, ORDER, Tolerances(price_pct=Decimal(1)))
    assert [(d.invoice_line, d.order_line) for d in diffs] == [(0, 0), (2, None)]
    assert len(diffs[0].problems) == 2


def test_three_way_checks_received_quantity() -> None:
    invoice = [{"description": "Toner nero", "quantity": "4", "unit_price": "89.95"}]
    received = [{"description": "Toner nero", "quantity": "3"}]
    diffs = match_lines(invoice, ORDER, Tolerances(), received)
    assert diffs and "received" in diffs[0].problems[0]
    assert match_lines(invoice, ORDER, Tolerances(), [*received, {"description": "Toner nero", "quantity": "1"}]) == []
