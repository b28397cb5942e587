"""Invoice line items from word geometry: a header row of column labels, item rows below until the totals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from core.document import Word
from extract.layout import LabelHit, Line, find_labels
from extract.lexicon import LINE_HEADERS
from extract.normalize import normalize_amount, normalize_percentage
from extract.validators import is_vat_rate

_TOTAL_KEYS = {"net_amount", "vat_amount", "total_amount"}
_STOP_KEYS = _TOTAL_KEYS | {"payment_terms", "iban"}


def _header(rows: Sequence[Line]) -> tuple[Line, list[LabelHit]] | None:
    """The first row naming at least two columns, one of them the description or the amount."""
    for row in rows:
        hits = find_labels([row], LINE_HEADERS, threshold=0.85)
        keys = {h.key for h in hits}
        if len(keys) >= 2 and keys & {"description", "amount"}:
            # One label per column: the leftmost hit of each key.
            columns: dict[str, LabelHit] = {}
            for hit in sorted(hits, key=lambda h: h.bbox[0]):
                columns.setdefault(hit.key, hit)
            return row, sorted(columns.values(), key=lambda h: h.bbox[0])
    return None


def _column_of(word: Word, columns: Sequence[LabelHit]) -> str:
    """The column whose header is horizontally nearest the word (0 when they overlap)."""
    center = (word.bbox[0] + word.bbox[2]) / 2

    def distance(hit: LabelHit) -> float:
        x0, _, x1, _ = hit.bbox
        overlap = min(word.bbox[2], x1) - max(word.bbox[0], x0)
        return 0.0 if overlap > 0 else min(abs(center - x0), abs(center - x1))

    return min(columns, key=distance).key


def _quantity(text: str) -> str | None:
    value = normalize_amount(text)
    if value is None:
        return None
    try:
        number = Decimal(value).normalize()
    except InvalidOperation:
        return None
    return format(number, "f")


# An Italian Natura code ("N4", "N2.2") in the rate column: an exempt or non-taxable line, at 0 %.
# It may be glued to the "0%" before it ("O%N1").
_NATURA_RE = re.compile(r"(?:^|[^A-Za-z])N\d(?:\.\d)?$")


def line_rate(texts: Sequence[str]) -> str | None:
    """The rate of a line from the words of its rate column, one word at a time: a word with "%" first, since a
    misaligned column also catches the quantity or price beside it ("5 6,46 22%" is not 56.4622 %); a Natura code
    is 0; a number that is no country's VAT rate is a misread, not a rate."""
    if any(_NATURA_RE.search(text.strip(" |.,;:")) for text in texts):
        return "0"
    for text in sorted(texts, key=lambda t: "%" not in t):
        value = normalize_percentage(text)
        if value is not None and is_vat_rate(value):
            return value
    return None


_PARSERS = {
    "quantity": _quantity,
    "unit_price": normalize_amount,
    "amount": normalize_amount,
}


def _parse_row(row: Line, columns: Sequence[LabelHit]) -> dict[str, str]:
    cells: dict[str, list[str]] = {}
    for word in row.words:
        cells.setdefault(_column_of(word, columns), []).append(word.text)
    item: dict[str, str] = {}
    for key, texts in cells.items():
        text = " ".join(texts)
        if key == "description":
            item[key] = text
        elif key == "vat_rate":
            rate = line_rate(texts)
            if rate is not None:
                item[key] = rate
        else:
            value = _PARSERS[key](text)
            if value is not None:
                item[key] = value
    return item


def extract_lines(rows: Sequence[Line], hits: Sequence[LabelHit]) -> list[dict[str, str]]:
    """Line items (description, quantity, unit_price, amount, vat_rate as canonical strings)."""
    found = _header(rows)
    if found is None:
        return []
    header, columns = found
    # A totals label ends the items where it opens its row, or anywhere on the row right of the description column
    # ("Scadenza pagamento: 26/05/2026      Imponibile 13826,04"): a description may say "totale", a column of
    # figures does not.
    described = any(c.key == "description" for c in columns)
    stops = {id(h.row) for h in hits if h.key in _STOP_KEYS and (
        h.start == 0 or (described and h.key in _TOTAL_KEYS and _column_of(h.words[0], columns) != "description"))}
    items: list[dict[str, str]] = []
    last_bottom = header.bbox[3]
    for row in rows[header.index + 1 :] if rows[header.index] is header else rows:
        if row.page != header.page or row.bbox[1] <= header.bbox[1]:
            continue
        if id(row) in stops or row.bbox[1] - last_bottom > 4 * header.height:
            break
        last_bottom = row.bbox[3]
        item = _parse_row(row, columns)
        if "amount" in item or "unit_price" in item:
            items.append(item)
        elif items and set(item) == {"description"}:
            items[-1]["description"] = (items[-1].get("description", "") + " " + item["description"]).strip()
    return items
