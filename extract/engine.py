"""The extraction entry point: classify when needed, then dispatch to the doc type's extractor."""

from __future__ import annotations

from core.document import Extraction, PageWords
from extract.checks import NON_EU_SUPPLIER, run_checks
from extract.classify import classify
from extract.contract import extract_agreement
from extract.invoice import extract_invoice
from extract.memory import SupplierMemory, apply_memory, supplier_labels
from extract.receipt import extract_receipt
from extract.textcat import install


def extract(pages: list[PageWords], *, doc_type: str | None = None,
            memory: SupplierMemory | None = None) -> Extraction:
    """Fields, lines and checks for a document; types without an extractor carry only the classification.

    ``memory`` holds what reviewers taught about suppliers: a known supplier's remembered places are read first.
    """
    if doc_type is None:
        install()  # the trained classifier joins the rules once per process, when it has been trained
        doc_type, probability = classify(pages)
    else:
        probability = 1.0  # given by the pipeline, not guessed
    result = Extraction(doc_type=doc_type, doc_type_confidence=probability)
    if doc_type in ("invoice", "credit_note"):
        result.fields, result.lines, found = extract_invoice(pages, doc_type=doc_type)
        labels = supplier_labels(pages, result.fields, memory)
        if labels:  # a remembered supplier: read again with its own labels known
            result.fields, result.lines, found = extract_invoice(pages, doc_type=doc_type, supplier_labels=labels)
        apply_memory(pages, result.fields, memory)
        # Checks again after the memory's corrections; a non-EU seller's note stands while no VAT id was found.
        notes = [c for c in found if c.code == NON_EU_SUPPLIER and "supplier_vat" not in result.fields]
        result.checks = run_checks(result.fields, result.lines) + notes
    elif doc_type == "receipt":
        result.fields = extract_receipt(pages)
        result.checks = run_checks(result.fields)
    elif doc_type in ("contract", "order", "delivery_note"):
        result.fields, result.lines, result.checks = extract_agreement(pages, doc_type)
    return result
