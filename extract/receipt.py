"""Receipt fields: the shop's name and address from the header, the date, the amount paid, the currency."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from core.document import ExtractedField, PageWords
from extract.checks import Candidate
from extract.fields import amounts_in, dates_in, label_evidence, make_field
from extract.layout import (
    LabelHit,
    Line,
    find_labels,
    group_lines,
    segments,
    value_below,
    value_right,
    visual_rows,
)
from extract.lexicon import (
    ADDRESS_STOPS,
    COMPANY_SUFFIXES,
    INVOICE_LABELS,
    RECEIPT_DATE_LABELS,
    RECEIPT_NOT_TOTAL,
    RECEIPT_TITLE_WORDS,
    RECEIPT_TOTAL_LABELS,
)
from extract.normalize import fold, normalize_currency, normalize_vat_id

HEADER_LINES = 12  # the shop's name and address are printed before this many lines
_SUFFIX_RE = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(re.escape(s) for s in COMPANY_SUFFIXES) + r")(?![a-z0-9])"
)
_TITLE_RE = re.compile(r"^(?:" + "|".join(re.escape(t) for t in RECEIPT_TITLE_WORDS) + r")\b")
_STOP_RE = re.compile(r"^(?:" + "|".join(re.escape(s) for s in ADDRESS_STOPS) + r")\b")
_REGNO_RE = re.compile(r"^\(?[A-Z]{0,4}[\s\-]?\d{4,}[\s\-]?[A-Z]?\)?$|^\(.*\d.*\)$")
_TRAILING_REGNO_RE = re.compile(r"\s*(?:\([^()]*\d{4,}[^()]*\)|\b\d{4,}-?[A-Z]\b.*)\s*$")
_POSTCODE_RE = re.compile(r"(?<![\d-])\d{5}(?![\d-])")
_PHONE_RE = re.compile(r"\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}")
_ADDRESS_WORDS = re.compile(
    r"(?<![a-z])(?:no|lot|jalan|jln|taman|via|viale|piazza|corso|street|st|road|rd|avenue|"
    r"strasse|str|rue|avenue|calle|avenida|plaza|blok|block|floor|level|kg|kampung)"
    r"(?![a-z])|\b\d{5}\b"
)


def _folded(line: Line) -> str:
    return fold(line.text)


def _is_title(line: Line) -> bool:
    return bool(_TITLE_RE.match(_folded(line)))


def _is_registration(line: Line) -> bool:
    text = line.text.strip()
    folded = _folded(line)
    return (
        bool(_REGNO_RE.match(text))
        or bool(re.search(r"\b(?:co|company|roc|reg|business)\b.*\bno\b", folded))
        or bool(re.search(r"\bno\b.*\d{4,}-?[A-Z]\)?$", text))
    )


def _is_phone(line: Line) -> bool:
    """A line that is mostly a telephone/fax number ("03-8051 9514", "T: 03-2093 7358 | F: ...")."""
    letters = sum(c.isalpha() for c in line.text)
    return (
        bool(_PHONE_RE.search(line.text)) and letters <= 6 and not re.search(r"\b\d{5}\b\s+[A-Z]", line.text)
    )


def _is_stop(line: Line) -> bool:
    folded = _folded(line)
    return (
        bool(_STOP_RE.match(folded))
        or _is_title(line)
        or bool(_PHONE_RE.search(line.text) and "tel" in folded)
    )


def _nameish(line: Line) -> bool:
    letters = sum(c.isalpha() for c in line.text)
    return letters >= 3 and letters / max(1, len(line.text.replace(" ", ""))) >= 0.6


def _supplier_name(lines: Sequence[Line]) -> tuple[list[Line], int] | None:
    """The name's line(s) and the index after them: a legal-form suffix wins, else the first name-like line."""
    header = lines[:HEADER_LINES]
    start = next(
        (i for i, line in enumerate(header[:6]) if _SUFFIX_RE.search(_folded(line)) and _nameish(line)), None
    )
    if start is None:
        start = next(
            (
                i
                for i, line in enumerate(header)
                if _nameish(line)
                and not _is_title(line)
                and not _is_stop(line)
                and not _ADDRESS_WORDS.search(_folded(line))
            ),
            None,
        )
    if start is None:
        return None
    chosen = [header[start]]
    # "POPULAR BOOK" / "CO. (M) SDN BHD": a line that starts with the legal form continues the line above.
    match = _SUFFIX_RE.search(_folded(header[start]))
    if (
        match
        and match.start() == 0
        and start > 0
        and _nameish(header[start - 1])
        and not _is_title(header[start - 1])
    ):
        chosen.insert(0, header[start - 1])
    # A name broken over two lines ends in "&" or "-" or the next line finishes the legal form.
    nxt = start + 1
    if nxt < len(lines) and (
        chosen[0].text.rstrip().endswith(("&", "-", " AND"))
        or (
            not _SUFFIX_RE.search(_folded(chosen[0]))
            and _nameish(lines[nxt])
            and _SUFFIX_RE.search(_folded(lines[nxt]))
            and not _is_stop(lines[nxt])
        )
    ):
        chosen.append(lines[nxt])
        nxt += 1
    return chosen, nxt


