"""Clause lexicon for contracts (Italian and English): the phrases that introduce each field's value."""

from __future__ import annotations

import re

# Where the parties are introduced ("Tra X ... e Y", "between X and Y", "among X, Y and Z").
PARTIES_INTRO = re.compile(
    r"(?:\b(?:by\s+and\s+between|by\s+and\s+among|between|among|tra|fra)\b|\bPARTIES\s*:)\s*:?\s*",
    re.IGNORECASE,
)
# After one party's description, the connector to the next one.
PARTY_CONNECTOR = re.compile(
    r"(?:[)”\"]\s*[,;]?\s*(?:(?:and|e|ed),?)?|[,;]\s*(?:and|e|ed),?|\s(?:and|e|ed),?)\s+(?=\S)"
)
# Where a party's name stops and its description begins.
NAME_END = re.compile(
    r",?\s+(?:a|an|the|its|con\s+sede|with|having|located|residing|whose|of|in\s+persona|nat[oa]|"
    r"residente|domiciliat[oa]|C\.?\s?F\.?|P\.?\s?IVA|VAT|codice\s+fiscale|partita\s+IVA|corrente|"
    r"hereinafter|herein|di\s+seguito|qui\s+di\s+seguito|rappresentat[ao]|represented|organi[sz]ed|"
    r"incorporated|existing|on\s+behalf|together|d/b/a|f/k/a)\b"
    r"|\s*[(“\"]|\s+(?:and|e|ed)\s+(?!(?:Co\b|Co\.|Company|Partners|Sons|Associates|Affiliates|Investments|"
    r"Logistics|Security|Struggles|Enterprises)\b)|[;:]|,\s+(?=[a-z])|(?<!\b[A-Z])(?<!\bSt)(?<!\bMr)(?<!\bMs)(?<!\bDr)\.\s+(?=[A-Z][a-z])",
)
COMPANY_SUFFIX = (
    r"(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Corporation|Corp\.?|Company|Co\.|Ltd\.?|Limited|L\.P\.|LP|LLP|"
    r"plc|PLC|N\.V\.|B\.V\.|AG|GmbH|S\.A\.|S\.p\.A\.|SpA|S\.r\.l\.|Srl|S\.r\.l\.s\.|S\.n\.c\.|S\.a\.s\.|"
    r"Bancorp|Bank|ASA|AB|Holdings)"
)
COMPANY_NAME = re.compile(
    rf"\b([A-Z0-9][\w&'’.\-]*,?\s+(?:(?:[A-Z0-9][\w&'’.\-]*|&|and|of|de|di|e)[,]?\s+){{0,5}}{COMPANY_SUFFIX})(?![\w])"
)

EFFECTIVE_ANCHORS = re.compile(
    r"\b(?:effective\s+(?:as\s+of|on|from|date\s+of)|effective|dated\s+as\s+of|dated|made\s+(?:and\s+entered\s+into\s+)?"
    r"(?:as\s+of|on|effective\s+as\s+of|this)|entered\s+(?:into\s+)?(?:as\s+of|on|this)|as\s+of|executed\s+(?:as\s+of|on)|"
    r"takes\s+effect\s+on|commenc\w+\s+on|decorre(?:nte)?\s+dal|decorrenza\s+dal|con\s+decorrenza\s+dal|"
    r"a\s+decorrere\s+dal|(?:ha\s+)?efficacia\s+dal|(?:in\s+)?vigore\s+dal|valido\s+dal|stipulato\s+il)\s*(?:the\s+|this\s+)?",
    re.IGNORECASE,
)
END_ANCHORS = re.compile(
    r"\b(?:fino\s+al|sino\s+al|scadenza\s+(?:il|al)|scade\s+il|until|expires?\s+on|ending\s+on|terminat\w+\s+on)\s*",
    re.IGNORECASE,
)
TERM_ANCHORS = re.compile(
    r"\b(?:durata\s+(?:di|pari\s+a|è\s+di|del\s+contratto\s+è\s+(?:fissata\s+in|di))|per\s+(?:un\s+periodo\s+di|la\s+durata\s+di)|"
    r"continues?\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+)?for(?:\s+a\s+(?:period|term)\s+of)?|"
    r"(?:term|period)\s+of(?:\s+this\s+(?:letter\s+)?Agreement)?(?:\s+(?:shall|will)\s+be)?|for\s+a\s+(?:period|term)\s+of|"
    r"remain\s+in\s+(?:full\s+)?(?:force\s+and\s+effect|effect)\s+(?:for(?:\s+a\s+period\s+of)?)|"
    r"terminate\s+(?:automatically\s+)?(?:upon\s+the\s+)?(?:expiration\s+of)|expire\s+(?:on\s+the\s+)?)\s*",
    re.IGNORECASE,
)
NOTICE_PATTERNS = (
    re.compile(r"\bpreavviso\s+(?:scritto\s+)?(?:di\s+)?(?:almeno\s+|non\s+inferiore\s+a\s+)?", re.IGNORECASE),
    re.compile(r"\b(?:at\s+least|upon|on|with|giving|gives)\s+(?:at\s+least\s+)?", re.IGNORECASE),
)
NOTICE_FOLLOWS = re.compile(r"\s*(?:\(\d+\)\s*)?(?:prior\s+)?(?:written\s+)?notice", re.IGNORECASE)

