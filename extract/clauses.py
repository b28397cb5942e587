"""Clause lexicon for contracts (Italian and English): the phrases that introduce each field's value."""

from __future__ import annotations

import re

# Where the parties are introduced ("Tra X ... e Y", "between X and Y", "among X, Y and Z").
PARTIES_INTRO = re.compile(
    r"(?:\b(?:by\s+and\s+between|by\s+and\s+among|between|among|tra|fra)\b|\bPARTIES\s*:)\s*:?\s*",
    re.IGNORECASE,
)
# After one party's description, the connector to the next one.
PARTY_CONNECTOR = re.compile(r"(?:[)”\"]\s*[,;]?\s*(?:and|e|ed)?|[,;]\s*(?:and|e|ed)|\s(?:and|e|ed))\s+(?=\S)")
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
    r"a\s+decorrere\s+dal|(?:ha\s+)?efficacia\s+dal|(?:in\s+)?vigore\s+dal|valido\s+dal|stipulato\s+il)\s*(?:the\s+)?",
    re.IGNORECASE,
)
END_ANCHORS = re.compile(
    r"\b(?:fino\s+al|sino\s+al|scadenza\s+(?:il|al)|scade\s+il|until|expires?\s+on|ending\s+on|terminat\w+\s+on)\s*",
    re.IGNORECASE,
)
TERM_ANCHORS = re.compile(
    r"\b(?:durata\s+(?:di|pari\s+a|è\s+di|del\s+contratto\s+è\s+(?:fissata\s+in|di))|per\s+(?:un\s+periodo\s+di|la\s+durata\s+di)|"
    r"continues?\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+)?for(?:\s+a\s+(?:period|term)\s+of)?|"
    r"(?:term|period)\s+of(?:\s+this\s+Agreement)?(?:\s+(?:shall|will)\s+be)?|for\s+a\s+(?:period|term)\s+of|"
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
    "trenta": 30, "trentasei": 36, "sessanta": 60, "novanta": 90,
}
UNITS = {
    "year": "Y", "years": "Y", "anno": "Y", "anni": "Y", "month": "M", "months": "M", "mese": "M", "mesi": "M",
    "day": "D", "days": "D", "giorno": "D", "giorni": "D", "week": "W", "weeks": "W", "settimana": "W",
    "settimane": "W",
}
DURATION = re.compile(
    r"^(\d{1,3}|[a-z]+(?:-[a-z]+)?)\s*(?:\((\d{1,3})\)\s*)?(?:calendar\s+|business\s+|solari\s+)?"
    r"(years?|months?|days?|weeks?|anni|anno|mesi|mese|giorni|giorno|settimane|settimana)\b",
    re.IGNORECASE,
)

# Specific approval of onerous clauses (arts. 1341-1342 c.c.).
SPECIFIC_APPROVAL = re.compile(
    r"approv\w+\s+(?:specificamente|espressamente|specificatamente)|artt?\.?\s*1341\s*(?:e|,)\s*1342|"
    r"art\.?\s*1341", re.IGNORECASE,
)
SIGNATURE_CUES = re.compile(r"\b(?:firma|firmato|sottoscritt\w|signature|signed|il\s+fornitore|il\s+cliente|"
                            r"per\s+accettazione|letto,?\s+confermato)\b", re.IGNORECASE)
# Lower-case words a party's name may hold ("Leonard Green and Partners", "Studio di Luca Costa").
NAME_JOINERS = {"and", "of", "de", "di", "del", "della", "e", "the", "&", "da", "van", "von", "der", "du", "la", "le"}
SIGNER = re.compile(r"(?:/s/|Name\s*:|By\s*:\s*/s/)\s*"
                    r"([A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+){1,2}(?:,?\s+(?:Jr\.|Sr\.|III|II))?)")
SIGNER_ROLE = re.compile(r"^\W{0,3}(?:\S+\s+){0,6}?(?:Title|Its|President|Chief|Officer|Director|Secretary|Manager|"
                         r"Partner|Vice|Treasurer|Counsel|CEO|CFO|Chairman)\b")
TERM_CONTEXT = re.compile(r"\b(?:this\s+Agreement|the\s+Term|term\s+of|il\s+(?:presente\s+)?contratto|durata)\b|"
                          r"\bdurata\b", re.IGNORECASE)
TERM_NOT = re.compile(r"compet|solicit|employ|restrict|following\s+(?:the\s+)?(?:termination|expiration)|thereafter|"
                      r"survive|after\s+(?:the\s+)?(?:termination|expiration)|riservatezza|confidential", re.IGNORECASE)
SIGNED_DATE = re.compile(r"\b(?:Dated?|Data|Date\s+signed|Signed\s+on)\s*:\s*", re.IGNORECASE)
# A VAT number after its label: optional country prefix (group 1), the digits (group 2).
VAT_NEAR = re.compile(r"(?:P\.?\s?IVA|partita\s+IVA|VAT(?:\s+Reg(?:\.|istration))?(?:\s+No\.?|\s+number)?)"
                      r"\s*:?\s*([A-Z]{2}\s?)?(\d[\d\s]{8,13}\d)", re.IGNORECASE)