def _ends_address(picked: Sequence[Line], line: Line) -> bool:
    """After the postcode line only a lone region word ("JOHOR", "SELANGOR.") still belongs to the address."""
    if not any(_POSTCODE_RE.search(p.text) for p in picked):
        return False
    words = line.text.split()
    return not (len(words) == 1 or (len(words) == 2 and line.text.rstrip().endswith(".")))


def _supplier_address(lines: Sequence[Line], start: int) -> list[Line]:
    """Lines after the name until phone, tax id, title or date lines; a branch name or registration number
    printed before the street is skipped."""
    picked: list[Line] = []
    skipped = 0
    for line in lines[start : start + 9]:
        if _is_stop(line) or _is_phone(line) or dates_in(line.words) or (picked and _is_registration(line)):
            break
        if (
            not picked
            and (_is_registration(line) or not _ADDRESS_WORDS.search(_folded(line)))
            and skipped < 2
        ):
            skipped += 1
            continue
        if picked and _ends_address(picked, line):
            break
        picked.append(line)
    if not picked or not any(_ADDRESS_WORDS.search(_folded(line)) for line in picked):
        return []
    return picked[:6]


_POSTCODE_START_RE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|\d{4,5})\b")


def _join_address(lines: Sequence[str]) -> str:
    """Lines joined by spaces; a European "street / postcode City" break is a comma when none is printed (all
    upper-case slips, as in Malaysia, print their commas where they mean them)."""
    text = lines[0] if lines else ""
    for line in lines[1:]:
        comma = _POSTCODE_START_RE.match(line) and not text.endswith((",", ".")) and line != line.upper()
        text += (", " if comma else " ") + line
    return text


