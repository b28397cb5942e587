"""Receipt fields: the shop's name and address from the header, the date, the amount paid, the currency."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from core.document import ExtractedField, PageWords, Word, union_bbox
from extract.checks import Candidate
from extract.fields import amounts_in, dates_in, label_evidence, make_field
from extract.layout import LabelHit, Line, find_labels, segments, value_below, value_right, visual_rows
from extract.lexicon import INVOICE_LABELS, RECEIPT_DATE_LABELS, RECEIPT_NOT_TOTAL, RECEIPT_TOTAL_LABELS
from extract.normalize import fold, normalize_currency, normalize_vat_id
from extract.receipt_header import header_fields

_TIME_LABELS = {"time", "ora", "zeit", "uhrzeit", "heure", "hora"}


def _dates(words: Sequence[Word]) -> list[tuple[str, list[Word]]]:
    """Dates among the words, but for a time that reads like one ("Time 16.07.00"; not "Entry time 30/04/2017")."""
    found = []
    for value, span in dates_in(words):
        index = next((i for i, w in enumerate(words) if w is span[0]), 0)
        clock = re.fullmatch(r"\d{1,2}[.:]\d{2}[.:]\d{2}", "".join(w.text for w in span))
        if clock and index and fold(words[index - 1].text).strip(" :.") in _TIME_LABELS:
            continue
        found.append((value, span))
    return found


def _issue_date(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    for hit in hits:
        if hit.key != "date":
            continue
        found = _dates(value_right(hit, hits)) or _dates(value_below(hit, rows, hits, max_rows=1))
        if found:
            value, words = found[0]
            return make_field("issue_date", value, words, label_evidence(hit, words, pattern=0.9))
    for row in rows:
        for value, words in _dates(row.words):
            # An unlabelled date glued to a product code ("XE11-22 - 30") or in the future is not the sale's;
            # one glued to its own label ("Date:02/02/17") is.
            glued = re.match(r"[^\W\d]+", words[0].text)
            if (glued and fold(glued.group(0)) not in RECEIPT_DATE_LABELS) or value > date.today().isoformat():
                continue
            return make_field("issue_date", value, words, label_evidence(None, words, pattern=0.8))
    return None


def _excluded(hit: LabelHit) -> bool:
    """Labels that read as totals but are quantities, subtotals, tax or change; or a total not leading its
    column ("GST INCLUDED IN TOTAL" names the tax), or inside a bracketed note ("(Total Included GST ...)")."""
    start, end = next(((s, e) for s, e in segments(hit.row) if s <= hit.start < e), (0, len(hit.row.words)))
    rest = fold(" ".join(w.text for w in hit.row.words[hit.start : end]))
    before = fold(" ".join(w.text for w in hit.row.words[: hit.start]))
    return (
        hit.start > start + 1
        or hit.row.text.lstrip().startswith("(")
        or bool(re.search(r"\b(?:gst|tax|vat|incl|included)\b", before))
        # "TOTAL QTY" is not a total, but "TOTAL (GST INCL)" is, though it starts as "total gst" does.
        or any(rest.startswith(fold(label)) and len(fold(label)) > len(hit.label) for label in RECEIPT_NOT_TOTAL)
    )


# Real OCR glues the currency to the amount ("RM7.72", "CRM_34,80") and splits decimals ("29. 70").
_CURRENCY_PREFIX_RE = re.compile(r"^([-−]?)[^\d\s]{0,2}?(?:RM|MYR|S\$)[_:.]?(?=\d)", re.IGNORECASE)


def _amounts(words: Sequence[Word]) -> list[tuple[str, list[Word]]]:
    """Amounts among value words read the way real receipt OCR prints them; rates ("6%", "@6%") are not."""
    cleaned: list[Word] = []
    for word in words:
        text = _CURRENCY_PREFIX_RE.sub(r"\1", word.text)
        if "%" in text or "@" in text:
            continue
        if re.fullmatch(r"\d+-\d{2}", text):
            text = text.replace("-", ".")  # "CHANGE 76-00": the decimal point read as a dash
        last = cleaned[-1] if cleaned else None
        if last is not None and re.fullmatch(r"\d+[.,]", last.text) and re.fullmatch(r"\d{2}", text):
            cleaned[-1] = replace(last, text=last.text + text, bbox=union_bbox([last.bbox, word.bbox]))
            continue
        cleaned.append(replace(word, text=text))
    return amounts_in(cleaned)


def _total_candidates(rows: Sequence[Line], hits: Sequence[LabelHit]) -> list[Candidate]:
    candidates: list[Candidate] = []
    n = max(1, len(rows))
    for hit in hits:
        if hit.key not in RECEIPT_TOTAL_LABELS or _excluded(hit):
            continue
        found = _amounts(value_right(hit, hits))
        below = False
        if not found:
            found, below = _amounts(value_below(hit, rows, hits, max_rows=1)), True
        if not found:
            continue
        value, words = found[-1]
        score = RECEIPT_TOTAL_LABELS[hit.key] * hit.score - (0.3 if below else 0.0) + 0.2 * hit.row.index / n
        if Decimal(value) <= 0:
            score -= 1.0
        candidates.append(Candidate(value, score, (hit, words)))
    counts = Counter(c.value for c in candidates)
    for candidate in candidates:
        candidate.score += 0.25 * (counts[candidate.value] - 1)  # the same amount under two totals labels
    summary = min(
        (_position(rows, h.row) for h in hits if h.key == "not_total" and h.label == "gst summary"), default=None
    )
    if summary is not None:
        for candidate in candidates:
            if _position(rows, candidate.payload[0].row) > summary:  # type: ignore[index]
                candidate.score -= 1.0  # "TOTAL 52.00 3.12" of the tax summary table: net and tax, not paid
    return candidates


def _position(rows: Sequence[Line], row: Line) -> int:
    return next(i for i, r in enumerate(rows) if r is row)


def _subtotal_candidates(rows: Sequence[Line], hits: Sequence[LabelHit]) -> list[Candidate]:
    candidates = []
    for hit in hits:
        if hit.key == "not_total" and fold(hit.label) in ("subtotal", "sub total"):
            found = _amounts(value_right(hit, hits)) or _amounts(value_below(hit, rows, hits, max_rows=1))
            if found:
                candidates.append(Candidate(found[-1][0], 0.3, (hit, found[-1][1])))
    return candidates


def _decimal_amount(hit: LabelHit, hits: Sequence[LabelHit]) -> tuple[Decimal, list[Word]] | None:
    """The amount printed right of a label and its words, only when read with its decimals ("312" may be
    "3.12")."""
    found = [(v, w) for v, w in _amounts(value_right(hit, hits)) if re.search(r"[.,]\d{2}$", w[-1].text)]
    return (Decimal(found[-1][0]), found[-1][1]) if found else None


_ADDERS: dict[str, list[str]] = {
    "tax": ["gst", "tax", "gov tax", "gst tax", "service tax", "sst", "vat"],
    "service": ["service charge", "svc charge", "service chg"],
    "rounding": ["rounding", "rounding adj", "rounding adjustment", "round adj"],
}


def _added_up(rows: Sequence[Line], hits: Sequence[LabelHit]) -> tuple[Decimal, Decimal] | None:
    """The subtotal and what it adds up to with the tax, service charge and rounding printed under it, when a
    subtotal and a tax amount are read; tax "included" in the total or in a summary table is not added."""
    subtotal = next((h for h in hits if h.key == "not_total" and fold(h.label) in ("subtotal", "sub total")), None)
    found = _decimal_amount(subtotal, hits) if subtotal is not None else None
    if subtotal is None or found is None:
        return None
    value = found[0]
    after = _position(rows, subtotal.row)
    added: dict[str, Decimal] = {}
    # Looked up on their own: as labels of the main lexicon, "GST" would cut "Total Incl. GST: 7.00" short.
    for hit in find_labels(rows, _ADDERS):
        if hit.key not in ("tax", "service", "rounding") or hit.key in added or hit.start > 1:
            continue
        if _position(rows, hit.row) <= after or re.search(r"\b(?:incl\w*|summary)\b", fold(hit.row.text)):
            continue
        amount = _decimal_amount(hit, hits)
        if amount is not None:
            added[hit.key] = amount[0]
    if not added.get("tax"):
        return None
    return value, value + sum(added.values())


def _tendered(hits: Sequence[LabelHit]) -> dict[str, tuple[Decimal, LabelHit, list[Word]]]:
    """The cash handed over and the change given back, each with its label and words, when printed."""
    values: dict[str, tuple[Decimal, LabelHit, list[Word]]] = {}
    for hit in hits:
        if hit.key in ("cash", "change") and hit.start <= 1 and fold(" ".join(w.text for w in hit.words)) != "charge":
            found = _amounts(value_right(hit, hits))
            if found:
                values.setdefault(hit.key, (abs(Decimal(found[-1][0])), hit, found[-1][1]))
    return values


def _total(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    candidates = _total_candidates(rows, hits)
    tendered = _tendered(hits)
    # What was paid: cash tendered minus change, when both are printed.
    paid = tendered["cash"][0] - tendered["change"][0] if {"cash", "change"} <= tendered.keys() else None
    subtotals = _subtotal_candidates(rows, hits)
    if not candidates:
        candidates = subtotals  # no total printed: the subtotal is what was paid
    elif paid is not None and not any(Decimal(c.value) == paid for c in candidates):
        candidates += subtotals  # the totals labels were misread; a subtotal that is what was paid stands in
    if not candidates and "cash" in tendered:
        # No total or subtotal could be read: what the cash line says was paid, less any change.
        cash, hit, words = tendered["cash"]
        value = paid if paid is not None and paid > 0 else cash
        candidates = [Candidate(f"{value:.2f}", 0.0, (hit, words))]
    # "Total 9280" for 92.80 paid, "Total 700" under "Subtotal 7.00": the OCR lost the decimal point.
    for witness in [paid, *(Decimal(c.value) for c in subtotals)]:
        if witness is not None and witness > 0 and not any(Decimal(c.value) == witness for c in candidates):
            for candidate in candidates:
                if Decimal(candidate.value) == witness * 100:
                    candidate.value = f"{witness:.2f}"
    summed = _added_up(rows, hits)
    if summed is not None:
        subtotal, expected = summed
        printed = [c for c in candidates if c not in subtotals and Decimal(c.value) >= subtotal]
        if not printed and not any(paid is not None and Decimal(c.value) == paid for c in candidates):
            # No total could be read (or only amounts below the subtotal): subtotal plus tax is what was paid.
            hit, words = (subtotals or candidates)[0].payload if (subtotals or candidates) else (None, [])
            candidates.append(Candidate(f"{expected:.2f}", 0.6, (hit, words)))
        for candidate in candidates:
            if Decimal(candidate.value) == expected:
                candidate.score += 0.3
    if "cash" in tendered:
        witnesses = [v for v in (paid, summed[1] if summed else None) if v is not None]
        _beyond_cash(candidates, tendered["cash"], witnesses)
    _rounded(candidates, hits)
    if paid is not None and paid > 0:
        _one_digit_from_paid(candidates, paid)
    for candidate in candidates:
        if paid is not None and Decimal(candidate.value) == paid:
            candidate.score += 0.5
    candidates = [c for c in candidates if Decimal(c.value) > 0]  # nothing is paid with a total of 0.00
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c.score)
    hit, words = best.payload  # type: ignore[misc]
    agrees = None if paid is None else Decimal(best.value) == paid
    return make_field(
        "total_amount", best.value, words, label_evidence(hit, words, pattern=0.8, arithmetic=agrees)
    )


def _one_digit_from_paid(candidates: list[Candidate], paid: Decimal) -> None:
    """A total one digit away from what cash less change says was paid ("55.20" printed, 100.20 - 47.00 paid)
    is that amount with a digit misread: two amounts that agree outweigh one. A cent or two apart is the cash
    rounding of the total, not a misreading."""
    wanted = f"{paid:.2f}"
    for candidate in candidates:
        value = candidate.value
        if (
            len(value) == len(wanted)
            and sum(a != b for a, b in zip(value, wanted, strict=True)) == 1
            and abs(Decimal(value) - paid) > _ROUNDING_STEP
        ):
            candidate.value = wanted


def _beyond_cash(
    candidates: list[Candidate], cash: tuple[Decimal, LabelHit, list[Word]], witnesses: Sequence[Decimal]
) -> None:
    """A total above the cash handed over is a misreading ("352.00" for 52.00, "8280" for 92.80): it loses to
    what the cash less change, or the subtotal plus tax, say was paid, added as a candidate where missing."""
    amount, hit, words = cash
    if not any(Decimal(c.value) > amount for c in candidates):
        return
    for candidate in candidates:
        if Decimal(candidate.value) > amount:
            candidate.score -= 0.6
    for value in witnesses:
        if 0 < value <= amount and not any(Decimal(c.value) == value for c in candidates):
            candidates.append(Candidate(f"{value:.2f}", 0.5, (hit, words)))


# Cash totals are rounded to the smallest coin in use (5 sen, 5 euro cents): at most this far apart.
_ROUNDING_STEP = Decimal("0.05")


def _rounded(candidates: list[Candidate], hits: Sequence[LabelHit]) -> None:
    """A "Rounding" row that carries an amount a coin step away from the best total (not the adjustment of a
    cent or two) prints the rounded total, which is what was paid: "Total 45.34 / Rounding 45.35"."""
    if not candidates:
        return
    best = max(candidates, key=lambda c: c.score)
    total = Decimal(best.value)
    for hit in hits:
        if hit.key != "not_total" or fold(hit.label) != "rounding" or hit.start > 0:
            continue
        found = _decimal_amount(hit, hits)
        if found is None:
            continue
        amount, words = found
        if amount == total or abs(amount - total) > _ROUNDING_STEP or amount < 1:
            continue
        if _position_after(hit, best):
            candidates.append(Candidate(f"{amount:.2f}", best.score + 0.3, (hit, words)))
            return


def _position_after(hit: LabelHit, candidate: Candidate) -> bool:
    """Whether the label's row comes after the candidate's (rounding is printed under the total)."""
    label = candidate.payload[0] if isinstance(candidate.payload, tuple) else None
    return label is None or (hit.row.page, hit.row.index) > (label.row.page, label.row.index)


def _currency(rows: Sequence[Line]) -> ExtractedField | None:
    counts: Counter[str] = Counter()
    where: dict[str, list] = {}
    for row in rows:
        postcode = re.search(r"\b\d{5}\b", row.text)
        for word in row.words:
            if postcode and re.fullmatch(r"\([A-Z]{2}\)", word.text):
                continue  # "00185 Roma (RM)": the province, not ringgit
            code = normalize_currency(word.text) if len(word.text) <= 4 or word.text[0] in "€$£" else None
            if code:
                counts[code] += 1
                where.setdefault(code, [word])
    if not counts:
        return None
    code, count = counts.most_common(1)[0]
    words = where[code]
    return make_field(
        "currency", code, words, label_evidence(None, words, pattern=min(1.0, 0.5 + 0.1 * count))
    )


def _supplier_vat(hits: Sequence[LabelHit]) -> ExtractedField | None:
    for hit in hits:
        if hit.key == "supplier_vat":
            words = value_right(hit, hits)[:3]
            value = normalize_vat_id(" ".join(w.text for w in words)) if words else None
            if value:
                return make_field("supplier_vat", value, words, label_evidence(hit, words, pattern=0.8))
    return None


_LEXICON: dict[str, list[str]] = {
    **{label: [label] for label in RECEIPT_TOTAL_LABELS},
    "not_total": RECEIPT_NOT_TOTAL,
    "date": RECEIPT_DATE_LABELS,
    "cash": ["cash", "contanti", "bar", "especes", "efectivo", "tendered", "payment"],
    "change": ["change", "resto", "ruckgeld", "rendu", "cambio", "change due"],
    "supplier_vat": [*INVOICE_LABELS["supplier_vat"], "tva"],  # a receipt's "TVA FR.." is the shop's number
}


def extract_receipt(pages: list[PageWords]) -> dict[str, ExtractedField]:
    """Receipt fields of interfaces.md §4; absent fields are left out."""
    if not pages:
        return {}
    rows = [row for page in pages for row in visual_rows(page)]
    hits = find_labels(rows, _LEXICON)
    fields: list[ExtractedField | None] = [*header_fields(pages[0])]
    fields += [_issue_date(rows, hits), _total(rows, hits), _currency(rows), _supplier_vat(hits)]
    return {f.name: f for f in fields if f is not None}
