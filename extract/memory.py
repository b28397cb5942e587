"""Supplier memory: learn where a reviewer found a field on a supplier's page, and look there first next time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.document import ExtractedField, PageWords, Word
from extract.confidence import Evidence, confidence
from extract.layout import Line, all_rows, find_labels, words_bbox
from extract.lexicon import INVOICE_LABELS
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
from extract.validators import validate_iban

MAX_SPAN = 10  # words a remembered value may span
LABEL_WORDS = 4  # words before a value kept as its label
MARGIN = 0.02  # slack around a remembered box, as a share of the page (scans shift a little)


@dataclass(frozen=True, slots=True)
class Hint:
    """Where a supplier prints a field: the label before it (folded) and its box as shares of the page.

    An empty box remembers only the label: the value is looked for after it, never at a place. ``above`` says
    the label heads the value's column (a header over it) instead of preceding it on its row.
    """

    field: str
    label: str | None
    page: int
    box: tuple[float, ...]
    above: bool = False


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
        return {r.field: Hint(r.field, r.label, r.page, tuple(r.box), bool(r.label_above)) for r in rows}

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


def _iban(raw: str) -> str | None:
    value = normalize_iban(raw)  # a valid IBAN only: its first groups alone also look like one
    return value if value and validate_iban(value)[0] else None


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
    "iban": _iban,
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
    """Up to LABEL_WORDS words before the value on its row, stopping at a column gap or at another value."""
    picked: list[Word] = []
    for word in reversed(row.words[:start]):
        anchor = picked[0] if picked else row.words[start]
        # A label ending in ":" may stand far from a right-aligned value; a label's own words stand close.
        reach = 30 if not picked and word.text.endswith(":") else 6
        if anchor.bbox[0] - word.bbox[2] > reach * max(1, word.bbox[3] - word.bbox[1]) or len(picked) >= LABEL_WORDS:
            break
        if re.search(r"\d", word.text):  # another value printed on the row: the label starts after it
            break
        picked.insert(0, word)
    label = fold(" ".join(w.text for w in picked)).strip(" :.-")
    return label if label and re.search(r"[a-z]", label) else None


def _label_above(page: PageWords, value: Sequence[Word]) -> str | None:
    """The header of the value's column: the words across it on the nearest row above, within three lines."""
    x0, y0, x1, y1 = words_bbox(value)
    reach = 3 * max(1, y1 - y0)
    over = [w for w in page.words
            if w.bbox[3] <= y0 + 2 and y0 - w.bbox[3] <= reach and w.bbox[0] < x1 and x0 < w.bbox[2]]
    if not over:
        return None
    nearest = max(over, key=lambda w: w.bbox[3])
    header = sorted((w for w in over if abs(w.bbox[3] - nearest.bbox[3]) < (y1 - y0) / 2), key=lambda w: w.bbox[0])
    if any(re.search(r"\d", w.text) for w in header):  # a value of the row above, not a header
        return None
    label = fold(" ".join(w.text for w in header)).strip(" :.-")
    return label if re.search(r"[a-z]", label) else None


def hint_from_page(pages: Sequence[PageWords], field_name: str, value: object) -> Hint | None:
    found = locate(pages, field_name, value)
    if found is None:
        return None
    page, row, start, end = found
    x0, y0, x1, y1 = words_bbox(row.words[start:end])
    w, h = max(1, page.width), max(1, page.height)
    box = (x0 / w, y0 / h, x1 / w, y1 / h)
    label = _label_before(row, start)
    if label is not None:
        return Hint(field_name, label, page.page, box)
    above = _label_above(page, row.words[start:end])
    return Hint(field_name, above, page.page, box, above is not None)


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
    row.label, row.label_above, row.page, row.box = hint.label, hint.above, hint.page, list(hint.box)
    row.example = str(new_value)[:256]
    row.corrections = (row.corrections or 0) + 1
    row.updated_at = datetime.now(UTC)


# Fields a confirmed value teaches: read after a label, distinctive enough not to turn up anywhere else on the
# page (a VAT rate of "22" or a currency code does), and under a label only they use (supplier and customer
# print their VAT ids and tax codes under the same words; where they stand tells them apart).
CONFIRMABLE = frozenset(INVOICE_LABELS) & frozenset(PARSERS) - {
    "vat_rate", "currency", "supplier_vat", "customer_vat", "supplier_tax_code", "customer_tax_code"}


