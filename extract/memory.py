"""Supplier memory: learn where a reviewer found a field on a supplier's page, and look there first next time."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.document import ExtractedField, PageWords, Word
from extract.confidence import Evidence, confidence
from extract.layout import Line, all_rows, words_bbox
from extract.normalize import (
    find_amounts,
    find_dates,
    fold,
    normalize_currency,
    normalize_iban,
    normalize_percentage,
    normalize_tax_code,
    normalize_vat_id,
)

MAX_SPAN = 10  # words a remembered value may span
LABEL_WORDS = 4  # words before a value kept as its label
MARGIN = 0.02  # slack around a remembered box, as a share of the page (scans shift a little)


@dataclass(frozen=True, slots=True)
class Hint:
    """Where a supplier prints a field: the label before it (folded) and its box as shares of the page."""

    field: str
    label: str | None
    page: int
    box: tuple[float, float, float, float]


class SupplierMemory(Protocol):
    def hints(self, supplier_vat: str) -> dict[str, Hint]: ...

    def suppliers(self) -> list[str]: ...


class DictMemory:
    """Memory held in a dict (benchmarks and tests); ``remember`` is what a correction does."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Hint]] = {}

    def hints(self, supplier_vat: str) -> dict[str, Hint]:
        return dict(self.data.get(supplier_vat, {}))

    def suppliers(self) -> list[str]:
        return list(self.data)

    def remember(self, supplier_vat: str, hint: Hint) -> None:
        self.data.setdefault(supplier_vat, {})[hint.field] = hint


