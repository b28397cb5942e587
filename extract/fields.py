"""Shared helpers for field extractors: values parsed from words, and fields built with their evidence."""

from __future__ import annotations

from collections.abc import Sequence

from core.document import ExtractedField, Word
from extract.confidence import Evidence, confidence
from extract.layout import LabelHit, words_bbox
from extract.normalize import find_amounts, find_dates


def mean_confidence(words: Sequence[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def make_field(
    name: str, value: object, words: Sequence[Word], evidence: Evidence, source: str = "rules"
) -> ExtractedField:
    """A field with page and bbox from the words it came from and a probability from its evidence."""
    return ExtractedField(
        name=name,
        value=value,
        confidence=confidence(evidence, name),
        page=words[0].page if words else None,
        bbox=words_bbox(words) if words else None,
        source=source,
    )


def _span_words(words: Sequence[Word], start: int, end: int) -> list[Word]:
    """The words of a space-joined text that a character span [start, end) touches."""
    picked, offset = [], 0
    for word in words:
        if offset < end and start < offset + len(word.text):
            picked.append(word)
        offset += len(word.text) + 1
    return picked


def amounts_in(words: Sequence[Word]) -> list[tuple[str, list[Word]]]:
    """Amounts among the words, each with the words it was read from."""
    text = " ".join(w.text for w in words)
    return [(value, _span_words(words, s, e)) for s, e, value in find_amounts(text)]


def dates_in(words: Sequence[Word], *, dayfirst: bool = True) -> list[tuple[str, list[Word]]]:
    """Dates among the words, each with the words it was read from."""
    text = " ".join(w.text for w in words)
    return [(value, _span_words(words, s, e)) for s, e, value in find_dates(text, dayfirst=dayfirst)]


def label_evidence(
    hit: LabelHit | None,
    words: Sequence[Word],
    *,
    pattern: float = 0.7,
    validator: bool | None = None,
    arithmetic: bool | None = None,
) -> Evidence:
    return Evidence(
        label=hit.strength if hit else 0.0,
        ocr=mean_confidence(words),
        validator=validator,
        arithmetic=arithmetic,
        pattern=pattern,
    )
