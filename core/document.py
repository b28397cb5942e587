"""The shared in-memory document model: words on pages, extracted fields, checks.

Pure data, no I/O: OCR produces ``PageWords``; extraction turns them into ``ExtractedField``s and
``Check``s; storage persists them. Boxes are ``(x0, y0, x1, y1)`` in pixels of the stored page image,
origin top-left; pages are numbered from 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BBox = tuple[int, int, int, int]

DOC_TYPES = ("invoice", "credit_note", "receipt", "contract", "order", "delivery_note", "timesheet", "other")
STATUSES = ("processing", "needs_review", "validated", "rejected", "failed")


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its box (stored-image pixels) and confidence in 0..1."""

    text: str
    bbox: BBox
    confidence: float
    page: int = 1
    block: int = 0
    line: int = 0


@dataclass(slots=True)
class PageWords:
    """All words of one page, in reading order, with the page size they refer to."""

    page: int
    width: int
    height: int
    words: list[Word] = field(default_factory=list)
    source: Literal["ocr", "text_layer"] = "ocr"

    @property
    def mean_confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words) if self.words else 0.0

    def text(self) -> str:
        """The page's text: words joined by spaces within a line, lines by newlines."""
        lines: list[str] = []
        current: tuple[int, int] | None = None
        for word in self.words:
            key = (word.block, word.line)
            if current is None or key != current:
                lines.append(word.text)
                current = key
            else:
                lines[-1] += " " + word.text
        return "\n".join(lines)


@dataclass(slots=True)
class ExtractedField:
    """A field value in canonical form with its evidence and calibrated confidence."""

    name: str
    value: Any
    confidence: float
    page: int | None = None
    bbox: BBox | None = None
    source: str = "rules"

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "page": self.page,
            "bbox": list(self.bbox) if self.bbox else None,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """A failed validation a reviewer must see: which field, how bad, and why in plain words."""

    code: str
    message: str
    field: str | None = None
    severity: Literal["error", "warning"] = "error"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "severity": self.severity, "message": self.message}


@dataclass(slots=True)
class Extraction:
    """What the extract stage produces for one document."""

    doc_type: str
    doc_type_confidence: float
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    lines: list[dict[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def check_doc_types(value: list[str] | None) -> list[str] | None:
    """A pydantic validator body: every name must be a known document type."""
    for doc_type in value or []:
        if doc_type not in DOC_TYPES:
            raise ValueError(f"unknown document type {doc_type!r} (known: {', '.join(DOC_TYPES)})")
    return value


def union_bbox(boxes: list[BBox]) -> BBox:
    """The smallest box holding all the given boxes."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
