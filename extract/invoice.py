"""Invoice and credit-note fields from word geometry, label lexicons and value patterns."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from core.document import Check, ExtractedField, PageWords, Word
from extract.checks import Candidate, choose_totals, run_checks
from extract.fields import amounts_in, dates_in, label_evidence, make_field
from extract.layout import LabelHit, Line, all_rows, find_labels, totals_block, value_below, value_right
from extract.lexicon import COMPANY_SUFFIXES, CUSTOMER_LABELS, INVOICE_LABELS, SUPPLIER_LABELS
from extract.lines import extract_lines
from extract.normalize import (
    fold,
    normalize_currency,
    normalize_iban,
    normalize_percentage,
    normalize_tax_code,
    normalize_vat_id,
)
from extract.validators import validate_iban, validate_tax_code, validate_vat_id

LEXICON = {**INVOICE_LABELS, "customer_block": CUSTOMER_LABELS, "supplier_block": SUPPLIER_LABELS}
_SUFFIX_RE = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(re.escape(s) for s in COMPANY_SUFFIXES) + r")(?![a-z0-9])"
)
_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9/\-_.]{0,24}$", re.IGNORECASE)
_VAT_RE = re.compile(
    r"\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|CH)"
    r"\s?U?[0-9A-Z]{8,12}\b|\b\d{11}\b"
)
_CF_RE = re.compile(r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}\b")

Fields = dict[str, ExtractedField]


def _value_words(hit: LabelHit, rows: Sequence[Line], hits: Sequence[LabelHit]) -> tuple[list[Word], bool]:
    """Words right of the label, else under it; the flag says the value came from below."""
    right = value_right(hit, hits)
    if right:
        return right, False
    return value_below(hit, rows, hits), True


# ---------------------------------------------------------------- amounts


def _amount_candidates(
    key: str, rows: Sequence[Line], hits: Sequence[LabelHit], block: tuple[int, int] | None
) -> list[Candidate]:
    candidates = []
    for hit in hits:
        if hit.key != key:
            continue
        words, below = _value_words(hit, rows, hits)
        words = [w for w in words if "%" not in w.text]  # "IVA 22% 22,00": the rate is not the amount
        for value, source in amounts_in(words)[-1:]:
            if len(value.split(".")[0].lstrip("-")) > 9:
                continue  # an 11-digit P.IVA is not an amount
            score = hit.strength - (0.1 if below else 0.0)
            if block and block[0] <= hit.row.index <= block[1]:
                score += 0.3
            score += 0.05 * hit.row.index / max(1, len(rows))
            candidates.append(Candidate(value, score, (hit, source)))
    return candidates


def _amount_fields(rows: Sequence[Line], hits: Sequence[LabelHit]) -> Fields:
    block = totals_block(rows, hits)
    nets, vats, totals = (
        _amount_candidates(k, rows, hits, block) for k in ("net_amount", "vat_amount", "total_amount")
    )
    chosen = choose_totals(nets, vats, totals)
    consistent = chosen[3]
    fields: Fields = {}
    for name, candidate in zip(("net_amount", "vat_amount", "total_amount"), chosen[:3], strict=True):
        if candidate is None:
            continue
        hit, words = candidate.payload  # type: ignore[misc]
        agrees = consistent if all(chosen[:3]) else None
        fields[name] = make_field(
            name, candidate.value, words, label_evidence(hit, words, pattern=0.8, arithmetic=agrees)
        )
    return fields


def _vat_rate(hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    for key in ("vat_rate", "vat_amount"):
        for hit in hits:
            if hit.key != key:
                continue
            words, _ = _value_words(hit, rows, hits) if key == "vat_rate" else (value_right(hit, hits), False)
            pool = [w for w in [*hit.words, *words] if "%" in w.text or key == "vat_rate"]
            for word in pool:
                if re.search(r"\d", word.text):
                    value = normalize_percentage(word.text)
                    if value is not None and (key == "vat_rate" or "%" in word.text):
                        return make_field("vat_rate", value, [word], label_evidence(hit, [word], pattern=0.8))
    return None


# ---------------------------------------------------------------- dates, numbers, free text


def _date_field(name: str, hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    for hit in sorted((h for h in hits if h.key == name), key=lambda h: -h.strength):
        words, below = _value_words(hit, rows, hits)
        found = dates_in(words)
        if found:
            value, source = found[0]
            return make_field(
                name, value, source, label_evidence(hit, source, pattern=0.8 if not below else 0.7)
            )
    return None


def _reference(name: str, key: str, hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    """A document number: the first token with a digit after the label that is not a date."""
    for hit in sorted((h for h in hits if h.key == key), key=lambda h: -h.strength):
        words, _ = _value_words(hit, rows, hits)
        for word in words[:3]:
            token = word.text.strip(":.,;#°º")
            if token and _NUMBER_RE.match(token) and re.search(r"\d", token) and not dates_in([word]):
                return make_field(name, token, [word], label_evidence(hit, [word], pattern=0.75))
    return None


def _free_text(name: str, hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    for hit in hits:
        if hit.key == name:
            words, _ = _value_words(hit, rows, hits)
            text = " ".join(w.text for w in words).strip(" :")
            if 2 <= len(text) <= 120:
                return make_field(name, text, words, label_evidence(hit, words, pattern=0.5))
    return None


# ---------------------------------------------------------------- parties and identifiers


def _customer_region(rows: Sequence[Line], hits: Sequence[LabelHit]) -> set[int]:
    """ids of words in the buyer's block: the label's row and up to six rows below, in its column."""
    region: set[int] = set()
    for hit in hits:
        if hit.key != "customer_block":
            continue
        x0 = hit.bbox[0] - 30
        for row in rows:
            if row.page == hit.row.page and hit.row.index <= row.index <= hit.row.index + 6:
                region.update(
                    id(w)
                    for w in row.words
                    if w.bbox[2] >= x0 and (row is not hit.row or w.bbox[0] >= hit.bbox[0])
                )
    return region


def _nearest_label(row: Line, index: int, hits: Sequence[LabelHit]) -> LabelHit | None:
    before = [h for h in hits if h.row is row and h.end <= index and h.key in ("supplier_vat", "tax_code")]
    return max(before, key=lambda h: h.end) if before else None


def _identifiers(rows: Sequence[Line], hits: Sequence[LabelHit], customer: set[int]) -> Fields:
    fields: Fields = {}
    for row in rows:
        text = " ".join(w.text for w in row.words)
        offsets = [sum(len(w.text) + 1 for w in row.words[:i]) for i in range(len(row.words))]
        for regex in (_CF_RE, _VAT_RE):
            for match in regex.finditer(text.upper()):
                index = max(i for i, off in enumerate(offsets) if off <= match.start())
                words = [
                    w
                    for w, off in zip(row.words, offsets, strict=True)
                    if match.start() <= off + len(w.text) and off < match.end()
                ]
                label = _nearest_label(row, index, hits)
                party = "customer" if any(id(w) in customer for w in words) else "supplier"
                raw = match.group()
                if regex is _CF_RE or (label and label.key == "tax_code"):
                    value, name, ok = normalize_tax_code(raw), f"{party}_tax_code", None
                    if value:
                        ok = validate_tax_code(value)[0]
                elif raw.isdigit() and not label:
                    continue  # 11 bare digits without a P.IVA/CF label could be anything
                else:
                    value, name = normalize_vat_id(raw), f"{party}_vat"
                    ok = validate_vat_id(value)[0] if value else None
                if value and name not in fields:
                    fields[name] = make_field(
                        name, value, words, label_evidence(label, words, pattern=0.8, validator=ok)
                    )
    _spaced_vat_ids(hits, customer, fields)
    return fields


def _spaced_vat_ids(hits: Sequence[LabelHit], customer: set[int], fields: Fields) -> None:
    """VAT ids printed in groups ("GB 123 4567 89") after a VAT label, which the pattern scan misses."""
    for hit in hits:
        if hit.key != "supplier_vat":
            continue
        words = value_right(hit, hits)[:5]
        value = normalize_vat_id(" ".join(w.text for w in words)) if words else None
        name = "customer_vat" if any(id(w) in customer for w in words) else "supplier_vat"
        if value and name not in fields:
            fields[name] = make_field(
                name,
                value,
                words,
                label_evidence(hit, words, pattern=0.7, validator=validate_vat_id(value)[0]),
            )


def _nameish(row: Line) -> bool:
    letters = sum(c.isalpha() for c in row.text)
    return letters >= 3 and letters / max(1, len(row.text.replace(" ", ""))) >= 0.6


def _names(rows: Sequence[Line], hits: Sequence[LabelHit], customer: set[int]) -> Fields:
    fields: Fields = {}
    labelled = {id(h.row) for h in hits if h.key not in ("customer_block", "supplier_block")}
    first_page = [r for r in rows if r.page == rows[0].page] if rows else []
    for row in first_page[:15]:
        words = [w for w in row.words if id(w) not in customer]
        if not words or id(row) in labelled:
            continue
        part = Line(words, row.page, row.index)
        if _SUFFIX_RE.search(fold(part.text)) and _nameish(part):
            fields["supplier_name"] = make_field(
                "supplier_name", part.text, words, label_evidence(None, words, pattern=0.8)
            )
            break
    for hit in hits:
        if hit.key != "customer_block":
            continue
        right = value_right(hit, hits)
        candidates = [right] if right else []
        candidates += [
            [w for w in r.words if id(w) in customer]
            for r in rows
            if r.page == hit.row.page and hit.row.index < r.index <= hit.row.index + 3
        ]
        for words in candidates:
            if words and _nameish(Line(words, hit.row.page)) and id(words[0]) not in labelled:
                text = " ".join(w.text for w in words).strip(" :")
                fields["customer_name"] = make_field(
                    "customer_name", text, words, label_evidence(hit, words, pattern=0.6)
                )
                break
        if "customer_name" in fields:
            break
    return fields


def _iban(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    for row in rows:
        text = " ".join(w.text for w in row.words).upper()
        for match in _IBAN_RE.finditer(re.sub(r"^.*?IBAN\s*[:.]?\s*", "", text)):
            value = normalize_iban(match.group())
            if value:
                words = [
                    w
                    for w in row.words
                    if w.text.upper().replace(" ", "") in value.replace(" ", "") and len(w.text) >= 2
                ] or row.words
                label = next((h for h in hits if h.row is row and h.key == "iban"), None)
                return make_field(
                    "iban",
                    value,
                    words,
                    label_evidence(label, words, pattern=0.9, validator=validate_iban(value)[0]),
                )
    return None


def _currency(rows: Sequence[Line]) -> ExtractedField | None:
    counts: Counter[str] = Counter()
    first: dict[str, Word] = {}
    for row in rows:
        for word in row.words:
            if len(word.text) <= 5 or word.text[0] in "€$£":
                code = normalize_currency(word.text)
                if code and not (code == "MYR" and word.text.upper() != "RM"):
                    counts[code] += 1
                    first.setdefault(code, word)
    if not counts:
        return None
    code, count = counts.most_common(1)[0]
    return make_field(
        "currency",
        code,
        [first[code]],
        label_evidence(None, [first[code]], pattern=min(1.0, 0.6 + 0.1 * count)),
    )


def extract_invoice(
    pages: list[PageWords], doc_type: str = "invoice"
) -> tuple[Fields, list[dict[str, str]], list[Check]]:
    """Fields (interfaces.md §4), line items and checks of an invoice or credit note."""
    rows = all_rows(pages)
    if not rows:
        return {}, [], []
    hits = find_labels(rows, LEXICON)
    customer = _customer_region(rows, hits)
    fields: Fields = {}
    fields.update(_names(rows, hits, customer))
    fields.update(_identifiers(rows, hits, customer))
    fields.update(_amount_fields(rows, hits))
    optional = [
        _vat_rate(hits, rows),
        _date_field("issue_date", hits, rows),
        _date_field("due_date", hits, rows),
        _reference("invoice_number", "invoice_number", hits, rows),
        _reference("order_reference", "order_reference", hits, rows),
        _free_text("payment_terms", hits, rows),
        _iban(rows, hits),
        _currency(rows),
    ]
    fields.update({f.name: f for f in optional if f is not None})
    if "issue_date" not in fields:
        for row in rows[: max(1, len(rows) // 2)]:
            found = dates_in(row.words)
            if found and found[0][0] != getattr(fields.get("due_date"), "value", None):
                fields["issue_date"] = make_field(
                    "issue_date", found[0][0], found[0][1], label_evidence(None, found[0][1], pattern=0.5)
                )
                break
    lines = extract_lines(rows, hits)
    return fields, lines, run_checks(fields, lines)
