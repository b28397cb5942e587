"""Purchase orders and delivery notes (DDT): header fields by label, CIG/CUP, parties and lines."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.document import ExtractedField, PageWords, Word
from extract.clauses import VAT_NEAR
from extract.layout import Line, all_rows, words_bbox
from extract.normalize import find_amounts, find_dates, normalize_currency, normalize_vat_id

# CIG: ten characters (ANAC); CUP: fifteen (a letter, two digits, a letter, two year digits, eight more).
CIG_RE = re.compile(r"\bCIG\b\s*(?:n\.?|:|nr\.?)?\s*([A-Z0-9]{10})\b", re.IGNORECASE)
CUP_RE = re.compile(r"\bCUP\b\s*(?:n\.?|:|nr\.?)?\s*([A-Z][0-9]{2}[A-Z][0-9A-Z]{11})\b", re.IGNORECASE)
_NUMBER = r"\s*[:.#]?\s*(?:n\.?|nr\.?|no\.?|#)?\s*[:.]?\s*([A-Z0-9][\w/\-.]*(?:\s\d+/\d{4})?)"
ORDER_NUMBER_RE = re.compile(r"\b(?:Ordine\s+n\.?|Numero\s+ordine|N\.\s*ordine|PO\s+Number|Order\s+No\.?|PO\s*#|"
                             r"Purchase\s+order\s+(?:no\.?|number))" + _NUMBER, re.IGNORECASE)
DDT_NUMBER_RE = re.compile(r"\b(?:DDT|D\.D\.T\.|Documento\s+di\s+trasporto|Bolla|Delivery\s+note|Packing\s+slip)"
                           r"\s*(?:n\.?|nr\.?|no\.?|numero|#)?" + _NUMBER, re.IGNORECASE)
DATE_LABELS = {
    "order_date": re.compile(r"\b(?:Data\s+ordine|Order\s+date|Data|Date|del)\b", re.IGNORECASE),
    "delivery_date": re.compile(r"\b(?:Data\s+consegna|Consegna\s+(?:entro\s+il|prevista)|Delivery\s+date|Deliver\s+by|"
                                r"Required\s+by)\b", re.IGNORECASE),
    "ddt_date": re.compile(r"\b(?:Data\s+(?:DDT|documento|spedizione)|Data|Date|del)\b", re.IGNORECASE),
}
ORDER_REF_RE = re.compile(r"\b(?:Rif\.?\s*(?:to\s+)?ordine|Vs\.?\s*ordine|Vostro\s+ordine|Your\s+order|Order\s+ref\.?|"
                          r"Rif\.\s*ODA|PO\s+ref\.?)" + _NUMBER, re.IGNORECASE)
TOTAL_RE = re.compile(r"\b(?:Totale\s+ordine|Totale\s+complessivo|Order\s+total|TOTALE|Total)\b", re.IGNORECASE)
SUPPLIER_LABEL = re.compile(r"^(?:Spett\.le\s+fornitore|Fornitore|Spett\.le|Supplier|Vendor|To)\s*:?\s*", re.IGNORECASE)
CUSTOMER_LABEL = re.compile(r"^(?:Destinatario|Committente|Ordinante|Acquirente|Cliente|Buyer|Ordered\s+by|Bill\s+to|"
                            r"Ship\s+to|Consignee)\s*:?\s*", re.IGNORECASE)


def _span_words(row: Line, start: int, end: int) -> list[Word]:
    """The row's words overlapping the character span of ``row.text``."""
    out, offset = [], 0
    for word in row.words:
        if offset < end and offset + len(word.text) > start:
            out.append(word)
        offset += len(word.text) + 1
    return out or row.words


def _field(name: str, value: object, row: Line, span: tuple[int, int], confidence: float = 0.8) -> ExtractedField:
    return ExtractedField(name, value, confidence, row.page, words_bbox(_span_words(row, *span)))


def _below(rows: Sequence[Line], index: int, span: tuple[int, int]) -> ExtractedField | None:
    """The value printed under a label in a boxed header (label row above, values row below)."""
    row = rows[index]
    label = _span_words(row, *span)
    if index + 1 >= len(rows) or not label:
        return None
    x0 = label[0].bbox[0] - 20
    nxt = rows[index + 1]
    later = [w for w in row.words if w.bbox[0] > label[-1].bbox[2] + 30]
    x1 = later[0].bbox[0] - 10 if later else x0 + 700
    words = [w for w in nxt.words if x0 <= w.bbox[0] < x1]
    if not words:
        return None
    return ExtractedField("value", " ".join(w.text for w in words), 0.7, nxt.page, words_bbox(words))


def _by_regex(rows: Sequence[Line], name: str, pattern: re.Pattern[str]) -> ExtractedField | None:
    for index, row in enumerate(rows):
        match = pattern.search(row.text)
        if match and not re.search(r"\d", match.group(1)):
            found = _below(rows, index, (match.start(), match.start(1)))
            if found and re.search(r"\d", found.value):
                return found
            continue
        if match:
            return _field(name, match.group(1).strip(" .:").upper() if name in ("cig", "cup") else
                          match.group(1).strip(" .:"), row, match.span(1))
    return None