def _issue_date(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    for hit in hits:
        if hit.key != "date":
            continue
        found = dates_in(value_right(hit, hits)) or dates_in(value_below(hit, rows, hits, max_rows=1))
        if found:
            value, words = found[0]
            return make_field("issue_date", value, words, label_evidence(hit, words, pattern=0.9))
    for row in rows:
        found = dates_in(row.words)
        if found:
            value, words = found[0]
            return make_field("issue_date", value, words, label_evidence(None, words, pattern=0.8))
    return None


def _excluded(hit: LabelHit) -> bool:
    """Labels that read as totals but are quantities, subtotals, tax or change; or a total not leading its
    column ("GST INCLUDED IN TOTAL" names the tax)."""
    start, end = next(((s, e) for s, e in segments(hit.row) if s <= hit.start < e), (0, len(hit.row.words)))
    rest = fold(" ".join(w.text for w in hit.row.words[hit.start : end]))
    return hit.start > start + 1 or any(rest.startswith(fold(label)) for label in RECEIPT_NOT_TOTAL)


def _total_candidates(rows: Sequence[Line], hits: Sequence[LabelHit]) -> list[Candidate]:
    candidates: list[Candidate] = []
    n = max(1, len(rows))
    for hit in hits:
        if hit.key not in RECEIPT_TOTAL_LABELS or _excluded(hit):
            continue
        found = amounts_in(value_right(hit, hits))
        below = False
        if not found:
            found, below = amounts_in(value_below(hit, rows, hits, max_rows=1)), True
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
    return candidates


def _subtotal_candidates(rows: Sequence[Line], hits: Sequence[LabelHit]) -> list[Candidate]:
    candidates = []
    for hit in hits:
        if hit.key == "not_total" and fold(hit.label) in ("subtotal", "sub total"):
            found = amounts_in(value_right(hit, hits)) or amounts_in(value_below(hit, rows, hits, max_rows=1))
            if found:
                candidates.append(Candidate(found[-1][0], 0.3, (hit, found[-1][1])))
    return candidates


def _cash_minus_change(rows: Sequence[Line], hits: Sequence[LabelHit]) -> Decimal | None:
    """What was paid: cash tendered minus change, when both are printed."""
    values: dict[str, Decimal] = {}
    for hit in hits:
        if hit.key in ("cash", "change") and hit.start <= 1:
            found = amounts_in(value_right(hit, hits))
            if found:
                values.setdefault(hit.key, abs(Decimal(found[-1][0])))
    if "cash" in values and "change" in values:
        return values["cash"] - values["change"]
    return None


def _total(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    candidates = _total_candidates(rows, hits)
    paid = _cash_minus_change(rows, hits)
    for candidate in candidates:
        if paid is not None and Decimal(candidate.value) == paid:
            candidate.score += 0.5
    if not candidates:
        candidates = _subtotal_candidates(rows, hits)  # no total printed: the subtotal is what was paid
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c.score)
    hit, words = best.payload  # type: ignore[misc]
    agrees = None if paid is None else Decimal(best.value) == paid
    return make_field(
        "total_amount", best.value, words, label_evidence(hit, words, pattern=0.8, arithmetic=agrees)
    )


def _currency(rows: Sequence[Line]) -> ExtractedField | None:
    counts: Counter[str] = Counter()
    where: dict[str, list] = {}
    for row in rows:
        for word in row.words:
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
    "supplier_vat": INVOICE_LABELS["supplier_vat"],
}


def extract_receipt(pages: list[PageWords]) -> dict[str, ExtractedField]:
    """Receipt fields of interfaces.md §4; absent fields are left out."""
    if not pages:
        return {}
    rows = [row for page in pages for row in visual_rows(page)]
    lines = group_lines(pages[0])
    hits = find_labels(rows, _LEXICON)
    fields: list[ExtractedField | None] = []
    name = _supplier_name(lines)
    if name:
        name_lines, after = name
        words = [w for line in name_lines for w in line.words]
        # A registration number printed after the name, "(682288-V)", is not part of it.
        value = (
            _TRAILING_REGNO_RE.sub("", " ".join(line.text.strip() for line in name_lines))
            or name_lines[0].text
        )
        suffix = bool(_SUFFIX_RE.search(fold(value)))
        fields.append(
            make_field(
                "supplier_name", value, words, label_evidence(None, words, pattern=0.8 if suffix else 0.5)
            )
        )
        address = _supplier_address(lines, after)
        if address:
            words = [w for line in address for w in line.words]
            fields.append(
                make_field(
                    "supplier_address",
                    _join_address([line.text.strip() for line in address]),
                    words,
                    label_evidence(None, words, pattern=0.5),
                )
            )
    fields += [_issue_date(rows, hits), _total(rows, hits), _currency(rows), _supplier_vat(hits)]
    return {f.name: f for f in fields if f is not None}
