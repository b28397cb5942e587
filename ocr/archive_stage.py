"""The archive stage: a searchable PDF/A-2b copy of the document from its stored page images and words."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.context import StageContext
from core.records import load_page_words
from ingest.pages import page_media_type
from ocr.archive import searchable_pdf
from ocr.images import decode_grey
from storage.models import Document, Page


class ArchiveParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Resolution the stored page images are taken to have (the pages stage renders at 300 by default).
    dpi: int = Field(300, ge=72, le=600)
    pdfa: bool = True
    # Page images are stored as JPEG at this quality (PDF/A allows DCT); 0 keeps them lossless (larger, slower).
    jpeg_quality: int = Field(85, ge=0, le=100)


def archive_key(document_id: str) -> str:
    """Where a document's archive copy lives, beside its original and pages."""
    return f"documents/{document_id}/archive.pdf"


def archive_stage(ctx: StageContext, params: ArchiveParams) -> None:
    """Build and store the searchable archive copy; a document without page images gets none."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        assert document is not None
        keys = session.execute(
            select(Page.number, Page.image_key).where(Page.document_id == ctx.document_id).order_by(Page.number)
        ).all()
        words = {page.page: page for page in load_page_words(session, ctx.document_id)}
        title = document.original_name
    pages = [(_stored_page(ctx.store.get(key), key), words[number]) for number, key in keys if key and number in words]
    if not pages:
        return
    data = searchable_pdf(pages, params.dpi, pdfa=params.pdfa, title=title or "", jpeg_quality=params.jpeg_quality)
    ctx.store.put(archive_key(ctx.document_id), data, content_type="application/pdf")


def _stored_page(data: bytes, key: str) -> np.ndarray | bytes:
    """A JPEG page image stays as it was stored (the archive embeds it as is); others are decoded."""
    return data if page_media_type(key) == "image/jpeg" else decode_grey(data)
