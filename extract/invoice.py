"""Invoice and credit-note fields from word geometry, label lexicons and value patterns."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from core.document import Check, ExtractedField, PageWords, Word
from extract.checks import Candidate, check_non_eu_supplier, choose_totals, run_checks, to_decimal
from extract.classify import keyword_scores
from extract.confidence import Evidence, confidence
from extract.fields import amounts_in, dates_in, label_evidence, make_field
from extract.layout import (
    LabelHit,
    Line,
    all_rows,
    find_labels,
    segments,
    totals_block,
    value_below,
    value_right,
    words_bbox,
)
from extract.lexicon import (
    COMPANY_SUFFIXES,
    COUNTRY_LANGUAGES,
    CUSTOMER_LABELS,
    INVOICE_LABELS,
    NAME_PARTICLES,
    SUPPLIER_LABELS,
)
from extract.lines import extract_lines
from extract.normalize import (
    fix_address_ocr,
    fix_company_ocr,
    fix_digits,
    fix_reference_ocr,
    fix_terms_ocr,
    fold,
    foreign_diacritics,
    legal_form_ok,
    normalize_currency,
    normalize_iban,
    normalize_percentage,
    normalize_tax_code,
    normalize_vat_id,
    restore_accents,
)
from extract.validators import is_vat_rate, validate_iban, validate_tax_code, validate_vat_id

LEXICON = {**INVOICE_LABELS, "customer_block": CUSTOMER_LABELS, "supplier_block": SUPPLIER_LABELS}
_SUFFIX_RE = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(re.escape(s) for s in COMPANY_SUFFIXES) + r")(?![a-z0-9])"
)
_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9/\-_.]{0,24}$", re.IGNORECASE)
_VAT_RE = re.compile(
    r"\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|CH)"
    r"\s?U?[0-9A-Z]{8,12}\b|\b\d{11}\b"
)
_VAT_COUNTRIES = frozenset(re.findall(r"[A-Z]{2}", _VAT_RE.pattern.split(")")[0]))
# A US employer identification number: the seller's tax id on a US invoice, which has no VAT id.
_EIN_RE = re.compile(r"\b(?:EIN|FEIN|Federal\s+Tax\s+ID|Tax\s+ID)\s*(?:No\.?|#)?\s*:?\s*(\d{2}-\d{7})\b", re.IGNORECASE)
_CF_RE = re.compile(r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b")
# The check digits may come out of OCR as letters ("DEO7 4404 …"); such a run counts only if it then validates.
_IBAN_RE = re.compile(r"\b[A-Z]{2}[\dOIL]{2}(?:\s?[A-Z0-9]){11,30}\b")

Fields = dict[str, ExtractedField]


def _until_gap(words: Sequence[Word], factor: float = 2.5) -> list[Word]:
    """The words up to the first wide gap: a second column printed on the same row is another item."""
    kept = list(words[:1])
    for word in words[1:]:
        height = max(1, word.bbox[3] - word.bbox[1])
        if word.bbox[0] - kept[-1].bbox[2] > factor * height:
            break
        kept.append(word)
    return kept


def _value_words(hit: LabelHit, rows: Sequence[Line], hits: Sequence[LabelHit]) -> tuple[list[Word], bool]:
    """Words right of the label (up to a column gap), else under it; the flag says the value came from below."""
    right = _until_gap(value_right(hit, hits))
    if right:
        return right, False
    return _until_gap(value_below(hit, rows, hits)), True


# ---------------------------------------------------------------- amounts


def _amount_candidates(
    key: str, rows: Sequence[Line], hits: Sequence[LabelHit], block: tuple[int, int] | None
) -> list[Candidate]:
    candidates = []
    for hit in hits:
        if hit.key != key:
            continue
        # "IVA 22%      22,00": the rate is not the amount, and the gap after it is not a column break.
        words, below = _until_gap([w for w in value_right(hit, hits) if "%" not in w.text]), False
        if not words:
            words, below = _value_words(hit, rows, hits)
            words = [w for w in words if "%" not in w.text]
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
    unlabelled = _unlabelled_amounts(rows, block)
    chosen = choose_totals([*nets, *unlabelled], [*vats, *unlabelled], [*totals, *unlabelled])
    consistent = chosen[3]
    fields: Fields = {}
    for name, candidate in zip(("net_amount", "vat_amount", "total_amount"), chosen[:3], strict=True):
        if candidate is None:
            continue
        hit, words = candidate.payload  # type: ignore[misc]
        agrees = consistent if all(chosen[:3]) else None
        # An invoice prints money with its cents: a bare "30" under a "Totale" is a number from another line
        # ("Bonifico 30 gg"), and without the other two figures nothing else would tell. A failed validator alone
        # left such a total at 0.899 against its 0.90 threshold, and above it from words OCR read at 0.97.
        cents = bool(_CENTS_RE.search(" ".join(w.text for w in words)))
        validator, pattern = (None, 0.8) if cents else _DAMAGED
        fields[name] = make_field(name, candidate.value, words, label_evidence(
            hit, words, pattern=pattern, arithmetic=agrees, validator=validator))
    _complete_totals(fields)
    return fields


_CENTS_RE = re.compile(r"\d[.,]\s?\d{2}(?!\d)")


def _unlabelled_amounts(rows: Sequence[Line], block: tuple[int, int] | None) -> list[Candidate]:
    """The last amount of each row of the totals block and the two rows under it, as a figure with no label.

    OCR sometimes garbles the label that matters ("Totale documento" read as "al cumento", "Totale imponibile"
    split over two rows). Such a candidate scores nothing by itself: only net + VAT = total can choose it, and
    labelled figures that agree always score higher.
    """
    if block is None:
        return []
    candidates = []
    for row in rows[block[0] : block[1] + 3]:
        if row.page != rows[block[1]].page:
            continue
        for value, source in amounts_in([w for w in row.words if "%" not in w.text])[-1:]:
            if _CENTS_RE.search(" ".join(w.text for w in source)):
                candidates.append(Candidate(value, 0.0, (None, source)))
    return candidates


def _complete_totals(fields: Fields) -> None:
    """With two of net, VAT and total read, the third follows (total = net + VAT): computed, so no box."""
    values = {k: to_decimal(fields[k].value) if k in fields else None for k in ("net_amount", "vat_amount",
                                                                                 "total_amount")}
    net, vat, total = values.values()
    missing = [k for k, v in values.items() if v is None]
    if len(missing) != 1:
        return
    derived = {"net_amount": lambda: total - vat, "vat_amount": lambda: total - net,
               "total_amount": lambda: net + vat}[missing[0]]()
    known = [fields[k] for k in values if k != missing[0]]
    evidence = Evidence(label=0.0, ocr=min(f.confidence for f in known), arithmetic=None, pattern=0.6)
    fields[missing[0]] = ExtractedField(missing[0], f"{derived:.2f}", confidence(evidence, missing[0]),
                                        source="computed")


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
                    # A number that is no country's rate is a price or quantity under a "% IVA" heading.
                    if value is not None and (key == "vat_rate" or "%" in word.text) and is_vat_rate(value):
                        return make_field("vat_rate", value, [word], label_evidence(hit, [word], pattern=0.8))
    return None


def _printed_rates(hits: Sequence[LabelHit]) -> set[str]:
    """The rates the VAT summary names ("IVA 22%  …", "IVA 10%  …"): one per VAT label with a percentage."""
    rates = set()
    for hit in hits:
        if hit.key == "vat_amount":
            for word in [*hit.words, *value_right(hit, hits)[:1]]:
                value = normalize_percentage(word.text) if "%" in word.text else None
                if value is not None and is_vat_rate(value):
                    rates.add(value)
    return rates


# ---------------------------------------------------------------- dates, numbers, free text


def _date_field(name: str, hits: Sequence[LabelHit], rows: Sequence[Line], *,
                dayfirst: bool = True) -> ExtractedField | None:
    for hit in sorted((h for h in hits if h.key == name), key=lambda h: -h.strength):
        # Right of the label, else under it: a header row of boxes ("Vencimiento  Ref. pedido") has another
        # box's words to the right of the label and the date below.
        right = _until_gap(value_right(hit, hits))
        under = _until_gap(value_below(hit, rows, hits)) if _heads_segment(hit, hits) else []
        for words, below in ((right, False), (under, True)):
            found = dates_in(words, dayfirst=dayfirst)
            if found:
                value, source = found[0]
                return make_field(
                    name, value, source, label_evidence(hit, source, pattern=0.8 if not below else 0.7)
                )
    return None


def _reference(name: str, key: str, hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    """A document number: the first token with a digit after the label that is not a date."""
    for hit in sorted((h for h in hits if h.key == key), key=lambda h: -h.strength):
        # "rif. fattura n." names another document; "Ref. pedido" is the order's own label.
        if key == "invoice_number" and _refers_elsewhere(hit):
            continue
        right = value_right(hit, hits)
        # "Vs. ordine n.:      ORD545551": the number sign belongs to the label, the value's column is farther.
        while len(right) > 1 and _NUMBER_MARK.match(right[0].text):
            right = right[1:]
        right = _until_gap(right)
        # A heading ("Bon de commande n°") keeps only its "n°" on its row: the number is under it.
        below = (not right or all(_NUMBER_MARK.match(w.text) for w in right)) and _heads_segment(hit, hits)
        for words in (right, _until_gap(value_below(hit, rows, hits)) if below else []):
            word = _number_in(words)
            if word is not None:
                token = fix_reference_ocr(word.text.strip(":.,;#°º"))
                return make_field(name, token, [word], label_evidence(hit, [word], pattern=0.75))
    return None


def _heads_segment(hit: LabelHit, hits: Sequence[LabelHit]) -> bool:
    """True when the label opens its stretch of the row, as a heading over a value does, or follows only other
    labels and rules there (a header row of tight boxes, "Data fattura | Riferimento ordine"); one inside a text
    ("Bonifico a 30 giorni data fattura") heads nothing below it."""
    first = next(a for a, b in segments(hit.row, gap_factor=2.5) if a <= hit.start < b)
    covered = {i for h in hits if h.row is hit.row for i in range(h.start, h.end)}
    return all(i in covered or _FILLER_RE.match(hit.row.words[i].text) for i in range(first, hit.start))


_FILLER_RE = re.compile(r"^[|:;.\-–—]+$")


_NUMBER_MARK = re.compile(r"^(?:n|nr|no|num|n\.?[°º]|#)[.:°º]*$", re.IGNORECASE)


def _number_in(words: Sequence[Word]) -> Word | None:
    """The first of the first three words that reads as a document number (has a digit, is not a date)."""
    for word in words[:3]:
        token = word.text.strip(":.,;#°º")
        if token and _NUMBER_RE.match(token) and re.search(r"\d", token) and not dates_in([word]):
            return word
    return None


# Words that, just before an invoice-number label, make it a reference to another document (it/en/de/fr/es).
_ELSEWHERE = {"rif", "riferimento", "storno", "della", "alla", "ref", "reference", "relating", "credit", "original",
              "zur", "bezug", "korrektur", "relatif", "relative", "annule", "rectifica", "referente", "referencia",
              "refers", "regarding", "bezuglich"}


def _refers_elsewhere(hit: LabelHit) -> bool:
    """True when the words just before the label, in its column, point to another document ("rif. fattura n.",
    "Avoir relatif à la facture n°", "referente a la factura n.º")."""
    head = next(a for a, b in segments(hit.row, gap_factor=2.5) if a <= hit.start < b)
    before = [fold(w.text).strip(".:") for w in hit.row.words[max(head, hit.start - 4) : hit.start]]
    return any(word in _ELSEWHERE for word in before)


_AMOUNT_KEYS = frozenset({"net_amount", "vat_amount", "total_amount"})
_MID_WORD_CAPITAL = re.compile(r"[a-zà-ÿ]{3}[A-ZÀ-Þ][a-zà-ÿ]")  # not "RiBa", a payment way


def _free_text(name: str, hits: Sequence[LabelHit], rows: Sequence[Line]) -> ExtractedField | None:
    for hit in hits:
        if hit.key == name:
            # Stop at an amount's label on the row (a totals column often shares the payment line), but not at
            # other labels: "30 giorni data fattura" holds the issue date's label as part of the terms.
            # "30 Tage netto": a net label with no amount after it is part of the terms.
            stops = [h for h in hits if h.key in _AMOUNT_KEYS and amounts_in(value_right(h, hits))]
            words = _until_gap(value_right(hit, stops))
            if not words:
                words, _ = _value_words(hit, rows, hits)
            # "|" is a table rule read as a character, never part of the text.
            text = " ".join(w.text for w in words).strip(" :|")
            if name == "payment_terms":
                text = fix_terms_ocr(text)
            if 2 <= len(text) <= 120:
                # A capital inside a word ("data fattUnkale") is another column's text run into this one.
                damaged = _garbled(words) or bool(_MID_WORD_CAPITAL.search(text))
                validator, pattern = _DAMAGED if damaged else (None, 0.5)
                return make_field(name, text, words, label_evidence(hit, words, pattern=pattern, validator=validator))
    return None


# ---------------------------------------------------------------- parties and identifiers


def _customer_region(rows: Sequence[Line], hits: Sequence[LabelHit]) -> set[int]:
    """ids of words in the buyer's block: the label's row and up to six rows below, in its column only."""
    region: set[int] = set()
    for hit in hits:
        if hit.key != "customer_block":
            continue
        x0 = hit.bbox[0] - 30
        for row in rows:
            if row.page != hit.row.page or not hit.row.index <= row.index <= hit.row.index + 6:
                continue
            for first, last in segments(row, gap_factor=2.5):
                words = row.words[first:last]
                if row is hit.row:
                    words = [w for w in words if w.bbox[0] >= hit.bbox[0]]
                if words and x0 <= words[0].bbox[0] <= hit.bbox[2] + 200:
                    region.update(id(w) for w in words)
    return region


def _nearest_label(row: Line, index: int, hits: Sequence[LabelHit]) -> LabelHit | None:
    before = [h for h in hits if h.row is row and h.end <= index and h.key in ("supplier_vat", "tax_code")]
    return max(before, key=lambda h: h.end) if before else None


# "P.I." right before the digits: too short to be a fuzzy label (it would match any "Pi"), but unambiguous here.
_SHORT_VAT_LABEL = re.compile(r"\bP\.\s?I\.?\s*:?\s*$")


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
                elif raw.isdigit() and not label and not _SHORT_VAT_LABEL.search(text[: match.start()].upper()):
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
        # "VAT   USD 0.00" in a totals block is an amount after the label, not a VAT id of a country.
        if value and value[:2] in _VAT_COUNTRIES and name not in fields:
            fields[name] = make_field(
                name,
                value,
                words,
                label_evidence(hit, words, pattern=0.7, validator=validate_vat_id(value)[0]),
            )


def _nameish(row: Line) -> bool:
    letters = sum(c.isalpha() for c in row.text)
    return letters >= 3 and letters / max(1, len(row.text.replace(" ", ""))) >= 0.6


def _supplier_name(rows: Sequence[Line], hits: Sequence[LabelHit], customer: set[int],
                   vat: ExtractedField | None = None, language: str | None = None) -> ExtractedField | None:
    """The seller heads the page: a company-looking line among the first rows, else the first name-like one."""
    labelled = {id(w) for h in hits if h.key not in ("customer_block", "supplier_block") and not _idle_short(h, hits)
                for w in h.words}
    first_page = [r for r in rows if r.page == rows[0].page] if rows else []
    parts = []
    for row in first_page[:15]:
        for first, last in segments(row, gap_factor=2.5):
            kept = [w for w in row.words[first:last] if id(w) not in customer and not _banner_word(w)]
            for words in _font_runs(kept):
                if not any(id(w) in labelled for w in words):
                    parts.append(Line(words, row.page, row.index))
    for part in parts:
        if _SUFFIX_RE.search(fold(part.text)) and _nameish(part) and not _is_title(part):
            return _company_field("supplier_name", part.words, pattern=0.8, validator=_heads_block_of(part, vat),
                                  language=language)
    for part in parts[:4]:
        if _nameish(part) and not _is_title(part) and len(part.words) >= 2:
            return _company_field("supplier_name", part.words, pattern=0.6, validator=_heads_block_of(part, vat),
                                  language=language)
    return None


def _garbled(words: Sequence[Word], below: float | None = None) -> bool:
    """True when OCR was unsure of one of the words ("Giuseppe Gic irdanc"): a text is as good as its worst word,
    which the mean word confidence hides."""
    return any(w.confidence < (_GARBLED_BELOW if below is None else below) for w in words)


_GARBLED_BELOW = 0.7
# An address is street names, numbers and a postcode, which OCR reads surely when it reads them right: on the
# tuning documents no right address had a word under 0.8, and five of six wrong ones had.
_ADDRESS_GARBLED_BELOW = 0.8
# Evidence (validator, pattern) of a value OCR damaged beyond repair: the text is not the printed one, whatever
# its label says. A failed validator alone leaves a well-labelled, crisply read value near the route threshold
# (0.878 against 0.88 for a buyer's name); a value that does not have its field's form fits no pattern either.
_DAMAGED = (False, 0.0)


def _company_field(name: str, words: Sequence[Word], *, pattern: float, validator: bool | None,
                   hit: LabelHit | None = None, language: str | None = None) -> ExtractedField:
    """A party's name with OCR's damage undone where it can be: a word split in two put together, the accents of
    a word the lexicon knows in the party's ``language`` put back, the legal form repaired. Damage that remains
    means the name is not what was printed, which no letterhead or label can vouch for: a legal form still
    broken ("S.r.", "Sr"), an unsure word, an accent the language does not write ("Constituciön"), a lower-case
    word among capitalised ones ("Miller industries LLC")."""
    text = fix_company_ocr(restore_accents(_name_text(words), language))
    if (legal_form_ok(text) is False or _garbled(words) or foreign_diacritics(text, language)
            or _stray_lower_case(text)):
        validator, pattern = _DAMAGED
    return make_field(name, text, words, label_evidence(hit, words, pattern=pattern, validator=validator))


def _name_text(words: Sequence[Word]) -> str:
    """The words as text, with a word OCR split in two put back together: a lower-case piece set tight against
    the word before it (under half a space) that OCR filed in another text line ("Colo" + "mbo")."""
    out = ""
    for i, word in enumerate(words):
        before = words[i - 1] if i else None
        height = max(1, word.bbox[3] - word.bbox[1])
        split = (before is not None and word.text[:1].islower() and before.text[-1:].isalpha()
                 and (before.block, before.line) != (word.block, word.line)
                 and word.bbox[0] - before.bbox[2] < 0.35 * height)
        out += word.text if split or not out else " " + word.text
    return out.strip(" :")


def _stray_lower_case(text: str) -> bool:
    """True when a name capitalises its words but one starts in lower case and is no particle ("di", "von",
    "de la"): OCR read a capital as a small letter ("industries") or split a word ("Colo mbo")."""
    words = [w for w in text.split(" ") if w[:1].isalpha()]
    if not any(w[:1].isupper() and len(w) > 1 for w in words):
        return False
    return any(w[:1].islower() and fold(w).split(" ")[0] not in NAME_PARTICLES for w in words)


def _idle_short(hit: LabelHit, hits: Sequence[LabelHit]) -> bool:
    """A label of three letters or fewer with no digit after it on its row is a word of a name ("Edilnord del
    Nord S.p.A."), not a label ("del 12/03/2024")."""
    return len(hit.label.replace(" ", "")) <= 3 and not any(
        re.search(r"\d", w.text) for w in value_right(hit, hits))


def _font_runs(words: Sequence[Word], ratio: float = 1.3) -> list[list[Word]]:
    """Words cut where the type size jumps: a large title ("Fattura di vendita") printed close beside the
    seller's name is another item, though no column gap separates them.

    Only a word whose box spans exactly the type's ascender height tells the size: one with a capital, a digit
    or an ascender and no descender or accent ("Laurent", not "e", "-" or "García"). Between two such words of
    different sizes the cut goes at the widest gap, so the words in between join the nearer side.
    """
    sized = [i for i, w in enumerate(words) if _TALL_RE.search(w.text) and not _LOW_RE.search(w.text)]
    cuts = []
    for a, b in itertools.pairwise(sized):
        ha, hb = (max(1, words[i].bbox[3] - words[i].bbox[1]) for i in (a, b))
        if max(ha, hb) / min(ha, hb) >= ratio:
            cuts.append(max(range(a + 1, b + 1), key=lambda i: words[i].bbox[0] - words[i - 1].bbox[2]))
    bounds = [0, *cuts, len(words)]
    return [list(words[i:j]) for i, j in itertools.pairwise(bounds) if j > i]


_TALL_RE = re.compile(r"[A-Z0-9bdfhklt]")
_LOW_RE = re.compile(r"[gjpqy,;()\[\]{}|/@]|[^\x00-\x7f]")


def _seller_id(rows: Sequence[Line], customer: set[int], vat: ExtractedField | None) -> ExtractedField | None:
    """The seller's tax id that anchors its letterhead: its valid VAT id, else the US EIN printed outside the
    buyer's block (a seller outside the EU has no VAT id). Not a field of the record: only where it is printed."""
    if vat is not None and validate_vat_id(str(vat.value))[0]:
        return vat
    for row in rows:
        match = _EIN_RE.search(row.text)
        if match is None:
            continue
        words = [w for w in row.words if match.group(1) in w.text or w.text.upper().rstrip(":") in ("EIN", "FEIN")]
        if words and not any(id(w) in customer for w in words):
            return make_field("supplier_ein", f"EIN {match.group(1)}", words, Evidence())
    return None


def _heads_block_of(part: Line, vat: ExtractedField | None) -> bool | None:
    """True when the name heads the block that holds the seller's tax id (``_seller_id``): a few rows below it, in
    its column. That is how a letterhead is built, and it rules out a title, a slogan or the buyer's name."""
    if vat is None or vat.bbox is None or vat.page != part.page:
        return None
    x0, y0, x1, y1 = words_bbox(part.words)
    height = max(1, y1 - y0)
    below = 0 < vat.bbox[1] - y1 <= 8 * height
    same_column = vat.bbox[0] < x1 + 2 * height and vat.bbox[2] > x0 - 2 * height
    return True if below and same_column else None


def _is_title(part: Line) -> bool:
    """A document title or banner ("FATTURA ELETTRONICA", "Rechnung") is not a party's name."""
    folded = fold(part.text)
    return bool(keyword_scores(part.text).get("invoice") or keyword_scores(part.text).get("credit_note")) or (
        folded.split(" ")[0] in _TITLE_WORDS
    )


def _banner_word(word: Word) -> bool:
    """An upper-case title word ("ELETTRONICA") that a large banner font pushes onto the name's row."""
    return word.text.isupper() and fold(word.text) in _TITLE_WORDS


_TITLE_WORDS = {"fattura", "invoice", "rechnung", "facture", "factura", "nota", "credit", "gutschrift", "avoir",
                "abono", "copia", "pagina", "page", "documento", "elettronica", "cortesia", "di", "-", "tax",
                "note", "di credito", "proforma"}
_ADDRESS_STOP = re.compile(
    r"(?<![\w.])(?:p\.?\s?iva|p\.?\s?i\.|partita|c\.?\s?f\.|cod|vat|ust|tva|nif|cif|tel|fax|email|e-mail|pec|www|iban"
    r"|phone|ein|siren|siret|steuer|umsatzsteuer|rea|cap\.?\s?soc)(?![a-z])",
    re.IGNORECASE,
)


def _supplier_address(
    rows: Sequence[Line], hits: Sequence[LabelHit], customer: set[int], name: ExtractedField | None,
    vat: ExtractedField | None = None, language: str | None = None,
) -> ExtractedField | None:
    """The rows printed under the seller's name, in its column, until its tax ids or contacts begin; accents are
    restored in the seller's ``language``, else the language of the country the address ends with."""
    if name is None or name.bbox is None:
        return None
    # The row the name's middle lies in: a tall title printed beside the name ("Fattura di vendita") stretches
    # that row, whose own middle then falls below the name.
    middle = (name.bbox[1] + name.bbox[3]) / 2
    start = next((r for r in rows if r.page == name.page and r.bbox[1] <= middle <= r.bbox[3]), None)
    if start is None:
        return None
    picked: list[list[Word]] = []
    for row in rows[start.index + 1 : start.index + 4]:
        if row.page != start.page:
            break
        column = [row.words[a:b] for a, b in segments(row, gap_factor=2.5)]
        words = next((ws for ws in column if _aligned(words_bbox(ws), name.bbox)), None)
        if not words or any(id(w) in customer for w in words):
            break
        text = " ".join(w.text for w in words)
        stop = _ADDRESS_STOP.search(text)
        if stop:
            head = text[: stop.start()].strip(" -–,")
            if head and re.search(r"\d", head):
                picked.append(words[: len(head.split(" "))])
            break
        picked.append(words)
    if not picked or not any(re.search(r"\d", " ".join(w.text for w in ws)) for ws in picked):
        return None
    text = fix_address_ocr(", ".join(" ".join(w.text for w in ws).strip(" ,") for ws in picked))
    language = language or COUNTRY_LANGUAGES.get(fold(text.rsplit(",", 1)[-1]))
    text = restore_accents(text, language)
    words = [w for ws in picked for w in ws]
    # An accent the address's language does not write was changed by OCR and the lexicon could not undo it; a
    # word OCR was unsure of is a digit or letter it may have misread ("Emanuele 11" for "Emanuele II").
    damaged = foreign_diacritics(text, language) or _garbled(words, _ADDRESS_GARBLED_BELOW)
    validator, pattern = _DAMAGED if damaged else (_between_name_and_vat(words, name, vat), 0.6)
    return make_field("supplier_address", text, words, label_evidence(None, words, pattern=pattern,
                                                                      validator=validator))


def _between_name_and_vat(words: Sequence[Word], name: ExtractedField, vat: ExtractedField | None) -> bool | None:
    """True when the address fills the letterhead block from the seller's name down to the seller's tax id
    (``_seller_id``), with no line left out: the block is complete, so the address can neither be cut short nor
    run on."""
    if vat is None or vat.bbox is None or name.bbox is None or vat.page != name.page:
        return None
    x0, y0, x1, y1 = words_bbox(words)
    line = max(1, (name.bbox[3] - name.bbox[1]))
    gap_below = vat.bbox[1] - y1
    same_column = vat.bbox[0] < x1 + 2 * line and vat.bbox[2] > x0 - 2 * line
    return True if name.bbox[3] <= y0 and 0 <= gap_below <= 1.5 * line and same_column else None


def _aligned(box: tuple[int, int, int, int], other: tuple[int, int, int, int], slack: int = 60) -> bool:
    """Left-, right- or centre-aligned: a letterhead block is printed in one of the three."""
    return (abs(box[0] - other[0]) <= slack or abs(box[2] - other[2]) <= slack
            or abs((box[0] + box[2]) - (other[0] + other[2])) <= 2 * slack)


def _names(rows: Sequence[Line], hits: Sequence[LabelHit], customer: set[int],
           supplier_vat: ExtractedField | None = None, languages: tuple[str | None, str | None] = (None, None),
           ) -> Fields:
    """The seller's and the buyer's names; ``languages`` (seller's, buyer's) are those their names are written in."""
    fields: Fields = {}
    labelled = {id(h.row) for h in hits if h.key not in ("customer_block", "supplier_block")}
    supplier = _supplier_name(rows, hits, customer, supplier_vat, languages[0])
    if supplier is not None:
        fields["supplier_name"] = supplier
    for hit in hits:
        if hit.key != "customer_block":
            continue
        right = _until_gap(value_right(hit, hits))
        candidates = [right] if right else []
        candidates += [
            [w for w in r.words if id(w) in customer]
            for r in rows
            if r.page == hit.row.page and hit.row.index < r.index <= hit.row.index + 3
        ]
        for words in candidates:
            if words and _nameish(Line(words, hit.row.page)) and id(words[0]) not in labelled:
                fields["customer_name"] = _company_field("customer_name", words, pattern=0.6, validator=None,
                                                         hit=hit, language=languages[1])
                break
        if "customer_name" in fields:
            break
    return fields


def _iban(rows: Sequence[Line], hits: Sequence[LabelHit]) -> ExtractedField | None:
    """The first IBAN-shaped run, read within one column so a total printed beside it is not glued on."""
    for row in rows:
        for first, last in segments(row, gap_factor=2.5):
            words = row.words[first:last]
            text = " ".join(w.text for w in words).upper()
            for match in _IBAN_RE.finditer(re.sub(r"^.*?IBAN\s*[:.]?\s*", "", text)):
                value = _iban_length(normalize_iban(match.group()))
                if not value or (not match.group()[2:4].isdigit() and not validate_iban(value)[0]):
                    continue
                picked = [
                    w for w in words if w.text.upper().replace(" ", "") in value and len(w.text) >= 2
                ] or words
                label = next((h for h in hits if h.row is row and h.key == "iban"), None)
                return make_field(
                    "iban", value, picked,
                    label_evidence(label, picked, pattern=0.9, validator=validate_iban(value)[0]),
                )
    return None


IBAN_LENGTHS = {"IT": 27, "SM": 27, "FR": 27, "MC": 27, "DE": 22, "GB": 22, "IE": 22, "ES": 24, "AT": 20,
                "NL": 18, "BE": 16, "CH": 21, "LU": 20, "PT": 25, "PL": 28, "GR": 27}


def _iban_length(value: str | None) -> str | None:
    """Cut a word printed right after the IBAN ("…928155 IVA") off: each country's IBAN has a fixed length."""
    if value is None:
        return None
    length = IBAN_LENGTHS.get(value[:2])
    if length is not None and len(value) > length:
        value = value[:length]
    if value[:2] == "IT" and not validate_iban(value)[0]:
        # OCR reads a 0 as O: the Italian ABI and CAB codes after the CIN letter are ten digits; and the CIN
        # itself is a letter that OCR may read as a digit ("IT91O05…" as "IT91005…", "IT32I06…" as "IT32106…").
        fixed = value[:5] + fix_digits(value[5:15]) + value[15:]
        cins = [fixed] + [fixed[:4] + letter + fixed[5:] for letter in _CIN_LETTERS.get(fixed[4], "")]
        for candidate in cins:
            if validate_iban(candidate)[0]:
                return candidate
    return value


# Letters that OCR reads as a digit, by that digit.
_CIN_LETTERS = {"0": "OD", "1": "IL", "2": "Z", "5": "S", "6": "G", "8": "B"}


def _labelled_currency(hits: Sequence[LabelHit]) -> ExtractedField | None:
    """A currency printed after its label ("Divisa: EUR", "Currency USD")."""
    for hit in hits:
        if hit.key != "currency":
            continue
        for word in value_right(hit, hits)[:2]:
            code = normalize_currency(word.text)
            if code:
                return make_field("currency", code, [word], label_evidence(hit, [word], pattern=0.9, validator=True))
    return None


def _currency(rows: Sequence[Line], hits: Sequence[LabelHit] = ()) -> ExtractedField | None:
    labelled = _labelled_currency(hits)
    if labelled is not None:
        return labelled
    counts: Counter[str] = Counter()
    first: dict[str, Word] = {}
    beside_amount: set[str] = set()
    for row in rows:
        for word in row.words:
            if len(word.text) <= 5 or word.text[0] in "€$£":
                code = normalize_currency(word.text)
                if code and not (code == "MYR" and word.text.upper() != "RM"):
                    counts[code] += 1
                    first.setdefault(code, word)
                    if amounts_in(row.words):
                        beside_amount.add(code)
    if not counts:
        return None
    code, count = counts.most_common(1)[0]
    # The same currency printed several times, or once on a line with an amount, and no other currency anywhere
    # on the page is a consistency check passed: one "EUR" beside the total is as clear as a row of "€" signs.
    consistent = len(counts) == 1 and (count >= 2 or code in beside_amount)
    return make_field(
        "currency",
        code,
        [first[code]],
        label_evidence(None, [first[code]], pattern=min(1.0, 0.6 + 0.1 * count),
                       validator=True if consistent else None),
    )


def extract_invoice(
    pages: list[PageWords], doc_type: str = "invoice", *, supplier_labels: dict[str, list[str]] | None = None
) -> tuple[Fields, list[dict[str, str]], list[Check]]:
    """Fields (interfaces.md §4), line items and checks of an invoice or credit note.

    ``supplier_labels`` are the labels a known supplier prints (from supplier memory), read as the lexicon's own.
    """
    rows = all_rows(pages)
    if not rows:
        return {}, [], []
    lexicon = LEXICON
    if supplier_labels:
        lexicon = {key: [*labels, *supplier_labels.get(key, [])] for key, labels in LEXICON.items()}
    hits = find_labels(rows, lexicon)
    customer = _customer_region(rows, hits)
    fields: Fields = {}
    identifiers = _identifiers(rows, hits, customer)
    seller_id = _seller_id(rows, customer, identifiers.get("supplier_vat"))
    languages = (_party_language(identifiers.get("supplier_vat")), _party_language(identifiers.get("customer_vat")))
    fields.update(_names(rows, hits, customer, seller_id, languages))
    fields.update(identifiers)
    _unanchored_seller_ids(fields, rows, customer)
    fields.update(_amount_fields(rows, hits))
    optional = [
        _vat_rate(hits, rows),
        _reference("invoice_number", "invoice_number", hits, rows),
        _reference("order_reference", "order_reference", hits, rows),
        _free_text("payment_terms", hits, rows),
        _iban(rows, hits),
        _currency(rows, hits),
    ]
    fields.update({f.name: f for f in optional if f is not None})
    dayfirst = _day_first(rows, hits, us_seller=seller_id is not None and seller_id.name == "supplier_ein")
    fields.update({f.name: f for f in (_date_field(n, hits, rows, dayfirst=dayfirst) for n in ("issue_date",
                                                                                              "due_date")) if f})
    if "issue_date" not in fields:
        for row in rows[: max(1, len(rows) // 2)]:
            found = dates_in(row.words, dayfirst=dayfirst)
            if found and found[0][0] != getattr(fields.get("due_date"), "value", None):
                fields["issue_date"] = make_field(
                    "issue_date", found[0][0], found[0][1], label_evidence(None, found[0][1], pattern=0.5)
                )
                break
    lines = extract_lines(rows, hits)
    _settle_vat_rate(fields, lines, _printed_rates(hits))
    address = _supplier_address(rows, hits, customer, fields.get("supplier_name"), seller_id, languages[0])
    if address is not None:
        fields["supplier_address"] = address
    note = check_non_eu_supplier(fields, seller_id.value if seller_id and seller_id.name == "supplier_ein" else None)
    return fields, lines, run_checks(fields, lines) + ([note] if note else [])


def _unanchored_seller_ids(fields: Fields, rows: Sequence[Line], customer: set[int]) -> None:
    """With no seller's name found, the letterhead was not read (a worst scan loses the page's top): a valid VAT id
    or tax code taken for the seller's may as well be the buyer's, printed under a "Kunde" label OCR lost. Its
    checksum says the id exists, not whose it is, so it cannot pass without a person."""
    if "supplier_name" in fields:
        return
    for name in ("supplier_vat", "supplier_tax_code"):
        found = fields.get(name)
        if found is None or found.bbox is None:
            continue
        words = [w for row in rows for w in row.words if id(w) not in customer and _inside(w.bbox, found.bbox)]
        evidence = Evidence(label=0.0, ocr=sum(w.confidence for w in words) / len(words) if words else 0.0,
                            validator=None, pattern=0.0)
        fields[name] = replace(found, confidence=min(found.confidence, confidence(evidence, name)))


def _inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= box[0] and box[2] <= outer[2] and outer[1] <= box[1] and box[3] <= outer[3]


def _party_language(vat: ExtractedField | None) -> str | None:
    """The language a party writes its name and address in, from its VAT id's country ("ESB12345674" → es)."""
    return COUNTRY_LANGUAGES.get(str(vat.value)[:2].lower()) if vat is not None else None


_SHORT_DATE_RE = re.compile(r"(?<![\d/.\-])(\d{1,2})\s?([-./])\s?(\d{1,2})\s?\2\s?(?:\d{4}|\d{2})(?![\d/])")


def _day_first(rows: Sequence[Line], hits: Sequence[LabelHit], *, us_seller: bool = False) -> bool:
    """Whether the document prints numeric dates day first (21/04/2025) or month first (04/21/2025, en-US).

    One date whose first or second number passes 12 settles it for the whole document. When every date reads
    both ways, the due date cannot come before the issue date: "07/02/2024 … due 08/01/2024" is July to August;
    when both readings pass that too, a US seller (``us_seller``: it prints an EIN) writes the month first.
    """
    firsts = seconds = 0
    for row in rows:
        for match in _SHORT_DATE_RE.finditer(row.text):
            firsts += int(match.group(1)) > 12
            seconds += int(match.group(3)) > 12
    if firsts or seconds:
        return firsts >= seconds
    dates = {}
    for dayfirst in (True, False):
        picked = [_date_field(n, hits, rows, dayfirst=dayfirst) for n in ("issue_date", "due_date")]
        dates[dayfirst] = [str(f.value) if f else None for f in picked]
    (issue, due), (us_issue, us_due) = dates[True], dates[False]
    if issue and due and us_issue and us_due and (due < issue) != (us_due < us_issue):
        return due >= issue
    # Both readings hold: the seller's country decides, and a US seller writes the month first.
    return not us_seller


def _settle_vat_rate(fields: Fields, lines: Sequence[dict[str, str]], printed: set[str] = frozenset()) -> None:
    """The document's rate only when its lines share one; with several rates (on the lines or in the VAT summary)
    the field does not apply."""
    rates = {line["vat_rate"] for line in lines if line.get("vat_rate")}
    if len(rates) > 1 or len(printed) > 1:
        fields.pop("vat_rate", None)
        return
    # One line's rate is the document's only when every line with an amount carries it: a lone rate among
    # unread ones may be a quantity in the wrong column.
    every = all(line.get("vat_rate") for line in lines if line.get("amount"))
    if len(rates) == 1 and every and (fields.get("vat_rate") is None or fields["vat_rate"].value not in rates):
        # Every line carries the same rate: that is the document's rate, whatever a label elsewhere seemed to say
        # (a "IVA %" column heading often has the first line's amount below it, not a rate).
        rate = next(iter(rates))
        evidence = Evidence(label=0.5, ocr=0.9, pattern=0.6)
        fields["vat_rate"] = ExtractedField("vat_rate", rate, confidence(evidence, "vat_rate"), source="lines")
