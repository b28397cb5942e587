"""Arithmetic, date and identifier checks, and the joint choice of net/VAT/total candidates."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.document import Check, ExtractedField
from extract.validators import validate_iban, validate_tax_code, validate_vat_id

CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def check_totals(net: Decimal, vat: Decimal, total: Decimal) -> Check | None:
    """net + VAT = total within a cent."""
    if abs(net + vat - total) <= CENT:
        return None
    return Check(
        "totals_mismatch", f"net {_fmt(net)} + VAT {_fmt(vat)} ≠ total {_fmt(total)}", "total_amount"
    )


def expected_vat(bases: Mapping[Decimal, Decimal]) -> Decimal:
    """VAT due on taxable bases grouped by rate (percent), rounded per rate as invoices print it."""
    return sum(((base * rate / 100).quantize(CENT) for rate, base in bases.items()), Decimal(0))


def check_vat_rate(bases: Mapping[Decimal, Decimal], vat: Decimal, *, lines: int = 1) -> Check | None:
    """VAT = Σ base × rate per rate, within a cent per line (documents round per line or per rate)."""
    expected = expected_vat(bases)
    if abs(expected - vat) <= CENT * max(1, lines):
        return None
    detail = " + ".join(f"{_fmt(base)} × {rate.normalize():f}%" for rate, base in bases.items())
    return Check("vat_mismatch", f"VAT {_fmt(vat)} ≠ {detail} = {_fmt(expected)}", "vat_amount")


def check_lines(amounts: Sequence[Decimal], net: Decimal, *, net_confirmed: bool = False) -> Check | None:
    """Line amounts add up to the net amount, within a cent per line.

    With ``net_confirmed`` (net + VAT = total held, three figures read in separate places) the net is not in
    doubt, so lines that disagree were misread themselves: a warning on the lines, not an error on the net.
    """
    total = sum(amounts, Decimal(0))
    if abs(total - net) <= CENT * max(1, len(amounts)):
        return None
    if net_confirmed:
        return Check("lines_unreliable", f"the {len(amounts)} lines read add up to {_fmt(total)}, not the net "
                     f"{_fmt(net)} (which net + VAT = total confirms): check the lines", "lines", "warning")
    return Check(
        "lines_mismatch",
        f"the {len(amounts)} lines add up to {_fmt(total)}, not the net {_fmt(net)}",
        "net_amount",
    )


def check_due_date(issue: str, due: str) -> Check | None:
    """The due date is not before the issue date (ISO strings compare as dates)."""
    if due >= issue:
        return None
    return Check(
        "due_before_issue", f"due date {due} is before the issue date {issue}", "due_date", "warning"
    )


NON_EU_SUPPLIER = "non_eu_supplier"


def check_non_eu_supplier(fields: Mapping[str, ExtractedField], foreign_id: str | None) -> Check | None:
    """A note (not an error) that the seller has no VAT id because it is outside the EU and prints its own
    country's tax id instead (a US EIN): the route stage then does not wait for a supplier_vat that cannot exist.
    Such an invoice is integrated by the buyer (TD17-TD19 to SdI) with the seller's foreign id."""
    if foreign_id is None or "supplier_vat" in fields:
        return None
    return Check(NON_EU_SUPPLIER, f"the supplier is outside the EU: it has no VAT id and is identified by "
                 f"{foreign_id}", "supplier_vat", "warning")


_ID_VALIDATORS = {
    "supplier_vat": (validate_vat_id, "error"),
    "customer_vat": (validate_vat_id, "warning"),
    "supplier_tax_code": (validate_tax_code, "error"),
    "customer_tax_code": (validate_tax_code, "warning"),
    "iban": (validate_iban, "error"),
}


