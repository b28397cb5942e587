"""Canonical value formatting shared by FatturaPA intake and generation (interfaces.md §3)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_decimal(text: str) -> Decimal:
    """A Decimal from an XML number; raises ValueError (not InvalidOperation) on garbage."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


def round_cents(value: Decimal) -> Decimal:
    """Half-up rounding to cents, the rule the SdI specification uses for VAT."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def canonical_amount(value: Decimal) -> str:
    """Amount as a 2-decimal string: ``1234.50``, ``-25.00``."""
    return f"{round_cents(value):f}"


def canonical_number(value: Decimal) -> str:
    """Quantities and percentages without insignificant zeros: ``5``, ``1.5``, ``22``, ``5.5``."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def canonical_price(value: Decimal) -> str:
    """Unit price: at least 2 decimals, more only when significant (``0.333``, ``101.75``)."""
    if value == round_cents(value):
        return canonical_amount(value)
    return canonical_number(value)


def xml_decimal(value: Decimal, min_places: int = 2, max_places: int = 8) -> str:
    """A number in FatturaPA lexical form (``\\d+\\.\\d{2,8}``), never in exponent notation."""
    places = max(min_places, min(max_places, -value.normalize().as_tuple().exponent))
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):f}"


def canonical_date(text: str) -> str:
    """ISO date ``YYYY-MM-DD``; surrounding whitespace (seen in real files) is dropped."""
    return date.fromisoformat(text.strip()[:10]).isoformat()


def compact_id(text: str) -> str:
    """An identifier (VAT number, IBAN, tax code) without spaces, upper case."""
    return "".join(text.split()).upper()
