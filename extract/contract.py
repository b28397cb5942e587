"""Contract fields from clauses over all pages' words: parties, dates, term, renewal, notice, value, court."""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from core.document import BBox, Check, ExtractedField, PageWords, Word, union_bbox
from extract import clauses as C
from extract.normalize import find_amounts, find_dates, normalize_currency, normalize_tax_code, normalize_vat_id

HEAD_CHARS = 4000  # parties and the effective date are stated near the top


@dataclass(slots=True)
class Stream:
    """Every word of the document joined by spaces, with each word's start offset for evidence boxes."""

    text: str
    starts: list[int]
    words: list[Word]

    def words_in(self, start: int, end: int) -> list[Word]:
        first = max(0, bisect_right(self.starts, start) - 1)
        last = bisect_right(self.starts, max(start, end - 1))
        return self.words[first:last]

    def evidence(self, start: int, end: int) -> tuple[int | None, BBox | None]:
        """Page and box of the words under a span; a span crossing pages keeps its first page's words."""
        words = self.words_in(start, end)
        if not words:
            return None, None
        page = words[0].page
        return page, union_bbox([w.bbox for w in words if w.page == page])


def build_stream(pages: Sequence[PageWords]) -> Stream:
    parts: list[str] = []
    starts: list[int] = []
    words: list[Word] = []
    offset = 0
    for page in pages:
        for word in page.words:
            text = word.text.strip()
            if not text:
                continue
            starts.append(offset)
            words.append(Word(text, word.bbox, word.confidence, page.page, word.block, word.line))
            parts.append(text)
            offset += len(text) + 1
    return Stream(" ".join(parts), starts, words)


def is_italian(text: str) -> bool:
    sample = text[:6000].lower()
    it = sum(sample.count(w) for w in (" il ", " della ", " del ", " che ", " contratto", " per "))
    en = sum(sample.count(w) for w in (" the ", " of ", " and ", " agreement", " shall "))
    return it > en


_NUMERIC_DAY_MONTH = re.compile(r"(?<![\d/.\-])(\d{1,2})[/.-](\d{1,2})[/.-](?:\d{4}|\d{2})(?![\d/])")


def day_first(text: str) -> bool:
    """Whether ``03/04/2025`` is 3 April: Italian text is; otherwise the document's own unambiguous dates decide
    (``25/03`` or ``03/25``), then English month names near the top (a US habit); an English text with no European
    marker (€, £, VAT) follows the US order."""
    if is_italian(text):
        return True
    votes = 0
    for match in _NUMERIC_DAY_MONTH.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        votes += (first > 12 >= second) - (second > 12 >= first)
    if votes:
        return votes > 0
    if re.search(r"\b(?:January|February|March|April|June|July|August|September|October|November|December)\b",
                 text[:HEAD_CHARS]):
        return False
    return re.search(r"€|£|\b(?:EUR|GBP|VAT|IVA)\b", text) is not None


