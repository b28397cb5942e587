"""A receipt's header: the shop's name and address from its first lines, tolerant of real OCR noise."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from core.document import ExtractedField, PageWords, Word
from extract.fields import dates_in, label_evidence, make_field, mean_confidence
from extract.layout import Line, find_labels, group_lines
from extract.lexicon import (
    ADDRESS_STOPS,
    COMPANY_SUFFIXES,
    LEGAL_FORMS,
    RECEIPT_TITLE_WORDS,
    RECEIPT_TRADE_WORDS,
    REGION_WORDS,
)
from extract.normalize import fold

HEADER_LINES = 14  # the shop's name and address are printed before this many rows
NOISY = 0.5  # mean word confidence under which a line is more likely smudge than print


def _alternation(phrases: Sequence[str]) -> str:
    """Longest first; a space in a phrase matches any run of spaces (punctuation folds to spaces)."""
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))


_LEGAL_RE = re.compile(r"(?<![a-z0-9])(?:" + _alternation(LEGAL_FORMS) + r")(?![a-z0-9])")
_TRADE_RE = re.compile(r"(?<![a-z0-9])(?:" + _alternation([*COMPANY_SUFFIXES, *RECEIPT_TRADE_WORDS]) + r")(?![a-z0-9])")
_STOP_RE = re.compile(r"^(?:" + _alternation(ADDRESS_STOPS) + r")\b")
_TITLES = {"title": RECEIPT_TITLE_WORDS}
_POSTCODE_RE = re.compile(r"(?<![\d-])\d{5}(?![\d-])")
_LOT_NUMBER_RE = re.compile(r"\b(?:LOT|PT|PTD|NO|PLOT)[.:]?\s*\d{5}\b", re.IGNORECASE)  # "PT 33122": not a postcode
_PHONE_RE = re.compile(r"\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}")
_ADDRESS_WORDS = re.compile(
    r"(?<![a-z])(?:no|lot|unit|blk|block|floor|flr|level|ground|gnd|jalan|jln|lorong|lrg|lebuh|persiaran|"
    r"taman|tmn|bandar|seksyen|kawasan|kg|kampung|wisma|plaza|menara|mall|"
    r"via|viale|piazza|piazzale|corso|largo|vicolo|strada|localita|frazione|"
    r"street|st|road|rd|avenue|ave|lane|way|drive|boulevard|square|"
    r"strasse|str|platz|weg|allee|gasse|rue|chemin|place|calle|avenida|paseo|carrer)(?![a-z])"
    r"|[a-z](?:strasse|str|weg|platz|gasse|allee)(?![a-z])|\b\d{5}\b"
)
# A house number opening the line: "12, JALAN", "19-1, ...", "B-8, ...", "No. 53".
_HOUSE_NUMBER_RE = re.compile(r"^(?:no\s*)?[a-z]?-?\d{1,5}[a-z]?(?:\s*[-/&]\s*\w{1,4})*\s*,")
# A company or tax registration number: "(682288-V)", "1202152-P", "J10632980-V", "000381399040"; the dash
# misread as a slash too ("96585/-A").
_ID_RE = re.compile(r"\(?\b[A-Z]{0,3}\d{5,}\s?(?:-|/-?)\s?[A-Z]\b\)?|\d{9,}|\b\d{6,}[A-Z]\b")
_ID_LABEL_RE = re.compile(r"\b(?:co|company|roc|reg|business|br|gst|sst|tax)\b.*\b(?:no|id|reg)\b")
_ID_LABEL_START_RE = re.compile(r"^(?:co|company|roc|business|br)\b.{0,12}\b(?:no|reg|regn)\b")
_TRAILING_ID_RE = re.compile(r"\s*(?:\([^()]*\d{4,}[^()]*\)|\b[A-Z]{0,3}\d{4,}\s?-?\s?[A-Z]\b.*)\s*$")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[A-Za-z]{2,}")  # not "Jalan@elabur", a P misread as "@"
_STRAY_RE = re.compile(r"[“”„«»|_~]|(?<=\s)=(?=\s)")  # a lone "=" is a speck or a rule, never text

# Real OCR misreads the letters of a Malaysian legal form: "SON BHD", "SDN 3HD", "$/B".
# "SDN BILD": the H read as "IL" or "II".
_SDN_BHD_RE = re.compile(r"(?<![A-Za-z0-9])[S5$][DOUI0][NM]([.,]?\s*)[B83](?:[HN]|I[LI])[DO0](?![A-Za-z0-9])",
                         re.IGNORECASE)
_S_B_RE = re.compile(r"(?<![A-Za-z0-9])[S5$]\s?/\s?[B8](?![A-Za-z0-9])")
_INITIAL_ONE_RE = re.compile(r"(?<=[A-Z]\.)(\s?)1(?=\.[A-Z]\.)")  # "D. 1.Y." -> "D. I.Y."
# "SDN SHB", "SDN BH0": after "SDN" only "BHD" is printed, so a three-letter word there of its letters is it.
_SDN_GARBLED_RE = re.compile(
    r"(?<![A-Za-z0-9])(SDN|Sdn)([.,]?\s*)(?!BHD|Bhd)(?=[A-Za-z0-9$]*[BbHhDd8])[A-Za-z0-9$]{3}"
    r"(?![A-Za-z0-9])"
)
# "(M)" (Malaysia) before the legal form, its M misread: "AEON CO. (H) BHD".
_MALAYSIA_MARK_RE = re.compile(r"\((?:H|N|W|IM|RN)\)(?=\s*(?:SDN|Sdn|BHD|Bhd)\b)")
_UNOPENED_RE = re.compile(r"(?<![\w(])(?=[A-Za-z]{1,12}\))")  # "BAKERIES KL) SDN BHD": the "(" was lost
_AMPERSAND_RE = re.compile(r"(?<=\s)[€£]{1,2}(?=\s)")  # "STATIONERY € BOOKS": "&" misread as a currency sign
_CLOSING_L_RE = re.compile(r"(?<=[a-z])\](?=\s|$)")  # "BHPetro]": a word's final l read as a bracket
_HONORIFIC_RE = re.compile(r"^(MR|MRS|MS|DR|Mr|Mrs|Ms|Dr),(?=\s*\S)")  # "MR, D.I.Y.": the full stop misread


def _folded(line: Line) -> str:
    return fold(line.text)


def repair_name(text: str) -> str:
    """A shop name as printed: legal-form letters the OCR misread, stray quote marks and a registration
    number printed after the name dropped."""
    text = re.sub(r"\s{2,}", " ", _STRAY_RE.sub("", text.replace("’", "'").replace("‘", "'")))
    text = _SDN_BHD_RE.sub(
        lambda m: (
            ("SDN" if m.group(0)[:3].isupper() else "Sdn")
            + m.group(1)
            + ("BHD" if m.group(0)[-3:].isupper() else "Bhd")
        ),
        text,
    )
    text = _SDN_GARBLED_RE.sub(lambda m: m.group(1) + m.group(2) + ("BHD" if m.group(1).isupper() else "Bhd"), text)
    text = _S_B_RE.sub("S/B", text)
    text = _MALAYSIA_MARK_RE.sub("(M)", text)
    text = _AMPERSAND_RE.sub("&", text)
    text = _HONORIFIC_RE.sub(r"\1.", text.lstrip())
    text = _INITIAL_ONE_RE.sub(r"\1I", text)
    text = _CLOSING_L_RE.sub("l", text)
    if text.count(")") > text.count("("):
        text = _UNOPENED_RE.sub("(", text, count=1)
    legal = list(_LEGAL_RE.finditer(_fold_keep_length(text)))
    if legal and re.search(r"[\d(]", text[legal[-1].end() :]):
        text = text[: legal[-1].end()]  # after "SDN BHD" comes the registration number, not the name
    text = _TRAILING_ID_RE.sub("", text)
    text = _respell_sdn_bhd(text)
    return text.strip(" ,:;-*=>'\"").lstrip(". ")


_LAST_TWO_WORDS_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z$5]{2,4})([.,]?\s+)([A-Za-z0-9]{2,4})([.,]?)\s*$")


def _respell_sdn_bhd(text: str) -> str:
    """A name ending in two short words each one letter from "SDN BHD" ("Scn Phd", "San hd") ends in it."""
    found = _LAST_TWO_WORDS_RE.search(text)
    if found is None or _LEGAL_RE.search(_fold_keep_length(text)):
        return text
    first, gap, second, dot = found.groups()
    if _edits(first.lower(), "sdn") > 1 or _edits(second.lower(), "bhd") > 1:
        return text
    legal = "SDN BHD" if text[found.start()].isupper() and second[-1:].isupper() else "Sdn Bhd"
    return text[: found.start()] + legal[:3] + gap + legal[4:] + dot


_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")


def respell_from_body(name: str, name_words: Sequence[Word], page: PageWords) -> str:
    """A name word printed again, one letter different, at least twice elsewhere on the receipt and never as
    the header reads it, is respelled as the body prints it: a shop's name is set in a large or stylised type
    that OCR misreads more often than the small print below ("SANYO STATIONERY" over "Owned by SANYU SUPPLY"
    and "facebook: Sanyu.Stationery")."""
    in_name = {id(w) for w in name_words}
    body: dict[str, int] = {}
    for word in page.words:
        if id(word) not in in_name:
            # Only capitalised runs: a name is printed with a capital, and "At buardian" is the capital misread.
            for run in _LETTER_RUN_RE.findall(word.text):
                if run[0].isupper():
                    body[run.casefold()] = body.get(run.casefold(), 0) + 1

    def respell(match: re.Match[str]) -> str:
        word = match.group(0)
        key = word.casefold()
        if len(key) < 4 or key in body:
            return word
        near = [b for b, n in body.items() if n >= 2 and len(b) == len(key) and _edits(b, key) == 1]
        if len(near) != 1:
            return word
        return near[0].upper() if word.isupper() else near[0].capitalize() if word[0].isupper() else near[0]

    return _LETTER_RUN_RE.sub(respell, name)


def _fold_keep_length(text: str) -> str:
    """Lower case with punctuation as spaces, one character for one, so matches index the original text."""
    return "".join(c.lower() if c.isalnum() else " " for c in text)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _nameish(line: Line) -> bool:
    """Mostly letters once a registration number printed after the name is set aside."""
    text = repair_name(line.text) or line.text
    letters = _letters(text)
    return letters >= 3 and letters / max(1, len(text.replace(" ", ""))) >= 0.6


def _upper_share(line: Line) -> float:
    letters = [c for c in line.text if c.isalpha()]
    return sum(c.isupper() for c in letters) / max(1, len(letters))


def _is_noise(line: Line) -> bool:
    """Smudges, stamps and handwriting: read with low confidence or as mostly one- and two-letter scraps."""
    words = [w.text for w in line.words if any(c.isalnum() for c in w.text)]
    short = sum(len(w) <= 2 for w in words)
    confidence = mean_confidence(line.words)
    return confidence < NOISY or (confidence < 0.8 and len(words) >= 4 and short / len(words) > 0.5)


def _is_title(line: Line) -> bool:
    """ "TAX INVOICE", "RECEIPT" (also misread: "TAK INYOICE") at the start of the line."""
    return any(hit.start == 0 for hit in find_labels([line], _TITLES, threshold=0.75))


def _is_registration(line: Line) -> bool:
    """A line carrying a company or tax registration number, with few other words."""
    text = line.text
    if _ID_LABEL_START_RE.match(_folded(line)) and re.search(r"\d{5,}", text) and len(text.split()) <= 5:
        return True  # "Company No JI10G32980-V": a number the OCR garbled, still under its label
    if not _ID_RE.search(text.upper()):
        return False
    return _letters(_ID_RE.sub("", text.upper())) <= 6 or bool(_ID_LABEL_RE.search(_folded(line)))


def _is_phone(line: Line) -> bool:
    """A line that is mostly a telephone/fax number ("03-8051 9514", "Vel: 03-5542 3228 Fax: ...")."""
    return bool(_PHONE_RE.search(line.text)) and _letters(line.text) <= 7 and not _POSTCODE_RE.search(line.text)


def _is_stop(line: Line) -> bool:
    """Telephone, e-mail, tax number, title, cashier or date lines: the header's address has ended."""
    folded = _folded(line)
    return (
        bool(_STOP_RE.match(folded))
        or _is_title(line)
        or _is_phone(line)
        or bool(_EMAIL_RE.search(line.text))
        or bool(_PHONE_RE.search(line.text) and re.search(r"\b(?:tel|fax|phone)\b", folded))
    )


