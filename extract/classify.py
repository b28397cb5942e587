"""Document type from keyword evidence (it/en/de/fr/es) and layout hints, behind a swappable scorer."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from core.document import DOC_TYPES, PageWords
from extract.lexicon import DOC_TYPE_KEYWORDS
from extract.normalize import fold

# A scorer maps pages to an unnormalised log-score per doc type; a trained textcat can take its place.
Scorer = Callable[[Sequence[PageWords]], dict[str, float]]

OTHER_BASELINE = 2.5  # the score "other" gets: weaker evidence than this is not a classification
TEMPERATURE = 1.5

_PATTERNS = {
    doc_type: [
        (re.compile(rf"(?<![a-z0-9]){re.escape(fold(phrase))}(?![a-z0-9])"), weight)
        for phrase, weight in phrases
    ]
    for doc_type, phrases in DOC_TYPE_KEYWORDS.items()
}
_ARTICLE_RE = re.compile(
    r"(?m)^\s*(?:art|articolo|article|artikel|articulo|clausola|clause|section|sezione|§)"
    r"\s*\.?\s*\d+",
    re.IGNORECASE,
)


def document_text(pages: Sequence[PageWords]) -> str:
    return "\n".join(page.text() for page in pages)


def keyword_scores(text: str) -> dict[str, float]:
    """Σ weight × (1 + log count) over the keywords found, so repetition helps but cannot dominate."""
    folded = fold(text)
    scores: dict[str, float] = {}
    for doc_type, patterns in _PATTERNS.items():
        total = 0.0
        for pattern, weight in patterns:
            count = len(pattern.findall(folded))
            if count:
                total += weight * (1 + math.log(min(count, 5)))
        scores[doc_type] = total
    return scores


def _content_shape(pages: Sequence[PageWords]) -> tuple[float, int]:
    """Aspect ratio (height / width) of the first page's printed area, and the word count of all pages."""
    words = pages[0].words if pages else []
    count = sum(len(p.words) for p in pages)
    if not words:
        return 1.0, count
    width = max(w.bbox[2] for w in words) - min(w.bbox[0] for w in words)
    height = max(w.bbox[3] for w in words) - min(w.bbox[1] for w in words)
    return height / max(1, width), count


def layout_scores(pages: Sequence[PageWords]) -> dict[str, float]:
    """Receipts are narrow and short; contracts run long and have numbered article headings."""
    aspect, count = _content_shape(pages)
    scores = dict.fromkeys(DOC_TYPES, 0.0)
    if aspect >= 1.8 and len(pages) == 1 and count < 400:
        scores["receipt"] += 3.0 + min(2.0, aspect - 1.8)
    articles = len(_ARTICLE_RE.findall(document_text(pages)))
    scores["contract"] += min(6.0, 1.5 * articles)
    if count > 1200 or len(pages) >= 3:
        scores["contract"] += 1.5
        scores["receipt"] -= 2.0
    return scores


def rule_scorer(pages: Sequence[PageWords]) -> dict[str, float]:
    """Keyword evidence plus layout hints."""
    keywords = keyword_scores(document_text(pages))
    layout = layout_scores(pages)
    scores = {t: keywords.get(t, 0.0) + layout.get(t, 0.0) for t in DOC_TYPES if t != "other"}
    # A credit note also says "fattura"/"invoice"; its own words decide, so it inherits that evidence.
    if keywords.get("credit_note", 0.0) >= 6.0:
        scores["credit_note"] += keywords.get("invoice", 0.0)
    scores["other"] = OTHER_BASELINE
    return scores


_scorer: Scorer = rule_scorer


def set_scorer(scorer: Scorer | None) -> None:
    """Install a different scorer (e.g. a spaCy textcat's log-probabilities); None restores the rules."""
    global _scorer
    _scorer = scorer or rule_scorer


def classify(pages: list[PageWords], *, scorer: Scorer | None = None) -> tuple[str, float]:
    """The most likely doc type of interfaces.md §3 and its probability (softmax over the scores)."""
    scores = (scorer or _scorer)(pages)
    top = max(scores.values())
    weights = {t: math.exp((s - top) / TEMPERATURE) for t, s in scores.items()}
    norm = sum(weights.values())
    best = max(scores, key=lambda t: (scores[t], t != "other"))
    return best, round(weights[best] / norm, 4)