class _Found:
    """Collects fields with their evidence."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.fields: dict[str, ExtractedField] = {}

    def add(self, name: str, value: object, span: tuple[int, int] | None, confidence: float) -> None:
        if name in self.fields or value is None:
            return
        page, bbox = self.stream.evidence(*span) if span else (None, None)
        self.fields[name] = ExtractedField(name, value, confidence, page, bbox,
                                           "rules" if span else "computed")


# ---------------------------------------------------------------- dates and durations

# "4th day of May, 2005", "11 DAY OF October, 2007", "December 9 th , 2014" (a superscript split from its number).
_DAY_OF = re.compile(
    r"(\d{1,2})\s?(?:st|nd|rd|th)?\s+(?:day\s+)?of\s+([A-Za-z]+)\s*,?\s+(\d{4})"
    r"|([A-Za-z]+)\s+(\d{1,2})\s?(?:st|nd|rd|th)?\s*,\s*(\d{4})",
    re.IGNORECASE,
)


def date_at(text: str, pos: int, *, dayfirst: bool, window: int = 40) -> tuple[int, int, str] | None:
    """The date starting (nearly) at ``pos``: ``4th day of May 2005``, ``April 6th, 2005``, ``01/02/2025``."""
    chunk = text[pos : pos + window]
    match = _DAY_OF.match(chunk.lstrip())
    lead = len(chunk) - len(chunk.lstrip())
    if match:
        from extract.normalize import normalize_date

        if match.group(1):
            value = normalize_date(f"{match.group(1)} {match.group(2)} {match.group(3)}")
        else:
            value = normalize_date(f"{match.group(4)} {match.group(5)}, {match.group(6)}")
        if value:
            return pos + lead, pos + lead + match.end(), value
    found = find_dates(chunk, dayfirst=dayfirst)
    if found and found[0][0] <= lead + 2:
        start, end, value = found[0]
        return pos + start, pos + end, value
    return None


def duration_at(text: str, pos: int) -> tuple[int, int, str] | None:
    """``two (2) years`` / ``24 mesi`` / ``90 giorni`` at ``pos`` as (start, end, ISO duration)."""
    chunk = text[pos : pos + 60]
    lead = len(chunk) - len(chunk.lstrip())
    match = C.DURATION.match(chunk.lstrip())
    if not match:
        return None
    count = _count(match.group(2) or match.group(1))
    if not count:
        return None
    unit = C.UNITS[match.group(3).lower()]
    return pos + lead, pos + lead + match.end(), f"P{count}{unit}"


def _count(number: str) -> int | None:
    """``2``, ``two``, ``forty-eight``, ``ventiquattro`` as an integer; None for a word that is no number."""
    if number.isdigit():
        return int(number)
    word = number.lower()
    if word in C.NUMBER_WORDS:
        return C.NUMBER_WORDS[word]
    tens, _, units = word.partition("-")
    if C.NUMBER_WORDS.get(tens, 0) >= 20 and 0 < C.NUMBER_WORDS.get(units, 0) < 10:
        return C.NUMBER_WORDS[tens] + C.NUMBER_WORDS[units]
    return None


def add_duration(start: dt.date, duration: str) -> dt.date:
    """``start`` plus an ISO duration of one unit (``P24M``, ``P2Y``, ``P90D``); month ends clamp (31 Jan + 1M)."""
    match = re.fullmatch(r"P(\d+)([YMWD])", duration)
    if not match:
        raise ValueError(f"unsupported duration {duration!r}")
    n, unit = int(match.group(1)), match.group(2)
    delta = {"Y": relativedelta(years=n), "M": relativedelta(months=n), "W": relativedelta(weeks=n),
             "D": relativedelta(days=n)}[unit]
    return start + delta


def subtract_duration(end: dt.date, duration: str) -> dt.date:
    match = re.fullmatch(r"P(\d+)([YMWD])", duration)
    if not match:
        raise ValueError(f"unsupported duration {duration!r}")
    n, unit = int(match.group(1)), match.group(2)
    delta = {"Y": relativedelta(years=n), "M": relativedelta(months=n), "W": relativedelta(weeks=n),
             "D": relativedelta(days=n)}[unit]
    return end - delta


def end_from_term(effective: str, term: str) -> str:
    """A contract running ``term`` from ``effective`` ends the day before the anniversary (1 Jan + 1Y -> 31 Dec)."""
    return (add_duration(dt.date.fromisoformat(effective), term) - dt.timedelta(days=1)).isoformat()


# ---------------------------------------------------------------- parties


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,;:-–")
    name = re.sub(r"^(?:(?:and|of|e|ed|with|by|the\s+undersigned)\s+)+", "", name)
    name = re.sub(r"^(?:(?:la|il|lo|the)\s+(?:società|company|ditta)\s+)", "", name, flags=re.IGNORECASE)
    name = C.NAME_PREFIX.sub("", name)
    name = re.sub(r",?\s+(?:M\.D\.|Ph\.D\.|J\.D\.|Esq\.?)$", "", name)  # a degree is not part of the name
    return name.strip(" ,;:")


def _plausible_name(name: str) -> bool:
    if not (2 <= len(name) <= 90) or (not name[0].isupper() and not name[0].isdigit()):
        return False
    lowered = name.lower()
    if lowered in ("recitals", "witnesseth", "whereas", "date", "background", "premesso", "premesse", "agreement"):
        return False  # a heading after the list of parties
    if any(t.islower() and t not in C.NAME_JOINERS for t in name.split()):
        return False  # a sentence, not a name
    if re.match(r"(?:p\.?\s?iva|c\.?\s?f\.?|vat|codice|partita)\b", lowered):
        return False
    bad = ("undersigned", "employee", "company", "you", "the ", "recipient", "each ", "party", "parties", "this ",
           "receiving", "disclosing", "acknowledg", "board", "execution", "exhibit", "section", "article", "art.")
    if not any(lowered.startswith(b) for b in bad):
        return True
    return len(name.split()) > 1 and re.search(C.COMPANY_SUFFIX + r"$", name) is not None


def _name_at(text: str, pos: int) -> tuple[int, int, str] | None:
    chunk = text[pos : pos + 160]
    lead = len(chunk) - len(chunk.lstrip(" ,:"))
    alias = _ALIAS.match(chunk, lead)
    defined = _defined_by(text, alias.group(1)) if alias else None
    if alias and defined:
        return pos + alias.start(), pos + alias.end(), defined  # the evidence is where the clause names it
    end = C.NAME_END.search(chunk, lead)
    stop = end.start() if end else min(len(chunk), lead + 90)
    name = _clean_name(chunk[lead:stop])
    if not _plausible_name(name):
        return None
    return pos + lead, pos + lead + len(name), name


# A defined term standing alone as a party: it ends where the clause goes on ("Buyer and", "the Company."), so the
# first words of a longer name ("Parent's Subsidiary LLC", "Bank of Marin") are not taken for one.
_ALIAS = re.compile(r"(?:the\s+)?([A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?)(?![\w'’])"
                    r"(?=\s*(?:$|[,;:.)]|\s(?:and|or|e|ed|in|to|for|with|regarding|concerning|relating)\b))")


def _defined_by(text: str, term: str) -> str | None:
    """The company a defined term was given to, for a party named by it ("between Buyer and the Company"):
    "Georgia-Pacific LLC (“Buyer”)", "Buckeye Technologies Inc. (the “Company”)"."""
    defined = re.compile(rf"\(\s*(?:the\s+|collectively,?\s+|together,?\s+)?[“\"]{re.escape(term)}[”\"]")
    for definition in defined.finditer(text[:HEAD_CHARS]):
        window = max(0, definition.start() - 120)
        before = text[window : definition.start()]
        companies = list(C.COMPANY_NAME.finditer(before))
        if not companies or before[companies[-1].end(1) :].strip(" ,"):
            continue  # the term is not given to a company named just before it
        name = _clean_name(companies[-1].group(1))
        if _plausible_name(name) and name != term:
            return name
    return None


def _next_party(text: str, pos: int, limit: int) -> int | None:
    """Where the next party's name starts after a party's description, or None at the end of the list."""
    window = text[pos:limit]
    # The list ends at the recitals, or where a sentence ends after a defined term: (“BUYER”). PRELIMINARY ...
    stop = re.search(r"\b(?:WHEREAS|RECITALS|WITNESSETH|PREMESSO|premesso|si\s+conviene|agree\s+as\s+follows|"
                     r"The\s+parties|Le\s+parti)\b|[)”\"]\s*\.\s|\b(?-i:[A-Z]{3,}(?:\s+[A-Z]{3,})?)\s*:", window)
    window = window[: stop.start()] if stop else window
    depth = 0
    for i, ch in enumerate(window):
        if ch in "(“":
            depth += 1
        elif ch in ")”":
            depth = max(0, depth - 1)
        if depth:
            continue
        match = C.PARTY_CONNECTOR.match(window, i)
        if match and window[i] == ")" and not re.search(r"\b(?:and|e|ed)\s+$", match.group()):
            # ")," alone separates parties only after a defined-term parenthetical: (“Altimo”), not (MI),
            opening = window.rfind("(", 0, i)
            if not re.search(r"[“\"”]", window[opening:i]):
                continue
        if match and (i == 0 or window[i] in ")”\",;" or window[i].isspace()):
            after = window[match.end() : match.end() + 1]
            # "and the Company": a defined term, which _name_at resolves to the company it was given to
            if after[:1].isupper() or after[:1].isdigit() or re.match(r"the\s+[A-Z]", window[match.end() :]):
                return pos + match.end()
    return None


def find_parties(stream: Stream) -> list[tuple[int, int, str]]:
    """Parties in document order from the opening "between X and Y" clause; company names as a fallback."""
    text = stream.text
    head = text[:HEAD_CHARS]
    for intro in C.PARTIES_INTRO.finditer(head):
        found: list[tuple[int, int, str]] = []
        pos = intro.end()
        for _ in range(4):
            blank = C.NAME_PLACEHOLDER.match(text, pos)  # a form's "[NAME]" or "______": that party signs below
            if blank:
                after = blank.end()
            else:
                name = _name_at(text, pos)
                if name is None:
                    break
                found.append(name)
                after = name[1]
            nxt = _next_party(text, after, min(len(text), after + 700))
            if nxt is None:
                break
            pos = nxt
        if found and (len(found) >= 2 or intro.group().strip().lower().startswith(("between", "by", "tra"))):
            return _with_signer(text, _unique(found))
    return _with_signer(text, _unique(_companies_at_top(head[:1500])))


def _companies_at_top(head: str) -> list[tuple[int, int, str]]:
    """Without a "between" clause (letters, one-sided undertakings): the first company named, then every company
    given a defined name ("Greatbatch, Inc. (“you” or “Greatbatch”)", "Haynes Wire Company, a Delaware corporation")."""
    found: list[tuple[int, int, str]] = []
    for match in C.COMPANY_NAME.finditer(head):
        if found and not C.DEFINED_AFTER.match(head, match.end(1)):
            continue
        name = _clean_name(match.group(1))
        # "the Larger Stockholder and Rural Cellular Corporation" repeats a company already found
        if name and not any(name.endswith(other[2]) for other in found):
            found.append((match.end(1) - len(name), match.end(1), name))
    return found[:3]


def _with_signer(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A one-sided opening ("As a condition of my employment with X") names the other party only where it signs.

    A signer with no title under the name signs for themself; one with a title signs for a company.
    """
    if len(found) != 1:
        return found
    for match in C.SIGNER.finditer(text):
        if C.SIGNER_ROLE.match(text[match.end(1) : match.end(1) + 60]) or C.SIGNS_FOR_COMPANY.search(
            text, max(0, match.start(1) - 12), match.start(1)
        ):
            continue
        name = match.group(1).strip()
        words = name.split()
        if len(words) > 2 and words[-1] == words[0]:
            name = " ".join(words[:-1])  # "/s/ Mary Minnick Mary Minnick": the signature, then the printed name
        if _plausible_name(name) and name.lower() not in found[0][2].lower():
            return [*found, (match.start(1), match.end(1), name)]
    return found


