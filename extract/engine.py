"""The extraction entry point: classify when needed, then dispatch to the doc type's extractor."""

from __future__ import annotations

from core.document import Extraction, PageWords
from extract.checks import run_checks
from extract.classify import classify
from extract.invoice import extract_invoice
from extract.receipt import extract_receipt


def extract(pages: list[PageWords], *, doc_type: str | None = None) -> Extraction:
    """Fields, lines and checks for a document; types without an extractor carry only the classification."""
    if doc_type is None:
        doc_type, probability = classify(pages)
    else:
        probability = 1.0  # given by the pipeline, not guessed
    result = Extraction(doc_type=doc_type, doc_type_confidence=probability)
    if doc_type in ("invoice", "credit_note"):
        result.fields, result.lines, result.checks = extract_invoice(pages, doc_type=doc_type)
    elif doc_type == "receipt":
        result.fields = extract_receipt(pages)
        result.checks = run_checks(result.fields)
    elif doc_type in ("contract", "order", "delivery_note"):
        from extract.contract import extract_agreement  # contracts, orders and DDTs (issue 8)

        result.fields, result.lines, result.checks = extract_agreement(pages, doc_type)
    return result