def _looks_like_address(line: Line) -> bool:
    folded = _folded(line)
    return bool(_ADDRESS_WORDS.search(folded) or _HOUSE_NUMBER_RE.match(line.text.strip().lower()))


def header_rows(page: PageWords) -> list[Line]:
    """The page's lines top to bottom; pieces of one printed row that the OCR put in two blocks joined."""
    rows: list[Line] = []
    for line in sorted(group_lines(page), key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        beside = next((row for row in rows[-2:] if _same_row(row, line)), None)
        if beside is None:
            rows.append(Line(list(line.words), line.page))
        else:
            beside.words = sorted([*beside.words, *line.words], key=lambda w: w.bbox[0])
    for index, row in enumerate(rows):
        row.index = index
    return rows


def _same_row(a: Line, b: Line) -> bool:
    """Side by side at one height, not overlapping: "GARDENIA BAKER" and "(KL) SDN BHD" in two blocks."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a.bbox, b.bbox
    vertical = (min(ay1, by1) - max(ay0, by0)) / max(1, min(ay1 - ay0, by1 - by0))
    return vertical >= 0.6 and (bx0 >= ax1 or ax0 >= bx1)


def _name_score(line: Line, rank: int) -> float | None:
    """How much a header line looks like the shop's name; None for lines that cannot be it."""
    folded = _folded(line)
    # Read on the repaired text: "(TAMAN DAYA) SDN 8HD" names a company, not a street of Taman Daya.
    legal = bool(_LEGAL_RE.search(_fold_keep_length(repair_name(line.text))))
    if (
        not _nameish(line)
        or _is_title(line)
        or _is_registration(line)
        or _is_stop(line)
        or dates_in(line.words)
        or (_looks_like_address(line) and not legal)
    ):
        return None
    score = -0.25 * rank
    if legal:
        score += 3.0  # "SDN BHD", "S/B", "S.R.L.": the legal name
    elif _TRADE_RE.search(folded):
        score += 1.5  # "ENTERPRISE", "TRADING", "RESTAURANT": a trade name
    if _upper_share(line) >= 0.7:
        score += 1.0
    if _is_noise(line):
        score -= 2.0
    return score


def _name_lines(rows: Sequence[Line]) -> tuple[list[Line], int] | None:
    """The name's row(s) and the index after them, among the rows before the body starts."""
    candidates: list[tuple[float, int]] = []
    seen_name = seen_address = False
    for i, line in enumerate(rows[:HEADER_LINES]):
        if (seen_name or seen_address) and _is_stop(line):
            break  # past the telephone, title or cashier row come the customer's and the cashier's names
        score = _name_score(line, len(candidates))
        if score is not None:
            candidates.append((score, i))
            seen_name = seen_name or not _is_noise(line)  # a smudge above a number does not end the header
        seen_address = seen_address or _looks_like_address(line)
    if not candidates:
        return None
    start = max(candidates, key=lambda c: (c[0], -c[1]))[1]
    chosen = [rows[start]]
    # "POPULAR BOOK" / "CO. (M) SDN BHD": a row that starts with the legal form finishes the row above.
    if re.match(r"^(?:\(\w+\)\s*)?(?:co\b|" + _LEGAL_RE.pattern + ")", _fold_keep_length(rows[start].text).strip()):
        above = rows[start - 1] if start > 0 else None
        if above is not None and _name_score(above, 0) is not None:
            chosen.insert(0, above)
    nxt = start + 1
    # A name broken over two rows ends in "&" or "-", or the next row carries the legal form.
    if nxt < len(rows) and (
        rows[start].text.rstrip().endswith(("&", "-", " AND"))
        or (
            not _LEGAL_RE.search(_fold_keep_length(repair_name(rows[start].text)))
            and _LEGAL_RE.search(_fold_keep_length(repair_name(rows[nxt].text)))
            and _name_score(rows[nxt], 0) is not None
        )
    ):
        chosen.append(rows[nxt])
        nxt += 1
    return chosen, nxt


# A chain's outlet under the town: its number and district ("1181-TMN SRI SINAR", "1558-THN PUSAT KEPONG").
_OUTLET_RE = re.compile(r"^\d{3,5}\s?-\s?(?:TMN|THN|TNN|TAMAN|BDR|BANDAR|JLN|JALAN)\b", re.IGNORECASE)


def _address_goes_on(picked: Sequence[Line], line: Line) -> bool:
    """Once the postcode is printed, only a town/state row still belongs: after a postcode or comma ending
    the row above, or a row of region names ("SELANGOR DARUL EHSAN", "JOHOR.") or a chain's outlet."""
    if not any(_POSTCODE_RE.search(_LOT_NUMBER_RE.sub("", p.text)) for p in picked):
        return True
    above = _STRAY_RE.sub("", picked[-1].text).strip()
    if re.search(r"\d{5}[,.]?$", above) or above.endswith(","):
        return not re.search(r"\d", line.text)
    words = fold(line.text).split()
    return (bool(words) and all(w in REGION_WORDS for w in words)) or bool(
        _OUTLET_RE.match(_STRAY_RE.sub("", line.text).strip())
    )


def _address_lines(rows: Sequence[Line], start: int) -> list[Line]:
    """Rows after the name until telephone, tax id, title or date rows; a branch name, registration number,
    date or smudge printed before the street is skipped."""
    picked: list[Line] = []
    skipped = 0
    for line in rows[start : start + 10]:
        if _is_stop(line) and (picked or not _is_registration(line)):
            break  # "GST REG NO: ..." between the name and the street is skipped, not an end
        if not picked:
            line = _without_leading_id(line)
        interrupt = _is_registration(line) or bool(dates_in(line.words)) or _is_noise(line)
        if not picked:
            if interrupt or not _looks_like_address(line):
                skipped += 1
                if skipped > 3:
                    break
                continue
        elif interrupt or not _address_goes_on(picked, line):
            break
        picked.append(line)
    return picked[:6]


def _without_leading_id(line: Line) -> Line:
    """ "BR No. (124525-H) NO 19-G JALAN ...": the registration number printed in front of the street."""
    for i, word in enumerate(line.words[:4]):
        if _ID_RE.fullmatch(word.text.upper()):
            rest = Line(line.words[i + 1 :], line.page, line.index)
            return rest if rest.words and _looks_like_address(rest) else line
    return line


# Words an address is built from; a word one letter away from one of them is that word misread ("KAHASAN").
_ADDRESS_VOCABULARY = REGION_WORDS | {
    "jalan", "taman", "lorong", "lebuh", "persiaran", "kawasan", "perindustrian", "bandar", "seksyen", "kampung",
    "wisma", "menara", "plaza", "floor", "ground", "level", "block", "street", "road", "avenue", "piazza",
    "viale", "corso", "strasse", "platz", "avenida", "calle",
}  # fmt: skip


def respell_address_word(word: str) -> str:
    """A word of five letters or more one edit away from exactly one address word becomes that word, in the
    word's own case ("Sclangor." -> "Selangor.", "KAHASAN" -> "KAWASAN")."""
    match = re.fullmatch(r"([^\W\d_]{5,})([.,]?)", word)
    if not match or match.group(1).lower() in _ADDRESS_VOCABULARY:
        return word
    body = match.group(1).lower()
    near = [v for v in _ADDRESS_VOCABULARY if abs(len(v) - len(body)) <= 1 and _edits(body, v) == 1]
    if len(near) != 1:
        return word
    fixed = near[0].upper() if match.group(1).isupper() else near[0].capitalize()
    return fixed + match.group(2)


# Malaysian address abbreviations with a letter misread ("THN" for "TMN", "BIK" for "BLK"; "JIN" is also a name).
_ABBREVIATION_MISREADS = {"thn": "tmn", "tnn": "tmn", "bik": "blk", "b1k": "blk"}
_STATE_DE_RE = re.compile(r"(?<![A-Za-z])(Selangor|SELANGOR)(\s+)(?:DE|D\s?E)(?![A-Za-z])\.?")
# A floor's ordinal with its digit read as a letter ("SRD FLR", "IST FLOOR"), and "FLA" for FLR after one.
_ORDINAL_MISREADS = {"ist": "1st", "lst": "1st", "srd": "3rd", "sth": "5th"}
_FLOOR_ORDINAL_RE = re.compile(r"(?<![\w.])(IST|lST|Ist|SRD|Srd|STH|Sth)(?=\s+(?:FL|FLR|FLA|FLOOR|LEVEL)\b)",
                               re.IGNORECASE)
_FLOOR_FLA_RE = re.compile(r"(?<=\d(?:ST|ND|RD|TH) )FLA\b")


def _ordinal_as_printed(match: re.Match[str]) -> str:
    ordinal = _ORDINAL_MISREADS[match.group(1).lower()]
    return ordinal.upper() if match.group(1)[1:].isupper() else ordinal


def repair_address_line(text: str) -> str:
    """An address line as printed: stray marks dropped, "$" inside a word read back as "S" ("$$21/35"),
    misread street abbreviations and "Selangor DE." (Darul Ehsan) restored, words one letter off respelled."""
    text = re.sub(r"(?<=[\w$])\$|\$(?=[\w$])", "S", _STRAY_RE.sub("", text))
    text = re.sub(r"(?<=\d-)(?:THN|TNN)\b", "TMN", text)  # the outlet's "1558-THN PUSAT KEPONG"
    text = _FLOOR_ORDINAL_RE.sub(_ordinal_as_printed, text)
    text = _FLOOR_FLA_RE.sub("FLR", text)
    words = []
    for word in text.split():
        match = re.fullmatch(r"([A-Za-z0-9]{3})([.,]?)", word)
        fixed = _ABBREVIATION_MISREADS.get(match.group(1).lower()) if match else None
        if match and fixed:
            word = (fixed.upper() if match.group(1).isupper() else fixed.capitalize()) + match.group(2)
        words.append(respell_address_word(word))
    return _STATE_DE_RE.sub(lambda m: m.group(1) + m.group(2) + "D.E.", " ".join(words))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    return Levenshtein.distance(a, b)


_POSTCODE_START_RE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|\d{4,5})\b")