def _unique(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    seen: set[str] = set()
    out = []
    for item in found:
        key = re.sub(r"\W", "", item[2].lower())
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def party_ids(stream: Stream, parties: list[tuple[int, int, str]]) -> list[dict[str, str]]:
    """VAT ids and codici fiscali printed in each party's description (up to the next party)."""
    out = []
    for i, (_, end, name) in enumerate(parties):
        limit = parties[i + 1][0] if i + 1 < len(parties) else end + 400
        window = stream.text[end:limit]
        entry = {"name": name}
        vat = C.VAT_NEAR.search(window)
        if vat:
            value = normalize_vat_id((vat.group(1) or "") + vat.group(2).replace(" ", ""))
            if value:
                entry["vat"] = value
        cf = re.search(r"(?:C\.?\s?F\.?|codice\s+fiscale)\s*:?\s*([A-Z0-9]{11,16})", window, re.IGNORECASE)
        if cf and normalize_tax_code(cf.group(1)):
            entry["tax_code"] = normalize_tax_code(cf.group(1)) or ""
        out.append(entry)
    return out


# ---------------------------------------------------------------- clause fields


def _first_anchor_value(text: str, anchors: re.Pattern[str], reader, *, limit: int | None = None,
                        own_date: bool = False):
    for match in anchors.finditer(text, 0, limit or len(text)):
        if own_date and C.OTHER_DOCUMENT.search(text, max(0, match.start() - 150), match.start()):
            continue  # "the Offer Letter Agreement dated August 6, 2008" dates another document
        value = reader(text, match.end())
        if value:
            return value
    return None


def find_term(text: str) -> tuple[int, int, str] | None:
    """The agreement's own duration; a restriction period (non-compete, non-solicit) is not the contract's term.

    English clauses about the agreement's life come first ("This Agreement shall terminate two (2) years from the
    date hereof", "until the first anniversary of the Effective Date"); then the anchored phrasing, which also
    covers Italian ("durata di 24 mesi").
    """
    for start, end, value in _durations(text):
        # A term shorter than a month is a deadline ("seven-day revocation period"), not the agreement's life.
        if (value[-1] in "YM" or int(value[1:-1]) >= 30) and _about_agreement_life(text, start):
            return start, end, value
    for match in C.TERM_ANCHORS.finditer(text):
        found = duration_at(text, match.end())
        if not found or not _plain_duration(text, *found[:2]):
            continue
        before = text[max(0, match.start() - 150) : match.end()]
        # What the duration restricts is said in its own sentence ("for eighteen months after your employment"):
        # the sentence before may end a non-compete clause.
        clause = _clause_before(text, match.end())
        # ... and a numbered heading just before it names the restriction: "4. Non-Solicitation. For a period of"
        heading = _HEADING_BEFORE.search(text, 0, match.end() - len(clause))
        label = (heading.group(1) or heading.group(2)) if heading else ""
        sentence = label + " " + clause + text[found[1] : found[1] + 80].split(". ")[0]
        if C.TERM_CONTEXT.search(before) and not C.TERM_NOT.search(sentence):
            return found
    return None


_DURATION_ANYWHERE = re.compile(r"\b" + C.DURATION.pattern.removeprefix("^"), re.IGNORECASE)


def _durations(text: str) -> Iterator[tuple[int, int, str]]:
    """Every duration or "Nth anniversary" that is not a deadline, a notice or a period after the agreement ends."""
    found = [duration_at(text, m.start()) for m in _DURATION_ANYWHERE.finditer(text)]
    for match in C.ANNIVERSARY.finditer(text):
        ordinal = match.group(1).lower()
        years = C.ORDINALS.get(ordinal) or int(re.sub(r"\D", "", ordinal))
        found.append((match.start(), match.end(), f"P{years}Y"))
    for item in sorted(f for f in found if f):
        if _plain_duration(text, item[0], item[1]):
            yield item


def _plain_duration(text: str, start: int, end: int) -> bool:
    """Not a deadline ("within 30 days"), a notice ("90 days' notice") or a period after the end ("thereafter")."""
    return not C.TERM_AFTER_NOT.match(text, end) and not C.TERM_BEFORE_NOT.search(text[max(0, start - 30) : start])


# A numbered heading ("4. Non-Solicitation.", "(b) Term.") or a capitalised label with a colon ("Non-Compete:"); not
# the last word of the sentence before ("... returned to the Employee.").
_HEADING_BEFORE = re.compile(r"(?:(?:\b\d+\.|\([a-z]\)|\b[a-z]\.)\s*([A-Z][\w\- ]{1,40})[.:]|"
                             r"(?:^|(?<=[.;]\s))([A-Z][\w\-]+(?:\s[A-Z][\w\-]+){0,3}):)\s*$")
_CLAUSE_BREAK = re.compile(r"(?<=[a-z0-9)”\"\]])[.;:]\s+(?=[A-Z0-9(“\"])")


def _clause_before(text: str, pos: int) -> str:
    """The text of the sentence (or ;-clause) before ``pos``, at most 300 characters back."""
    window = text[max(0, pos - 300) : pos]
    cut = [m.end() for m in _CLAUSE_BREAK.finditer(window)]
    return window[cut[-1] :] if cut else window


def _about_agreement_life(text: str, pos: int) -> bool:
    """The clause before a duration says the agreement (or its obligations) lasts, ends or remains in effect."""
    clause = _clause_before(text, pos)
    return any(not C.TERM_LIFE_NOT.search(clause, m.start()) for m in C.TERM_SUBJECT.finditer(clause))


def find_jurisdiction(text: str) -> tuple[int, int, str] | None:
    for pattern in C.JURISDICTION_PATTERNS:
        for match in pattern.finditer(text):
            place = C.PLACE.match(text, match.end())
            if not place:
                continue
            value = place.group(1).strip()
            # Upper-case clauses ("STATE OF DELAWARE APPLICABLE TO") need the stop words in any case.
            value = re.sub(r"\s+(?:and|without|applicable|shall|e|in|con|ove)$", "", value, flags=re.IGNORECASE)
            value = re.split(r"\s+(?:and|without|applicable|shall|to|e|in|per|con|ove|as|for|with)\s+", value.strip(),
                             flags=re.IGNORECASE)[0]
            if value.lower() in C.NOT_PLACES or len(value) < 3:
                continue
            if value.isupper():
                value = value.title()
            return place.start(1), place.start(1) + len(value), value
    return None


def find_notice(text: str) -> tuple[int, int, str] | None:
    """"preavviso di almeno 90 giorni"; in English a duration counts only when "notice" follows it."""
    for match in C.NOTICE_PATTERNS[0].finditer(text):
        found = duration_at(text, match.end())
        if found:
            return found
    for match in C.NOTICE_PATTERNS[1].finditer(text):
        found = duration_at(text, match.end())
        if found and C.NOTICE_FOLLOWS.match(text, found[1]):
            return found
    return None


def find_amount(text: str) -> tuple[int, int, str, str | None] | None:
    """The contract value after an anchor, with the currency printed beside it (or named nearby)."""
    for match in C.AMOUNT_ANCHORS.finditer(text):
        window = text[match.end() : match.end() + 40]
        amounts = [a for a in find_amounts(window) if a[0] <= 6]
        if not amounts:
            continue
        start, end, value = amounts[0]
        currency = normalize_currency(window[: end + 6]) or normalize_currency(text[match.start() : match.end() + 80])
        return match.end() + start, match.end() + end, value, currency
    return None


def find_subject(text: str) -> tuple[int, int, str] | None:
    match = C.SUBJECT_ANCHORS.search(text)
    if not match:
        return None
    window = text[match.end() : match.end() + 300]
    end = C.SUBJECT_END.search(window)
    value = window[: end.start() if end else len(window)].strip(" ,;:.")
    if not value or len(value) > 250:
        return None
    return match.end(), match.end() + len(value), value


def find_auto_renewal(text: str) -> tuple[int, int, bool] | None:
    no = C.AUTO_RENEWAL_NO.search(text)
    yes = C.AUTO_RENEWAL_YES.search(text)
    if no and (not yes or no.start() <= yes.start() or no.end() >= yes.start()):
        return no.start(), no.end(), False
    if yes:
        return yes.start(), yes.end(), True
    return None


# ---------------------------------------------------------------- entry point


def extract_contract(pages: Sequence[PageWords]) -> dict[str, ExtractedField]:
    """Every contract field found in the document's words, with evidence; end date derived when not printed."""
    stream = build_stream(pages)
    text = stream.text
    dayfirst = day_first(text)
    found = _Found(stream)
    parties = find_parties(stream)
    if parties:
        page, bbox = stream.evidence(parties[0][0], parties[0][1])
        found.fields["parties"] = ExtractedField("parties", [p[2] for p in parties], 0.8, page, bbox)
        ids = party_ids(stream, parties)
        if any(len(entry) > 1 for entry in ids):
            found.fields["party_ids"] = ExtractedField("party_ids", ids, 0.8, page, bbox)
    subject = find_subject(text)
    if subject:
        found.add("subject", subject[2], subject[:2], 0.75)
    effective = _first_anchor_value(text, C.EFFECTIVE_ANCHORS, lambda t, p: date_at(t, p, dayfirst=dayfirst),
                                    own_date=True)
    if effective:
        found.add("effective_date", effective[2], effective[:2], 0.85)
    else:  # an agreement without a dated opening is dated where it is signed
        signed = _first_anchor_value(text, C.SIGNED_DATE, lambda t, p: date_at(t, p, dayfirst=dayfirst),
                                     own_date=True)
        if signed:
            found.add("effective_date", signed[2], signed[:2], 0.6)
    term = find_term(text)
    if term:
        found.add("term", term[2], term[:2], 0.8)
    end = _first_anchor_value(text, C.END_ANCHORS, lambda t, p: date_at(t, p, dayfirst=dayfirst))
    if end:
        found.add("end_date", end[2], end[:2], 0.85)
    elif effective and term:
        found.add("end_date", end_from_term(effective[2], term[2]), None, 0.8)
    renewal = find_auto_renewal(text)
    if renewal:
        found.add("auto_renewal", renewal[2], renewal[:2], 0.85)
    notice = find_notice(text)
    if notice:
        found.add("notice_period", notice[2], notice[:2], 0.8)
    amount = find_amount(text)
    if amount:
        found.add("amount", amount[2], amount[:2], 0.8)
        if amount[3]:
            found.add("currency", amount[3], amount[:2], 0.85)
    jurisdiction = find_jurisdiction(text)
    if jurisdiction:
        found.add("jurisdiction", jurisdiction[2], jurisdiction[:2], 0.85)
    return found.fields


def contract_checks(pages: Sequence[PageWords], fields: dict[str, ExtractedField]) -> list[Check]:
    """Arts. 1341-1342 c.c.: tacit renewal or a chosen court needs a second, specific signature on standard forms."""
    stream = build_stream(pages)
    text = stream.text
    onerous = [name for name in ("auto_renewal", "jurisdiction")
               if name in fields and (name != "auto_renewal" or fields[name].value is True)]
    if not onerous or not is_italian(text) or not C.SIGNATURE_CUES.search(text):
        return []
    if C.SPECIFIC_APPROVAL.search(text):
        return []
    clauses = " and ".join("tacit renewal" if n == "auto_renewal" else "jurisdiction" for n in onerous)
    return [Check("specific_approval_missing",
                  f"the {clauses} clause needs a specific second signature (arts. 1341-1342 c.c.), none found",
                  field=onerous[0], severity="warning")]


def extract_agreement(
    pages: Sequence[PageWords], doc_type: str
) -> tuple[dict[str, ExtractedField], list[dict[str, str]], list[Check]]:
    """Fields, lines and checks of a contract, an order or a delivery note (the engine's one branch for them)."""
    if doc_type == "contract":
        fields = extract_contract(pages)
        return fields, [], contract_checks(pages, fields)
    from extract.order import extract_delivery_note, extract_order

    fields, lines = extract_order(pages) if doc_type == "order" else extract_delivery_note(pages)
    return fields, lines, []