class DbMemory:
    """Memory in the ``supplier_hints`` table, read through the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def hints(self, supplier_vat: str) -> dict[str, Hint]:
        from extract.models import SupplierHint

        rows = self.session.scalars(select(SupplierHint).where(SupplierHint.supplier_vat == supplier_vat))
        return {r.field: Hint(r.field, r.label, r.page, tuple(r.box)) for r in rows}  # type: ignore[arg-type]

    def suppliers(self) -> list[str]:
        from extract.models import SupplierHint

        return list(self.session.scalars(select(SupplierHint.supplier_vat).distinct()))


# ---------------------------------------------------------------- canonical values by field


def _text(raw: str) -> str | None:
    value = raw.strip(" :;,")
    return value or None


def _first(found: list[tuple[int, int, str]]) -> str | None:
    return found[0][2] if found else None


def _last(found: list[tuple[int, int, str]]) -> str | None:
    return found[-1][2] if found else None


def _reference(raw: str) -> str | None:
    token = raw.strip(" :.,;#°º")
    return token if token and " " not in token and re.search(r"\d", token) else None


PARSERS: dict[str, Callable[[str], str | None]] = {
    "net_amount": lambda t: _last(find_amounts(t)),
    "vat_amount": lambda t: _last(find_amounts(t)),
    "total_amount": lambda t: _last(find_amounts(t)),
    "issue_date": lambda t: _first(find_dates(t)),
    "due_date": lambda t: _first(find_dates(t)),
    "supplier_vat": normalize_vat_id,
    "customer_vat": normalize_vat_id,
    "supplier_tax_code": normalize_tax_code,
    "customer_tax_code": normalize_tax_code,
    "iban": normalize_iban,
    "vat_rate": normalize_percentage,
    "currency": normalize_currency,
    "invoice_number": _reference,
    "order_reference": _reference,
}


def canonical(field_name: str, raw: str) -> str | None:
    return PARSERS.get(field_name, _text)(raw)


def _same(field_name: str, got: str | None, want: object) -> bool:
    if got is None or want is None:
        return False
    if field_name in PARSERS:
        return got == str(want)
    return re.sub(r"\s+", " ", got).casefold() == re.sub(r"\s+", " ", str(want)).casefold()


# ---------------------------------------------------------------- learning


def locate(pages: Sequence[PageWords], field_name: str, value: object) -> tuple[PageWords, Line, int, int] | None:
    """The shortest run of words on a row whose canonical reading is the value: (page, row, start, end)."""
    by_number = {p.page: p for p in pages}
    best: tuple[int, PageWords, Line, int, int] | None = None
    for row in all_rows(pages):
        for start in range(len(row.words)):
            for end in range(start + 1, min(len(row.words), start + MAX_SPAN) + 1):
                text = " ".join(w.text for w in row.words[start:end])
                if _same(field_name, canonical(field_name, text), value) and (best is None or end - start < best[0]):
                    best = (end - start, by_number[row.page], row, start, end)
    return best[1:] if best else None  # type: ignore[return-value]


def _label_before(row: Line, start: int) -> str | None:
    """Up to LABEL_WORDS words before the value on its row, stopping at a column gap."""
    picked: list[Word] = []
    for word in reversed(row.words[:start]):
        anchor = picked[0] if picked else row.words[start]
        if anchor.bbox[0] - word.bbox[2] > 6 * max(1, word.bbox[3] - word.bbox[1]) or len(picked) >= LABEL_WORDS:
            break
        picked.insert(0, word)
    label = fold(" ".join(w.text for w in picked)).strip(" :.-")
    return label if label and re.search(r"[a-z]", label) else None


def hint_from_page(pages: Sequence[PageWords], field_name: str, value: object) -> Hint | None:
    found = locate(pages, field_name, value)
    if found is None:
        return None
    page, row, start, end = found
    x0, y0, x1, y1 = words_bbox(row.words[start:end])
    w, h = max(1, page.width), max(1, page.height)
    return Hint(field_name, _label_before(row, start), page.page, (x0 / w, y0 / h, x1 / w, y1 / h))


def learn_from_correction(session: Session, record: Any, field_name: str, new_value: object) -> None:
    """Remember, for the record's supplier, where the corrected value is printed and under which label.

    Called for every field a reviewer sets; values not found on the page (typed from elsewhere) teach nothing.
    """
    from core.records import load_page_words
    from extract.models import SupplierHint

    if new_value is None or not record.document_id:
        return
    values = {row.name: row.value for row in record.fields}
    values[field_name] = new_value
    vat = values.get("supplier_vat")
    if not vat:
        return
    hint = hint_from_page(load_page_words(session, record.document_id), field_name, new_value)
    if hint is None:
        return
    row = session.scalar(select(SupplierHint).where(SupplierHint.supplier_vat == str(vat),
                                                    SupplierHint.field == field_name))
    if row is None:
        row = SupplierHint(supplier_vat=str(vat), field=field_name, corrections=0, weight=1.0)
        session.add(row)
    row.label, row.page, row.box = hint.label, hint.page, list(hint.box)
    row.example = str(new_value)[:256]
    row.corrections = (row.corrections or 0) + 1
    row.updated_at = datetime.now(UTC)


# ---------------------------------------------------------------- recall


def _by_label(pages: Sequence[PageWords], hint: Hint) -> tuple[str, list[Word]] | None:
    """The value right of the remembered label (the words up to a column gap), read as the field."""
    if not hint.label:
        return None
    target = hint.label.split(" ")
    for row in all_rows(pages):
        folds = [fold(w.text).strip(" :.-") for w in row.words]
        for start in range(len(folds) - len(target) + 1):
            if folds[start : start + len(target)] != target:
                continue
            after = row.words[start + len(target) :]
            for end in range(1, min(len(after), MAX_SPAN) + 1):
                value = canonical(hint.field, " ".join(w.text for w in after[:end]))
                if value and hint.field in PARSERS:
                    return value, after[:end]
            if after and hint.field not in PARSERS:
                words = _until_gap(after)
                value = canonical(hint.field, " ".join(w.text for w in words))
                if value:
                    return value, words
    return None


def _until_gap(words: Sequence[Word]) -> list[Word]:
    kept = list(words[:1])
    for word in words[1:]:
        if word.bbox[0] - kept[-1].bbox[2] > 2.5 * max(1, word.bbox[3] - word.bbox[1]):
            break
        kept.append(word)
    return kept


def _by_position(pages: Sequence[PageWords], hint: Hint) -> tuple[str, list[Word]] | None:
    """The words whose centres fall in the remembered box (with a margin), read as the field."""
    page = next((p for p in pages if p.page == hint.page), None)
    if page is None:
        return None
    x0, y0, x1, y1 = hint.box
    inside = [
        w for w in page.words
        if x0 - MARGIN <= (w.bbox[0] + w.bbox[2]) / 2 / page.width <= x1 + MARGIN
        and y0 - MARGIN / 2 <= (w.bbox[1] + w.bbox[3]) / 2 / page.height <= y1 + MARGIN / 2
    ]
    inside.sort(key=lambda w: ((w.bbox[1] + w.bbox[3]) // 40, w.bbox[0]))
    value = canonical(hint.field, " ".join(w.text for w in inside)) if inside else None
    return (value, inside) if value else None


def _supplier_of(fields: Mapping[str, ExtractedField], pages: Sequence[PageWords],
                 memory: SupplierMemory) -> str | None:
    """The supplier's VAT id as extracted, else a remembered supplier whose VAT number is printed on the page."""
    found = fields.get("supplier_vat")
    if found is not None and found.value:
        return str(found.value)
    text = re.sub(r"\s", "", " ".join(w.text for p in pages for w in p.words))
    return next((vat for vat in memory.suppliers() if vat[2:] and vat[2:] in text), None)


def apply_memory(pages: Sequence[PageWords], fields: dict[str, ExtractedField], memory: SupplierMemory | None) -> None:
    """For a remembered supplier, read each remembered field at its label, else at its place; that value wins."""
    if memory is None:
        return
    vat = _supplier_of(fields, pages, memory)
    if not vat:
        return
    for name, hint in memory.hints(vat).items():
        found = _by_label(pages, hint) or _by_position(pages, hint)
        if found is None:
            continue
        value, words = found
        evidence = Evidence(label=1.0 if hint.label else 0.5, ocr=sum(w.confidence for w in words) / len(words),
                            pattern=0.8)
        fields[name] = ExtractedField(name, value, confidence(evidence, name), words[0].page, words_bbox(words),
                                      source="memory")