AUTO_RENEWAL_NO = re.compile(
    r"\b(?:non\s+(?:è\s+soggetto\s+a|prevede\s+(?:il\s+)?|si\s+rinnova|sarà\s+rinnovat\w|è\s+ammesso\s+il)\s*(?:rinnovo\s+tacito|"
    r"tacitamente|rinnovo\s+automatico)?|escluso\s+(?:il\s+)?(?:ogni\s+)?rinnovo\s+tacito|senza\s+(?:tacito\s+)?rinnovo|"
    r"(?:shall|will)\s+not\s+(?:be\s+)?(?:renew\w*\s+automatically|automatically\s+renew\w*)|no\s+automatic\s+renewal)",
    re.IGNORECASE,
)
AUTO_RENEWAL_YES = re.compile(
    r"\b(?:si\s+rinnova\w*\s+tacitamente|(?:si\s+intende\s+|sarà\s+|è\s+)?tacitamente\s+rinnovat\w|rinnovo\s+tacito|"
    r"rinnovo\s+automatico|si\s+rinnova\w*\s+automaticamente|rinnova\w*\s+(?:tacitamente|automaticamente)|"
    r"(?:shall|will)\s+(?:be\s+)?(?:renew\w*\s+automatically|automatically\s+(?:be\s+)?renew\w*)|auto(?:matic)?[\s-]?renewal)",
    re.IGNORECASE,
)
AMOUNT_ANCHORS = re.compile(
    r"\b(?:importo\s+(?:complessivo\s+)?(?:di|pari\s+a)|corrispettivo\s+(?:complessivo\s+|annuo\s+)?(?:di|pari\s+a)|"
    r"canone\s+(?:annuo\s+|mensile\s+)?(?:di|pari\s+a)|prezzo\s+(?:complessivo\s+)?(?:di|pari\s+a)|"
    r"(?:total\s+)?(?:fee|fees|price|consideration|amount)\s+of|pay\s+(?:the\s+\w+\s+)?(?:a\s+total\s+of|the\s+sum\s+of))\s*",
    re.IGNORECASE,
)
SUBJECT_ANCHORS = re.compile(
    r"\b(?:ha\s+(?:per|ad|come)\s+oggetto|oggetto\s+del\s+(?:presente\s+)?contratto\s+è|avente\s+ad\s+oggetto|"
    r"this\s+Agreement\s+(?:concerns|covers|relates\s+to|governs)|the\s+subject\s+(?:matter\s+)?of\s+this\s+Agreement\s+is)\s+",
    re.IGNORECASE,
)
SUBJECT_END = re.compile(
    r"\s+(?:secondo|come|alle\s+condizioni|as\s+described|in\s+accordance|under\s+the)\b|;|\.\s+(?=[A-Z])|\.$"
)