def _plain(label: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", label)).strip()


def _known_label(field_name: str, label: str) -> bool:
    return _plain(label) in {_plain(known) for known in INVOICE_LABELS.get(field_name, ())}


def confirmed_hints(pages: Sequence[PageWords], values: Mapping[str, object], skip: set[str]) -> list[Hint]:
    """Label-only hints for confirmed values that the supplier prints after a label the rules do not know.

    A reviewer who approves a record confirms its values, not only the ones they typed. A value the rules found
    without its label (by pattern or position) may be missed on the supplier's next, noisier page; its label is
    remembered so that page reads it there. Places are not remembered: names and amounts move between documents.
    """
    hints = []
    rows = all_rows(pages)
    for name, value in values.items():
        if name in skip or value is None or name not in CONFIRMABLE:
            continue
        hint = hint_from_page(pages, name, value)
        if hint is None or not hint.label or _known_label(name, hint.label) or normalize_currency(hint.label):
            continue  # no label, one the rules know, or a currency code before an amount
        if hint.above:  # a header also heads the other rows of its column, whose values may match by chance
            continue
        hint = replace(hint, box=())
        read = _by_label(rows, hint)
        # The label must lead back to this value here (a small number such as a rate is found in many places).
        if read is not None and _same(name, read[0], value):
            hints.append(hint)
    return hints


def learn_from_approval(session: Session, record: Any) -> None:
    """Remember the labels of a reviewed record's confirmed values (see ``confirmed_hints``).

    A field already taught by a correction keeps that hint; a reviewer's own value is taught when it is set.
    """
    from core.records import load_page_words
    from extract.models import SupplierHint

    values = {row.name: row.value for row in record.fields}
    vat = values.get("supplier_vat")
    if not vat or not record.document_id:
        return
    corrected = {row.name for row in record.fields if row.corrected_by}
    taught = set(session.scalars(select(SupplierHint.field).where(SupplierHint.supplier_vat == str(vat))))
    pages = load_page_words(session, record.document_id)
    for hint in confirmed_hints(pages, values, corrected | taught):
        session.add(SupplierHint(supplier_vat=str(vat), field=hint.field, label=hint.label,
                                 label_above=hint.above, page=hint.page, box=[],
                                 example=str(values[hint.field])[:256], corrections=0, weight=1.0,
                                 updated_at=datetime.now(UTC)))


# ---------------------------------------------------------------- recall


def _label_sites(rows: Sequence[Line], label: str) -> Iterator[tuple[Line, int, int]]:
    """Where the remembered label is printed, read as fuzzily as the lexicon's labels: (row, first word, end)."""
    for hit in find_labels(rows, {"remembered": [label]}):
        yield hit.row, hit.start, hit.end


def _by_label(rows: Sequence[Line], hint: Hint) -> tuple[str, list[Word]] | None:
    """The value after the remembered label (right of it, or under it for a header), read as the field."""
    if not hint.label:
        return None
    for row, start, end in _label_sites(rows, hint.label):
        after = _below(rows, row.page, row.words[start:end]) if hint.above else row.words[end:]
        found = _read(hint.field, after)
        if found is not None:
            return found
    return None


def _below(rows: Sequence[Line], page: int, header: Sequence[Word]) -> list[Word]:
    """The words of the header's column on the nearest row under it (within three lines), up to a gap."""
    x0, y0, x1, y1 = words_bbox(header)
    reach = 3 * max(1, y1 - y0)
    under = [(min(w.bbox[1] for w in row.words), row) for row in rows if row.page == page and row.words]
    for top, row in sorted(under, key=lambda pair: pair[0]):
        if top < y1 - 2 or top - y1 > reach:
            continue
        for i, word in enumerate(row.words):
            if word.bbox[0] < x1 and x0 < word.bbox[2]:
                return _until_gap(row.words[i:])
    return []


def _read(field_name: str, after: Sequence[Word]) -> tuple[str, list[Word]] | None:
    """The field's value at the start of the words after a label: the shortest run that parses, or up to a gap."""
    if field_name in PARSERS:
        for end in range(1, min(len(after), MAX_SPAN) + 1):
            value = canonical(field_name, " ".join(w.text for w in after[:end]))
            if value:
                return value, list(after[:end])
        return None
    words = _until_gap(after)
    value = canonical(field_name, " ".join(w.text for w in words)) if words else None
    return (value, words) if value else None


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
    if page is None or len(hint.box) != 4:
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


def supplier_labels(pages: Sequence[PageWords], fields: Mapping[str, ExtractedField],
                    memory: SupplierMemory | None) -> dict[str, list[str]]:
    """The remembered labels, by field, of the document's supplier (as ``apply_memory`` finds it), for the rules.

    Besides finding the field, a known label keeps the rules from reading its row as something else (an
    unknown "Pratica: 123" beside the customer's address is otherwise taken for the customer's name).
    """
    if memory is None:
        return {}
    vat = _supplier_of(fields, pages, memory)
    hints = memory.hints(vat).values() if vat else ()
    return {hint.field: [hint.label] for hint in hints if hint.label and hint.field in INVOICE_LABELS}


def apply_memory(pages: Sequence[PageWords], fields: dict[str, ExtractedField], memory: SupplierMemory | None) -> None:
    """For a remembered supplier, read each remembered field at its label, else at its place; that value wins."""
    if memory is None:
        return
    vat = _supplier_of(fields, pages, memory)
    if not vat:
        return
    rows = all_rows(pages)  # once for every remembered field, not once per field and again per label check
    for name, hint in memory.hints(vat).items():
        found = _by_label(rows, hint)
        # The supplier prints the field after its label: no label on the page, no field (whatever is at its place).
        if found is None and (not hint.label or next(_label_sites(rows, hint.label), None)):
            found = _by_position(pages, hint)
        if found is None:
            continue
        value, words = found
        evidence = Evidence(label=1.0 if hint.label else 0.5, ocr=sum(w.confidence for w in words) / len(words),
                            pattern=0.8)
        fields[name] = ExtractedField(name, value, confidence(evidence, name), words[0].page, words_bbox(words),
                                      source="memory")
