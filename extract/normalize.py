"""Canonical values (interfaces.md §3) from OCR strings: amounts, dates, percentages, currencies, ids."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from extract.lexicon import ACCENTED_WORDS, CURRENCIES, LANGUAGE_LETTERS, LEGAL_FORMS, MONTHS

# Letters OCR commonly reads in place of digits; applied only inside tokens that are mostly digits.
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "l": "1",
        "I": "1",
        "i": "1",
        "|": "1",
        "!": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
        "G": "6",
        "b": "6",
        "g": "9",
    }
)
_CURRENCY_RE = re.compile(
    r"(€|\$|£|¥|\bUS\$|\bS\$|\b(?:EUR|EURO|EUROS|USD|GBP|CHF|JPY|RM|MYR|SGD|PLN|CZK|SEK|"
    r"DKK|NOK|HUF|RON|CAD|AUD|CNY|INR)(?![A-Za-z]))",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching: lower case, no accents, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    stripped = stripped.replace("ß", "ss")
    return " ".join(re.sub(r"[^a-z0-9%#€$£]+", " ", stripped).split())


def fix_digits(token: str) -> str:
    """Replace digit look-alike letters when the token is mostly digits (OCR reads 0 as O, 1 as l)."""
    digits = sum(c.isdigit() for c in token)
    letters = sum(c.isalpha() for c in token)
    if digits == 0 or letters > digits:
        return token
    return token.translate(_DIGIT_LOOKALIKES)


# ---------------------------------------------------------------- amounts


def _sign_and_body(text: str) -> tuple[int, str]:
    """Split a leading/trailing minus or accounting parentheses off an amount string."""
    body = text.strip()
    sign = 1
    if body.startswith("(") and body.endswith(")"):
        sign, body = -1, body[1:-1].strip()
    if body.endswith("-"):
        sign, body = -sign, body[:-1].strip()
    if body.startswith(("-", "−", "–")):
        sign, body = -sign, body[1:].strip()
    if body.startswith("+"):
        body = body[1:].strip()
    return sign, body


def _decimal_position(body: str) -> int | None:
    """Index of the decimal separator in a digits-and-separators string, None for a whole number."""
    seps = [i for i, c in enumerate(body) if c in ".,"]
    if not seps:
        return None
    last = seps[-1]
    tail = len(body) - last - 1
    if len({body[i] for i in seps}) == 2:
        return last  # both kinds present: the last one is decimal
    if len(seps) == 1:
        # A single separator followed by exactly three digits is a thousands separator (1.234, 1,234).
        return None if tail == 3 and last > 0 else last
    # Repeated separators are thousands unless the last group is too short to be one (OCR damage).
    return last if tail in (1, 2) else None


def normalize_amount(text: str, *, assume_cents: bool = False) -> str | None:
    """``"1.234,56"``, ``"€ 12,50"``, ``"25,00-"`` -> ``"1234.56"``, ``"12.50"``, ``"-25.00"``; or None.

    ``assume_cents``: the caller knows the document prints cents, so a separator-less ``12350`` lost its
    decimal comma and means ``123.50``.
    """
    if not text or not text.strip():
        return None
    body = _CURRENCY_RE.sub(" ", text).strip().strip(":=*").strip()
    sign, body = _sign_and_body(body)
    body = body.replace("'", " ").replace("’", " ").replace("\u00a0", " ")
    body = fix_digits(body.replace(" ", "_")).replace("_", " ")
    if not re.fullmatch(r"\d[\d .,]*", body) or not re.search(r"\d", body):
        return None
    # A space before a final two-digit group is a lost decimal comma ("1 234 56"), else a thousands gap.
    groups = body.split(" ")
    if len(groups) > 1 and re.fullmatch(r"\d{2}", groups[-1]) and not re.search(r"[.,]", body):
        body = "".join(groups[:-1]) + "." + groups[-1]
    body = body.replace(" ", "")
    if body.count(".") + body.count(",") and body[-1] in ".,":
        body = body[:-1]
    position = _decimal_position(body)
    if position is None:
        digits = re.sub(r"[.,]", "", body)
        if assume_cents and len(digits) >= 3 and not re.search(r"[.,]", body):
            digits = digits[:-2] + "." + digits[-2:]
    else:
        digits = re.sub(r"[.,]", "", body[:position]) + "." + body[position + 1 :]
    try:
        value = Decimal(digits) * sign
        # quantize raises for more digits than the context's precision (28): no real amount has that many.
        return f"{value.quantize(Decimal('0.01')):.2f}"
    except InvalidOperation:
        return None


# An amount token: thousands groups of exactly three digits (so two numbers a space apart stay two), an
# optional decimal part, optional sign/currency; O and l are allowed where OCR mistakes them for digits.
# Tesseract puts a space after the separators of faint print ("100. 269, 00"): such a number is one amount only
# when it has both thousands groups and cents, so a numbered line ("1. 250 fogli") stays two numbers.
_D = r"[\dOol]"
AMOUNT_TOKEN_RE = re.compile(
    rf"(?<![\w.,/])[-−(]?(?:[€$£]\s?)?[-−]?"
    rf"(?:{_D}{{1,3}}(?:([.,' ]){_D}{{3}})(?:\1{_D}{{3}})*(?:[.,]{_D}{{1,2}})?"
    rf"|{_D}{{1,3}}(?:([.,])\s{_D}{{3}})(?:\2\s?{_D}{{3}})*[.,]\s?{_D}{{2}}"
    rf"|{_D}+(?:[.,]{_D}{{1,2}})?)-?\)?(?![\w/]|[.,]\d)"
)


def find_amounts(text: str) -> list[tuple[int, int, str]]:
    """Every amount-looking token of a text as (start, end, canonical value), in order."""
    found: list[tuple[int, int, str]] = []
    for match in AMOUNT_TOKEN_RE.finditer(text):
        raw = match.group().strip()
        if sum(c.isdigit() for c in raw) == 0:
            continue
        value = normalize_amount(raw)
        if value is not None:
            found.append((match.start(), match.end(), value))
    return found


# ---------------------------------------------------------------- dates

_NUMERIC_DATE_RE = re.compile(
    r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)"  # 2025-04-21
    # 21/04/2025, 21.04.25; OCR doubles a separator ("06- 05- -2018")
    r"|(?<![\d/.\-])(\d{1,2})\s?([-./])\s?(\d{1,2})\s?\5(?:\s?\5)?\s?(\d{4}|\d{2})(?![\d/])"
)
_MONTH_WORD = r"([a-zà-ÿ]{3,10})\.?"
_WORD_DATE_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er|º|°)?\.?[\s/\-]*(?:de\s+)?{_MONTH_WORD}[\s,/\-]*(?:de\s+|del\s+)?(\d{{4}}|\d{{2}})(?!\d)"
    rf"|{_MONTH_WORD}[\s/\-]+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)",
    re.IGNORECASE,
)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    elif re.fullmatch(r"2[35689]\d\d", text):
        year = 2000 + year % 100  # "2617", "2818": a 0 read as a round digit; no paper is dated after 2099
    return year


def _make_date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _numeric_date(match: re.Match[str], dayfirst: bool) -> str | None:
    if match.group(1):
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    first, second, year = int(match.group(4)), int(match.group(6)), _year(match.group(7))
    day, month = (first, second) if dayfirst else (second, first)
    if month > 12 and day <= 12:
        day, month = month, day  # only one reading is a real date
    return _make_date(year, month, day)


def _month(word: str) -> int | None:
    folded = fold(word)
    # Full names and the usual abbreviations are listed; a longer damaged word falls back to its stem.
    return MONTHS.get(folded) or (MONTHS.get(folded[:3]) if len(folded) > 3 else None)


def _word_date(match: re.Match[str]) -> str | None:
    if match.group(1):
        day, month, year = match.group(1), _month(match.group(2)), match.group(3)
    else:
        month, day, year = _month(match.group(4)), match.group(5), match.group(6)
    if month is None:
        return None
    return _make_date(_year(year), month, int(day))


def find_dates(text: str, *, dayfirst: bool = True) -> list[tuple[int, int, str]]:
    """Every date in a text as (start, end, ISO date), in order; day-first unless told otherwise."""
    # "2O25" -> "2025", "Date:D2/02/17" -> "02/02/17": same length, so the spans hold.
    cleaned = re.sub(r"(?<=\d)[Oo]|[Oo](?=\d)|(?<![A-Za-z])[DQ](?=\d[-./]\d)", "0", text)
    found: list[tuple[int, int, str]] = []
    for match in _NUMERIC_DATE_RE.finditer(cleaned):
        value = _numeric_date(match, dayfirst)
        if value:
            found.append((match.start(), match.end(), value))
    for match in _WORD_DATE_RE.finditer(cleaned):
        value = _word_date(match)
        if value and not any(s <= match.start() < e for s, e, _ in found):
            found.append((match.start(), match.end(), value))
    return sorted(found)


def normalize_date(text: str, *, dayfirst: bool = True) -> str | None:
    """``"21/04/2025"``, ``"21 aprile 2025"``, ``"April 21, 2025"`` -> ``"2025-04-21"`` (the first date)."""
    found = find_dates(text, dayfirst=dayfirst)
    return found[0][2] if found else None


# ---------------------------------------------------------------- percentages and currencies


def normalize_percentage(text: str) -> str | None:
    """``"22%"``, ``"5,5 %"``, ``"22,00"`` -> ``"22"``, ``"5.5"``; None if not a percentage in 0..100."""
    match = re.search(r"\d+(?:[.,]\d+)?", fix_digits(text.replace(" ", "")))
    if not match:
        return None
    try:
        value = Decimal(match.group().replace(",", "."))
    except InvalidOperation:
        return None
    if not 0 <= value <= 100:
        return None
    canonical = format(value.normalize(), "f")
    return canonical


def normalize_currency(text: str) -> str | None:
    """``"€"``, ``"Euro"``, ``"RM"`` -> ``"EUR"``, ``"EUR"``, ``"MYR"``; None when no currency is named."""
    for token in re.findall(r"[€$£¥]|[A-Za-z$]+", text):
        code = CURRENCIES.get(token.upper())
        if code:
            return code
    return None


# ---------------------------------------------------------------- identifiers

_VAT_LABEL_RE = re.compile(
    r"^(?:p\.?\s?iva|partita\s+iva|vat(?:\s+(?:no|number|reg(?:\.|istration)?\s*no|id))?|ust[.\-\s]*id[.\-\s]*nr|"
    r"ust[.\-\s]*id|tva(?:\s+intracom\w*)?|n°?\s*tva|nif|cif|uid|btw)\.?\s*[:#.]?\s*",
    re.IGNORECASE,
)


def normalize_vat_id(text: str, *, default_country: str = "IT") -> str | None:
    """``"IT 01234567890"``, ``"P.IVA 01234567890"``, ``"DE123456789"`` -> compact, country-prefixed."""
    body = _VAT_LABEL_RE.sub("", text.strip())
    body = re.sub(r"[\s.\-/]", "", body).upper()
    if len(body) >= 2 and body[:2].isalpha():
        country, number = body[:2], fix_digits(body[2:])
        if country == "ES" and len(body) == 11:
            number = body[2] + fix_digits(body[3:-1]) + body[-1]  # a Spanish NIF may begin and end with a letter
    else:
        country, number = default_country, fix_digits(body)
    if country == "GR":
        country = "EL"  # VIES spells Greece EL
    if not re.fullmatch(r"[0-9A-Z]{2,13}", number) or not re.search(r"\d", number):
        return None
    if country == "IT" and not re.fullmatch(r"\d{11}", number):
        return None
    return country + number


_CF_RE = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")


def normalize_tax_code(text: str) -> str | None:
    """A codice fiscale: 16 upper-case characters (omocodia letters kept as printed) or 11 digits."""
    body = re.sub(
        r"^(?:c\.?\s?f\.?|cod(?:ice)?\.?\s*fisc(?:ale)?\.?)\s*[:.]?\s*", "", text.strip(), flags=re.I
    )
    body = re.sub(r"[\s.\-]", "", body).upper()
    if re.fullmatch(r"[\dOIL]{11}", body) and re.search(r"\d", body):
        return fix_digits(body)
    if _CF_RE.fullmatch(body):
        return body
    return None


def normalize_iban(text: str) -> str | None:
    """``"IBAN: IT60 X054 2811 1010 0000 0123 456"`` -> ``"IT60X0542811101000000123456"``."""
    body = re.sub(r"^iban\s*[:.]?\s*", "", text.strip(), flags=re.IGNORECASE)
    body = re.sub(r"[\s\-.]", "", body).upper()
    if len(body) < 15:
        return None
    body = body[:2] + fix_digits(body[2:4]) + body[4:]
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", body):
        return None
    return body


_PROVINCE = re.compile(r"\(([A-Za-z0-9]{2})\)")
_ROMAN_BEFORE_NUMBER = re.compile(r"\b(?:Il|lI|ll)(?=\s+\d)")


def fix_address_ocr(text: str) -> str:
    """Undo OCR's usual confusions in an address: a province code "(Fl)" is "(FI)", "Emanuele Il 39" is the
    Roman numeral II (Tesseract reads capital I as lower-case l beside other capitals), and a British postcode
    with a digit read as a letter ("ECIA 1BB") is the one valid postcode it can be ("EC1A 1BB")."""
    def province(match: re.Match[str]) -> str:
        code = match.group(1).upper().replace("0", "O").replace("1", "I").replace("L", "I") \
            if not match.group(1).isupper() else match.group(1)
        return f"({code})"

    text = _PROVINCE.sub(province, text)
    text = _STRASSE.sub(r"\1traße", text)
    text = _ROMAN_BEFORE_NUMBER.sub("II", text)
    if _UK_RE.search(text):
        text = _UK_POSTCODE.sub(lambda m: f"{_uk_outward(m.group(1))} {m.group(2)}", text)
    return text


_UK_RE = re.compile(r"\b(?:United Kingdom|UK|England|Scotland|Wales|Great Britain)\b")
# An outward code as OCR may read it (digits as look-alike letters and back) before the inward code "1BB".
_UK_POSTCODE = re.compile(r"\b([A-Z][A-Z0-9]{1,3}) (\d[A-Z]{2})\b")
# The six shapes of a British outward code: A = letter, 9 = digit.
_UK_SHAPES = ("A9", "A99", "A9A", "AA9", "AA99", "AA9A")
_AS_DIGIT = {"I": "1", "L": "1", "O": "0", "S": "5", "B": "8", "Z": "2"}
_AS_LETTER = {v: k for k, v in _AS_DIGIT.items() if k not in "L"}


def _uk_outward(code: str) -> str:
    """The outward code unchanged when it has a valid shape, else its only repair by look-alikes into a valid
    shape; unchanged when none or several fit (nothing to choose between)."""
    def shaped(shape: str) -> str | None:
        out = []
        for char, kind in zip(code, shape, strict=True):
            if kind == "9":
                char = char if char.isdigit() else _AS_DIGIT.get(char, "")
            else:
                char = char if char.isalpha() else _AS_LETTER.get(char, "")
            if not char:
                return None
            out.append(char)
        return "".join(out)

    shapes = [s for s in _UK_SHAPES if len(s) == len(code)]
    if any(shaped(s) == code for s in shapes):
        return code
    repairs = {r for r in (shaped(s) for s in shapes) if r is not None}
    return repairs.pop() if len(repairs) == 1 else code


# "Hauptstraße" read with the ß as a B ("HauptstraBe"): a capital B inside a lower-case word is never right.
_STRASSE = re.compile(r"(?<=[a-zäöü])(s)traBe\b")


# ---------------------------------------------------------------- company names

# OCR's usual damage to an Italian legal form: the lone "l" of "S.r.l.s." dropped between two dots, an "S" read
# as "$" ("$.n.c.").
_SRLS_DOTS = re.compile(r"\bS\.r\.\.s\.?(?=\s|$)")
_DOLLAR_FORM = re.compile(r"(?<!\S)\$(?=\.[a-zA-Z]\.)")
_DOTTED_NO_END = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
_KNOWN_FORMS = {form.replace(" ", "") for form in LEGAL_FORMS} | {"co", "sapa", "scarl", "srls", "kgaa"}


_DOTTED_FORMS = {"s.r.l.": "S.r.l.", "s.r.l.s.": "S.r.l.s.", "s.p.a.": "S.p.A.", "s.a.s.": "S.a.s.",
                 "s.n.c.": "S.n.c.", "s.a.p.a.": "S.a.p.A."}


def fix_company_ocr(text: str) -> str:
    """A company name with OCR's usual damage to its legal form undone: "S.r..s." is "S.r.l.s.", "$.n.c." is
    "S.n.c.", a dotted form that lost its last dot ("S.L") has it back, and a form in mixed case that no one
    prints ("S.a.S.") is the canonical one (all capitals stays)."""
    text = _DOLLAR_FORM.sub("S", _SRLS_DOTS.sub("S.r.l.s.", text))
    head, _, last = text.rpartition(" ")
    # A form printed with dots ends with one: the last dot is the speck OCR loses most easily.
    if _DOTTED_NO_END.fullmatch(last) and last.replace(".", "").lower() in _KNOWN_FORMS:
        last += "."
        text = f"{head} {last}" if head else last
    canonical = _DOTTED_FORMS.get(last.lower())
    if canonical and last != canonical and not last.isupper():
        text = f"{head} {canonical}" if head else canonical
    return text


# Accents Tesseract drops in payment terms: French "à 30 jours", Spanish "30 días", German "Überweisung".
# The capital Ü comes out as U or with another accent (Ù). The last dot of "gg d.f." (data fattura) and
# "d.f.f.m." (fine mese) is the speck OCR loses most easily, or reads as a rule ("d.f|").
_TERMS_ACCENTS = ((re.compile(r"\ba(?= \d+ jours\b)"), "à"), (re.compile(r"(?<=\d )dias\b"), "días"),
                  (re.compile(r"\b[UÙÚÛ]berweisung"), "Überweisung"),
                  (re.compile(r"\b(d\.f|f\.m|d\.f\.f\.m)[|:,;]?$"), r"\1."))


def fix_terms_ocr(text: str) -> str:
    """Payment terms with the accents OCR usually loses put back."""
    for pattern, accented in _TERMS_ACCENTS:
        text = pattern.sub(accented, text)
    return text


def legal_form_ok(text: str) -> bool | None:
    """Whether the name ends in a legal form that exists: False for a truncated or garbled one ("S.r.", "Sr",
    "S.p."), which tells that OCR lost part of the name; None when the name ends in an ordinary word."""
    last = text.rstrip().rsplit(" ", 1)[-1]
    if "." not in last and "$" not in last and not re.fullmatch(r"S[rpan]", last):
        return None
    letters = fold(last).replace(".", "").replace(" ", "")
    if not letters.isalpha():
        return False
    return letters in _KNOWN_FORMS



# ---------------------------------------------------------------- accents and references

_ACCENTED = {language: {fold(word): word for word in words} for language, words in ACCENTED_WORDS.items()}
_LETTERS_RE = re.compile(r"[^\W\d_]+")
# Spanish writes every word ending in -cion/-sion with the accent (Constitución, Gestión, Expansión).
_ES_ENDING = re.compile(r"(?<=[^\W\d_]{2})([cs])i[oóòöô]n$", re.IGNORECASE)


def _in_case_of(word: str, model: str) -> str:
    """``word`` (the lexicon's spelling) in the case OCR read ``model`` in: all capitals, capitalised or lower."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].islower():
        return word.lower()
    return word


def restore_accents(text: str, language: str | None) -> str:
    """Words of a name or address in ``language`` with the accents OCR dropped or changed put back, where the
    lexicon (extract/lexicon.py ACCENTED_WORDS) knows the word: "Lopez" in Spain is "López", "Mùnchen" in Germany
    "München". Nothing changes in another language or for a word the lexicon does not know."""
    table = _ACCENTED.get(language or "")
    if not table:
        return text

    def repair(match: re.Match[str]) -> str:
        word = match.group()
        known = table.get(fold(word))
        if known is not None:
            return _in_case_of(known, word)
        if language == "es":
            return _ES_ENDING.sub(lambda m: m.group(1) + ("IÓN" if word.isupper() else "ión"), word)
        return word

    return _LETTERS_RE.sub(repair, text)


def foreign_diacritics(text: str, language: str | None) -> bool:
    """True when a letter with a diacritic is one ``language`` does not write ("Constituciön" in a Spanish
    address, "Mùnchen" in a German one): OCR changed an accent. False when the language is unknown or English
    (an English name may carry any foreign accent)."""
    allowed = LANGUAGE_LETTERS.get(language or "")
    if allowed is None:
        return False
    return any(not c.isascii() and c.isalpha() and c not in allowed for c in text.lower())


_LETTER_ZERO = re.compile(r"^0(?=[A-Z]{2})|(?<=[A-Z])0(?=[A-Z])")
_LETTERS_THEN_DIGITS = re.compile(r"^([A-Z]{1,4}[-/]?)(\d[\dO]{3,})$")


def fix_reference_ocr(token: str) -> str:
    """A document number's letter prefix and digits with OCR's O/0 swaps undone: a 0 that starts a run of
    capitals or sits between two ("0RD145631") is the letter O, and an O among the digits after the prefix
    ("ORD1456O1") is a zero. Numbers with no letter prefix or mixed runs are left alone."""
    token = _LETTER_ZERO.sub("O", token)
    match = _LETTERS_THEN_DIGITS.match(token)
    if match:
        token = match.group(1) + match.group(2).replace("O", "0")
    return token