# The court or the law that decides disputes; "Foro" is the Italian court clause.
JURISDICTION_PATTERNS = (
    re.compile(r"\b(?:Foro\s+(?:competente\s+)?(?:di|del|della)|Tribunale\s+di|foro\s+esclusivo\s+di)\s+",
               re.IGNORECASE),
    re.compile(
        r"\b(?:governed\s+by|construed|interpreted|enforced|governing\s+law|shall\s+be\s+governed)[^.;]{0,120}?"
        r"\blaws?\s+of\s+(?:the\s+)?(?:State\s+of\s+|Commonwealth\s+of\s+)?",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:courts?\s+(?:located\s+)?(?:of|in)\s+(?:the\s+)?(?:State\s+of\s+|County\s+of\s+)?)",
               re.IGNORECASE),
    re.compile(r"\blaws\s+of\s+the\s+(?:State|Commonwealth)\s+of\s+", re.IGNORECASE),
    # "governed by Kansas law": the place is the law's adjective, so only when nothing above named it.
    re.compile(r"\bgoverned\s+by\s+(?:the\s+)?(?:internal\s+|substantive\s+)?(?=[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+laws?\b)"),
)
PLACE = re.compile(
    r"([A-Z][a-zà-ÿ]+(?:[\s-](?:[A-Z][a-zà-ÿ]+|di|del|de|on|upon))*(?:\s+[A-Z][a-zà-ÿ]+)?|[A-Z]{3,}(?:\s+[A-Z]{3,})?)"
)
NOT_PLACES = {"the", "united", "united states", "this", "such", "any", "england and wales"}

# Numbers in words, English and Italian, for "two (2) years" and "ventiquattro mesi".
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18,
    "twenty": 20, "twenty-four": 24, "thirty": 30, "thirty-six": 36, "forty-five": 45, "sixty": 60, "ninety": 90,
    "a": 1, "an": 1, "uno": 1, "un": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
    "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "dodici": 12, "diciotto": 18, "ventiquattro": 24,
    "trenta": 30, "trentasei": 36, "sessanta": 60, "novanta": 90, "seventeen": 17, "nineteen": 19, "forty": 40,
    "fifty": 50, "seventy": 70, "eighty": 80,
}
UNITS = {
    "year": "Y", "years": "Y", "anno": "Y", "anni": "Y", "month": "M", "months": "M", "mese": "M", "mesi": "M",
    "day": "D", "days": "D", "giorno": "D", "giorni": "D", "week": "W", "weeks": "W", "settimana": "W",
    "settimane": "W",
}
# "two (2) years", "24 mesi", "36-month period": number (in words or digits), optional digits, unit.
DURATION = re.compile(
    r"^(\d{1,3}|[a-z]+(?:-[a-z]+)?)\s*(?:\((\d{1,3})\)\s*)?-?\s*(?:calendar\s+|business\s+|solari\s+)?"
    r"(years?|months?|days?|weeks?|anni|anno|mesi|mese|giorni|giorno|settimane|settimana)\b",
    re.IGNORECASE,
)
# "the second (2nd) anniversary of the date hereof": a term in whole years.
ANNIVERSARY = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,2}(?:st|nd|rd|th))\s*"
    r"(?:\(\d{1,2}(?:st|nd|rd|th)?\)\s*)?anniversary\b",
    re.IGNORECASE,
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10}
# Where an English clause about the agreement's own life starts: its subject, then a verb of duration
# ("This Agreement shall terminate", "the obligations ... shall remain in effect", "the Term shall be").
TERM_SUBJECT = re.compile(
    r"\b(?:(?:this|the)\s+(?:letter\s+)?(?:Agreement|NDA|agreement)|obligations|the\s+Term|term\s+of\s+this)\b"
    r"(?:(?![.;]\s)[^.;]){0,160}?"
    r"(?:\b(?:shall|will|is|are|to)\s+(?:\w+\s+){0,2}?(?:terminate|expire|continue|remain|be\s+in\s+(?:full\s+)?(?:force|effect)|"
    r"be\s+effective|become\s+effective|end|be\s+for|last|run|survive|be\s+binding)|"
    r"\b(?:terminates|expires|continues|remains|ends|ending|lasts|runs|survives|in\s+effect)|effective\s+(?:from|for|until))\b",
    re.IGNORECASE,
)
# A duration counted from the agreement's own start ("from the date hereof", "after such Effective Date").
TERM_FROM = re.compile(
    r"\s*(?:from|after|following|of)\s+(?:the\s+|such\s+)?(?:date\s+(?:hereof|of\s+this|first\s+(?:written|set\s+forth)|"
    r"on\s+which\s+this)|(?:Effective|execution|signing)\s+Date|execution|signing|commencement|hereof)",
    re.IGNORECASE,
)
# Durations that are not the agreement's life: after it ends (survival, "thereafter"), deadlines and notices.
TERM_AFTER_NOT = re.compile(
    r"\s*(?:(?:prior\s+)?(?:written\s+)?notice|'|’|prior|before|thereafter|of\s+(?!(?:the\s+|such\s+)?(?:date|Effective|execution|this|hereof))|"
    r"(?:after|following|from)\s+(?:the\s+|any\s+|such\s+)?(?:date\s+of\s+)?(?:termination|expiration|expiry|cessation|"
    r"end|receipt|disclosure|request))",
    re.IGNORECASE,
)
# Restrictions that run for their own period (non-compete, non-solicit, standstill) inside a life clause.
TERM_LIFE_NOT = re.compile(r"compet|solicit|standstill|\bhir(?:e|ing)\b|restrict|employ", re.IGNORECASE)
TERM_BEFORE_NOT = re.compile(r"\b(?:within|at\s+least|no\s+later\s+than|not\s+less\s+than|prior\s+to|up\s+to)\s*$",
                             re.IGNORECASE)