def _dated(rows: Sequence[Line], name: str, *, skip: set[str]) -> ExtractedField | None:
    for i, row in enumerate(rows):
        label = DATE_LABELS[name].search(row.text)
        if not label:
            continue
        for candidate in (row, *rows[i + 1 : i + 2]):
            offset = label.end() if candidate is row else 0
            for start, end, value in find_dates(candidate.text[offset:]):
                if value not in skip:
                    return _field(name, value, candidate, (offset + start, offset + end))
    return None


def _party_after(rows: Sequence[Line], label: re.Pattern[str]) -> tuple[ExtractedField | None, ExtractedField | None]:
    """The name under (or beside) a party label, and the first VAT id within the next few rows."""
    for i, row in enumerate(rows):
        match = label.match(row.text)
        if not match:
            continue
        rest = row.text[match.end() :].strip()
        name_row, span = (row, (match.end(), len(row.text))) if len(rest) > 2 else (
            (rows[i + 1], (0, len(rows[i + 1].text))) if i + 1 < len(rows) else (None, None))
        if name_row is None or span is None:
            return None, None
        name = _field("name", name_row.text[span[0] : span[1]].strip(), name_row, span, 0.7)
        vat = None
        for near in rows[i : i + 6]:
            found = VAT_NEAR.search(near.text)
            if found:
                value = normalize_vat_id((found.group(1) or "") + found.group(2).replace(" ", ""))
                if value:
                    vat = _field("vat", value, near, found.span(2), 0.8)
                    break
        return name, vat
    return None, None


def _total(rows: Sequence[Line]) -> tuple[ExtractedField | None, ExtractedField | None]:
    for row in reversed(rows):
        label = TOTAL_RE.search(row.text)
        if not label:
            continue
        amounts = find_amounts(row.text[label.end() :])
        if amounts:
            start, end, value = amounts[-1]
            span = (label.end() + start, label.end() + end)
            currency = normalize_currency(row.text[label.end() :])
            return _field("total_amount", value, row, span), (
                _field("currency", currency, row, span) if currency else None)
    return None, None


def _named(fields: dict[str, ExtractedField | None]) -> dict[str, ExtractedField]:
    out = {}
    for name, found in fields.items():
        if found is not None:
            found.name = name
            out[name] = found
    return out


def _lines(pages: Sequence[PageWords]) -> list[dict[str, str]]:
    from extract.invoice import LEXICON
    from extract.layout import find_labels
    from extract.lines import extract_lines

    rows = all_rows(pages)
    try:
        return extract_lines(rows, find_labels(rows, LEXICON))
    except Exception:  # the shared line reader is tuned for invoices; a failure costs the lines, not the document
        return []


def extract_order(pages: Sequence[PageWords]) -> tuple[dict[str, ExtractedField], list[dict[str, str]]]:
    """Order fields (interfaces.md §4) and lines."""
    rows = all_rows(pages)
    supplier, supplier_vat = _party_after(rows, SUPPLIER_LABEL)
    customer, _ = _party_after(rows, CUSTOMER_LABEL)
    if customer is None and rows:  # the buyer issues the order: its name heads the page
        customer = _field("customer_name", rows[0].text, rows[0], (0, len(rows[0].text)), 0.5)
    order_date = _dated(rows, "order_date", skip=set())
    delivery = _dated(rows, "delivery_date", skip={order_date.value} if order_date else set())
    total, currency = _total(rows)
    fields = _named({
        "order_number": _by_regex(rows, "order_number", ORDER_NUMBER_RE),
        "order_date": order_date,
        "supplier_name": supplier,
        "supplier_vat": supplier_vat,
        "customer_name": customer,
        "delivery_date": delivery,
        "total_amount": total,
        "currency": currency,
        "cig": _by_regex(rows, "cig", CIG_RE),
        "cup": _by_regex(rows, "cup", CUP_RE),
    })
    return fields, _lines(pages)


def extract_delivery_note(pages: Sequence[PageWords]) -> tuple[dict[str, ExtractedField], list[dict[str, str]]]:
    """DDT fields (DPR 472/1996: number, date, parties, goods) and lines."""
    rows = all_rows(pages)
    customer, _ = _party_after(rows, CUSTOMER_LABEL)
    supplier = _field("supplier_name", rows[0].text, rows[0], (0, len(rows[0].text)), 0.5) if rows else None
    fields = _named({
        "ddt_number": _by_regex(rows, "ddt_number", DDT_NUMBER_RE),
        "ddt_date": _dated(rows, "ddt_date", skip=set()),
        "supplier_name": supplier,
        "customer_name": customer,
        "order_reference": _by_regex(rows, "order_reference", ORDER_REF_RE),
    })
    return fields, _lines(pages)
