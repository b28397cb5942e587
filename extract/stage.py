"""The extract stage: classify the document and extract its fields from the stored words."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from core.context import StageContext
from core.records import apply_extraction, load_page_words
from extract.engine import extract
from extract.memory import DbMemory
from invoicing.stage import is_e_invoice
from storage.models import Document, Record


class ExtractParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Force a type instead of classifying (a pipeline that only ever receives one kind of paper).
    doc_type: str | None = None


def extract_stage(ctx: StageContext, params: ExtractParams) -> None:
    """Write classification, fields, lines and checks to every record of the document."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        if document is None or is_e_invoice(document.media_type):
            return  # e-invoices were read exactly by the fatturapa stage
        pages = load_page_words(session, ctx.document_id)
        records = session.scalars(select(Record).where(Record.document_id == ctx.document_id)).all()
        for record in records:
            if record.status in {"validated", "rejected"}:
                continue  # decided by a person; a machine re-run must not reopen it
            forced = record.doc_type if record.doc_type_by_human else params.doc_type
            extraction = extract(pages, doc_type=forced, memory=DbMemory(session))
            text = "\n\n".join(page.text() for page in pages)
            apply_extraction(session, record, extraction, text=text)