# Specific approval of onerous clauses (arts. 1341-1342 c.c.).
SPECIFIC_APPROVAL = re.compile(
    r"approv\w+\s+(?:specificamente|espressamente|specificatamente)|artt?\.?\s*1341\s*(?:e|,)\s*1342|"
    r"art\.?\s*1341", re.IGNORECASE,
)
SIGNATURE_CUES = re.compile(r"\b(?:firma|firmato|sottoscritt\w|signature|signed|il\s+fornitore|il\s+cliente|"
                            r"per\s+accettazione|letto,?\s+confermato)\b", re.IGNORECASE)
# What a page heading or a letter's address block glues before a name: "EXECUTION VERSION Westway Group, Inc.",
# "Board of Directors of Interactive Data Corporation", "Mr. Thomas Hook President and CEO Greatbatch, Inc.".
NAME_PREFIX = re.compile(
    # Headings are in capitals ("PRIVATE AND CONFIDENTIAL"); "Private Equity Partners LLC" is a name.
    r"^(?:(?:(?-i:EXECUTION\s+(?:VERSION|COPY)|FINAL\s+VERSION|CONFIDENTIAL|LOGO|STRICTLY|PRIVATE|PERSONAL|AGREEMENT|"
    r"AND)|"
    r"(?:Exhibit|EX-)\s*[\w.()\-]*\d[\w.()\-]*|"
    # a letter's date line: "December 7, 2012 JAB Beech Inc.", or its tail "11, 2012 One Equity Partners IV, L.P."
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+)?"
    r"\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|"
    # an address block ending in a ZIP code: "4690 Millennium Drive Belcamp, MD 21017 Datakey, Inc."
    r"\d+\s+(?:[\w.#\-]+,?\s+){1,8}?(?-i:[A-Z]{2})\s+\d{5}(?:-\d{4})?)\s+)+"
    r"|^(?:the\s+)?(?:Board\s+of\s+Directors|Special\s+Committee)\s+of\s+(?:the\s+Board\s+of\s+Directors\s+of\s+)?"
    r"|^(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?(?:[A-Z][\w.]*\s+){1,3}(?:Vice\s+)?(?:President|Chief\s+\w+\s+Officer|CEO|CFO|Chairman|"
    r"General\s+Counsel|Secretary|Treasurer|Director)(?:\s+(?:and|&)\s+(?:CEO|CFO|COO|Chairman|Secretary|Treasurer))?\s+",
    re.IGNORECASE,
)
NAME_PLACEHOLDER = re.compile(r"\s*(?:\[[^\]]{0,40}\]|_{3,})")
# After a company's name, the sign that it is a party: a defined name or its incorporation.
DEFINED_AFTER = re.compile(
    r"\s*,?\s*(?:\(\s*(?:the\s+|referred\s+to\s+(?:herein\s+)?as\s+)?[“\"]|an?\s+(?:[A-Z][\w.]*\s+){1,3}"
    r"(?:corporation|company|limited\s+liability\s+company|limited\s+partnership|partnership|bank)\b)"
)
# Lower-case words a party's name may hold ("Leonard Green and Partners", "Studio di Luca Costa").
NAME_JOINERS = {"and", "of", "de", "di", "del", "della", "e", "the", "&", "da", "van", "von", "der", "du", "la", "le"}
# A signature line's name; the labels printed under it ("Signature", "Name", "Title") are not part of it.
SIGNER = re.compile(r"(?:/s/|Name\s*:|By\s*:\s*/s/|\b(?:EMPLOYEE|EXECUTIVE|CONSULTANT|DIRECTOR)\s*:)\s*"
                    r"([A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+(?!(?:Signature|Name|Title|Date|By|Its|Address|Witness)\b)"
                    r"[A-Z][a-z]+){1,2}(?:,?\s+(?:Jr\.|Sr\.|III|II))?)")
