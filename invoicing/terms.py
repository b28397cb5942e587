"""Payment terms read from paper ("30/60 gg d.f.f.m.", "Net 30") into due dates and instalment amounts."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_LIST = re.compile(r"\b(\d{1,3}(?:\s*[/\-]\s*\d{1,3})+)\s*(?:gg|giorni|days|tage|jours|d[ií]as)?", re.I)
_DAYS = re.compile(r"\b(\d{1,3})\s*(?:gg\b|giorni|days?\b|tage[n]?\b|jours\b|d[ií]as\b)", re.I)
_NET = re.compile(r"\bnet(?:to)?\s+(\d{1,3})\b", re.I)
_END_OF_MONTH = re.compile(r"\bf\.?\s?m\.?(?:\W|$)|d\.?f\.?f\.?m|fine\s+mese|end\s+of\s+(?:the\s+)?month|"
                           r"fin\s+de\s+mois|monatsende|fin\s+de\s+mes", re.I)
_AT_SIGHT = re.compile(r"rimessa\s+diretta|a\s+vista|vista\s+fattura|immediat|sofort|upon\s+receipt|on\s+receipt|"
                       r"à\s+réception|al\s+contado|contanti", re.I)


@dataclass(frozen=True, slots=True)
class Due:
    """One instalment: when, and how many cents."""

    due_date: date
    amount_cents: int


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def term_days(text: str) -> tuple[list[int], bool] | None:
    """The day offsets the terms name and whether they run to the end of the month; None when nothing is said."""
    end = bool(_END_OF_MONTH.search(text))
    listed = _LIST.search(text)
    if listed and ("/" in listed.group(1) or listed.group(0).lower().rstrip().endswith(
            ("gg", "giorni", "days", "tage", "jours", "dias", "días"))):
        days = [int(part) for part in re.split(r"\s*[/\-]\s*", listed.group(1))]
        if all(0 < d <= 365 for d in days) and days == sorted(days):
            return days, end
    for pattern in (_DAYS, _NET):
        found = pattern.search(text)
        if found and int(found.group(1)) <= 365:
            return [int(found.group(1))], end
    if _AT_SIGHT.search(text):
        return [0], False
    return None


def split_cents(total: int, parts: int) -> list[int]:
    """Equal instalments in cents; the last one takes the remainder so they sum exactly to the total."""
    share = int(total / parts)  # truncation toward zero keeps credit notes (negative totals) symmetric
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def instalments(total_cents: int, issue: date | None, *, due: date | None, terms: str | None,
                default_days: int) -> list[Due]:
    """Due dates and amounts: the printed due date wins, then the terms, then the legal default term."""
    if due is not None:
        return [Due(due, total_cents)]
    base = issue or date.today()
    parsed = term_days(terms) if terms else None
    if parsed is None:
        return [Due(base + timedelta(days=default_days), total_cents)]
    days, to_month_end = parsed
    dates = [base + timedelta(days=d) for d in days]
    if to_month_end:
        dates = [end_of_month(d) for d in dates]
    return [Due(d, amount) for d, amount in zip(dates, split_cents(total_cents, len(dates)), strict=True)]