def _join_address(lines: Sequence[str]) -> str:
    """Lines joined by spaces; a European "street / postcode City" break is a comma when none is printed (slips
    that print commas inside their lines, or all in capitals as in Malaysia, print them where they mean them)."""
    text = lines[0] if lines else ""
    for above, line in itertools.pairwise(lines):
        comma = (
            _POSTCODE_START_RE.match(line)
            and not above.endswith((",", "."))
            and "," not in above
            and line != line.upper()
        )
        text += (", " if comma else " ") + line
    return text


def header_fields(page: PageWords) -> list[ExtractedField]:
    """supplier_name and supplier_address from the first page's header, when found."""
    rows = header_rows(page)
    found = _name_lines(rows)
    if not found:
        return []
    name_lines, after = found
    words = [w for line in name_lines for w in line.words]
    value = repair_name(" ".join(line.text.strip() for line in name_lines)) or name_lines[0].text
    value = respell_from_body(value, words, page)
    legal = bool(_LEGAL_RE.search(_fold_keep_length(value)))
    fields = [make_field("supplier_name", value, words, label_evidence(None, words, pattern=0.8 if legal else 0.5))]
    address = _address_lines(rows, after)
    if address and any(_ADDRESS_WORDS.search(_folded(line)) for line in address):
        words = [w for line in address for w in line.words]
        texts = [repair_address_line(line.text) for line in address]
        # A lone mark after the last word ("Selangor .") is a speck, not punctuation.
        text = re.sub(r"\s+[.,;:'`]+$", "", _join_address([t for t in texts if t]))
        fields.append(make_field("supplier_address", text, words, label_evidence(None, words, pattern=0.5)))
    return fields