def check_identifiers(fields: Mapping[str, ExtractedField]) -> list[Check]:
    """A failed checksum on an id becomes a check the reviewer reads, never an exception."""
    checks = []
    for name, (validator, severity) in _ID_VALIDATORS.items():
        extracted = fields.get(name)
        if extracted is None:
            continue
        ok, reason = validator(str(extracted.value))
        if not ok:
            checks.append(Check(f"invalid_{name}", reason, name, severity))  # type: ignore[arg-type]
    return checks


def _amount(fields: Mapping[str, ExtractedField], name: str) -> Decimal | None:
    extracted = fields.get(name)
    return to_decimal(extracted.value) if extracted else None


def _vat_bases(
    fields: Mapping[str, ExtractedField], lines: Sequence[Mapping[str, str]], net: Decimal
) -> dict[Decimal, Decimal]:
    """Taxable base per rate: from the lines when they carry rates and add up to the net, else net × rate."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        rate, amount = to_decimal(line.get("vat_rate")), to_decimal(line.get("amount"))
        if rate is not None and amount is not None:
            bases[rate] = bases.get(rate, Decimal(0)) + amount
    if bases and abs(sum(bases.values()) - net) <= CENT * max(1, len(lines)):
        return bases
    rate = _amount(fields, "vat_rate")
    return {rate: net} if rate is not None else {}


def run_checks(fields: Mapping[str, ExtractedField], lines: Sequence[Mapping[str, str]] = ()) -> list[Check]:
    """Every check that applies to the extracted fields and lines."""
    checks: list[Check | None] = []
    net, vat, total = (_amount(fields, n) for n in ("net_amount", "vat_amount", "total_amount"))
    confirmed = False
    if net is not None and vat is not None and total is not None:
        checks.append(check_totals(net, vat, total))
        # Confirmed only by three figures read off the page: one computed from the other two proves nothing.
        confirmed = checks[-1] is None and all(
            fields[n].source != "computed" for n in ("net_amount", "vat_amount", "total_amount"))
    if net is not None and vat is not None:
        bases = _vat_bases(fields, lines, net)
        if bases:
            checks.append(check_vat_rate(bases, vat, lines=len(lines) or 1))
    amounts = [a for a in (to_decimal(line.get("amount")) for line in lines) if a is not None]
    if net is not None and amounts:
        checks.append(check_lines(amounts, net, net_confirmed=confirmed))
    if "issue_date" in fields and "due_date" in fields:
        checks.append(check_due_date(str(fields["issue_date"].value), str(fields["due_date"].value)))
    return [c for c in checks if c is not None] + check_identifiers(fields)


# ---------------------------------------------------------------- joint choice of amounts


@dataclass(slots=True)
class Candidate:
    """One possible value for a field with its evidence score (higher is better) and where it came from."""

    value: str
    score: float
    payload: object = None


def choose_totals(
    nets: Sequence[Candidate], vats: Sequence[Candidate], totals: Sequence[Candidate]
) -> tuple[Candidate | None, Candidate | None, Candidate | None, bool]:
    """The best (net, VAT, total), preferring a combination where net + VAT = total; the flag says it held."""
    top = [sorted(c, key=lambda x: -x.score)[:6] for c in (nets, vats, totals)]
    best: tuple[float, tuple[Candidate | None, ...]] | None = None
    for net, vat, total in itertools.product(*([*t, None] for t in top)):
        score = sum(c.score for c in (net, vat, total) if c is not None)
        if net and vat and total:
            n, v, t = (to_decimal(c.value) for c in (net, vat, total))
            # VAT is never more than the net (no rate reaches 100 %): that also keeps the two apart when both
            # come from unlabelled figures.
            if (n is not None and v is not None and t is not None and abs(n + v - t) <= CENT and t != 0
                    and abs(v) <= abs(n)):
                score += 3.0
        if best is None or score > best[0]:
            best = (score, (net, vat, total))
    assert best is not None
    net, vat, total = best[1]
    consistent = bool(net and vat and total and best[0] - sum(c.score for c in (net, vat, total)) > 2.9)
    return net, vat, total, consistent
