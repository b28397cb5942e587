"""Deadline arithmetic across month ends and leap years; statuses."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.models import ContractEntry
from contracts.register import compute_deadlines, roll_forward, status_for
from extract.contract import add_duration, end_from_term, subtract_duration

D = dt.date


@pytest.mark.parametrize(("start", "term", "end"), [
    ("2024-01-01", "P12M", "2024-12-31"),
    ("2024-01-31", "P1M", "2024-02-28"),   # 31 Jan + 1 month = 29 Feb (leap), minus a day
    ("2023-01-31", "P1M", "2023-02-27"),
    ("2024-02-29", "P1Y", "2025-02-27"),   # 29 Feb + 1 year clamps to 28 Feb
    ("2024-03-15", "P90D", "2024-06-12"),
    ("2023-11-30", "P3M", "2024-02-28"),
])
def test_end_from_term(start: str, term: str, end: str) -> None:
    assert end_from_term(start, term) == end


def test_notice_date_month_ends_and_leap_years() -> None:
    assert subtract_duration(D(2024, 3, 31), "P1M") == D(2024, 2, 29)
    assert subtract_duration(D(2023, 3, 31), "P1M") == D(2023, 2, 28)
    assert subtract_duration(D(2024, 2, 29), "P1Y") == D(2023, 2, 28)
    assert subtract_duration(D(2025, 1, 15), "P60D") == D(2024, 11, 16)
    assert add_duration(D(2024, 8, 31), "P6M") == D(2025, 2, 28)


def test_compute_deadlines() -> None:
    got = compute_deadlines(D(2024, 1, 1), None, "P2Y", "P3M", True)
    assert got.end_date == D(2025, 12, 31)
    assert got.notice_date == D(2025, 9, 30)
    assert got.renewal_date == D(2026, 1, 1)
    assert compute_deadlines(D(2024, 1, 1), None, "P2Y", None, False).renewal_date is None


def test_status_and_roll_forward() -> None:
    entry = ContractEntry(end_date=D(2025, 12, 31), notice_date=D(2025, 9, 30), term="P1Y", notice_period="P3M",
                          auto_renewal=True, status="active")
    assert status_for(entry, D(2025, 1, 1), 60) == "active"
    assert status_for(entry, D(2025, 8, 15), 60) == "expiring"
    assert roll_forward(entry, D(2026, 1, 5))
    assert (entry.end_date, entry.notice_date, entry.renewal_date) == (D(2026, 12, 31), D(2026, 9, 30), D(2027, 1, 1))
    entry.auto_renewal = False
    assert status_for(entry, D(2027, 1, 2), 60) == "terminated"