# "By:" before a signature: an officer signing for a company, not a party in person.
SIGNS_FOR_COMPANY = re.compile(r"\bBy\s*:?\s*(?:/s/)?\s*$", re.IGNORECASE)
SIGNER_ROLE = re.compile(r"^\W{0,3}(?:\S+\s+){0,6}?(?:Title|Its|President|Chief|Officer|Director|Secretary|Manager|"
                         r"Partner|Vice|Treasurer|Counsel|CEO|CFO|Chairman)\b")
TERM_CONTEXT = re.compile(r"\b(?:this\s+Agreement|the\s+Term|term\s+of|il\s+(?:presente\s+)?contratto|durata)\b|"
                          r"\bdurata\b", re.IGNORECASE)
TERM_NOT = re.compile(r"compet|solicit|employ|restrict|following\s+(?:the\s+)?(?:termination|expiration)|thereafter|"
                      r"survive|after\s+(?:the\s+)?(?:termination|expiration)|riservatezza|confidential", re.IGNORECASE)
# Where a signature block dates the agreement: "Date: 5/12/09", "DATE 04/18/01", "executed this agreement this 16th
# day of May, 2011", "ACCEPTED AND AGREED TO THIS 11 DAY OF October, 2007".
SIGNED_DATE = re.compile(
    r"\b(?:(?:Dated?|Data|Date\s+signed|Signed\s+on)\s*:|(?-i:DATED?))\s*"
    r"|\b(?:executed|signed|accepted\s+and\s+agreed(?:\s+to)?)\s+(?:this\s+(?:agreement|letter(?:\s+agreement)?)\s+)?"
    r"(?:as\s+of\s+|on\s+)?(?:this|the)\s+",
    re.IGNORECASE,
)
# A date anchor that follows another document's name dates that document ("the Merger Agreement dated as of",
# "the Employment Agreement between the Company and me dated July 10, 1978").
OTHER_DOCUMENT = re.compile(
    r"\b(?:the|an?|that|certain)\s+(?:[A-Z][\w-]*\s+(?:and\s+|of\s+)?){1,5}(?:Agreement|Letter|Plan|Notes?|Indenture)"
    r"\b(?:[^.;]|\.(?!\s+[A-Z])){0,70}$"
)
# A VAT number after its label: optional country prefix (group 1), the digits (group 2).
VAT_NEAR = re.compile(r"(?:P\.?\s?IVA|partita\s+IVA|VAT(?:\s+Reg(?:\.|istration))?(?:\s+No\.?|\s+number)?)"
                      r"\s*:?\s*([A-Z]{2}\s?)?(\d[\d\s]{8,13}\d)", re.IGNORECASE)
