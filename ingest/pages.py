"""The pages stage: split the original into page images (pdf2image for PDFs, Pillow for TIFF/JPEG/PNG)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
from pdf2image import convert_from_bytes
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict, Field
from pypdf import PdfReader
from sqlalchemy import delete, select

from core.context import StageContext
from core.errors import TransientError, UnreadableDocument
from ingest.sniff import IMAGE_TYPES, MAX_IMAGE_PIXELS, PDF
from storage.models import Document, Page

POINTS_PER_INCH = 72


class PagesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dpi: int = Field(300, ge=72, le=600)
    # Pages whose render at ``dpi`` would exceed this are rendered at a lower resolution instead.
    max_pixels: int = Field(60_000_000, ge=1_000_000, le=MAX_IMAGE_PIXELS)
    # Below this resolution an oversized page is unreadable, so it is refused rather than rendered.
    min_dpi: int = Field(50, ge=20, le=300)
    render_timeout: int = Field(180, ge=5)


def raw_page_key(document_id: str, number: int) -> str:
    return f"documents/{document_id}/raw/{number:04d}.png"


def page_image_key(document_id: str, number: int) -> str:
    return f"documents/{document_id}/pages/{number:04d}.png"


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def page_dpis(data: bytes, params: PagesParams) -> list[int]:
    """The resolution for each PDF page: the configured one, lowered for enormous pages to bound memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    dpis = []
    for width_pt, height_pt in sizes:
        inches = max(width_pt, 1) / POINTS_PER_INCH * max(height_pt, 1) / POINTS_PER_INCH
        fitting = int((params.max_pixels / inches) ** 0.5)
        dpi = min(params.dpi, fitting)
        if dpi < params.min_dpi:
            width_cm, height_cm = width_pt / POINTS_PER_INCH * 2.54, height_pt / POINTS_PER_INCH * 2.54
            raise UnreadableDocument(
                f"a page measures {width_cm:.0f} × {height_cm:.0f} cm; too large to render at a readable resolution",
                code="page_too_large",
            )
        dpis.append(dpi)
    return dpis


def render_pdf(data: bytes, params: PagesParams) -> Iterator[Image.Image]:
    """Render one page at a time so a long PDF never holds every page in memory."""
    for number, dpi in enumerate(page_dpis(data, params), start=1):
        try:
            images = convert_from_bytes(data, dpi=dpi, first_page=number, last_page=number,
                                        timeout=params.render_timeout)
        except PDFInfoNotInstalledError as exc:
            raise TransientError("poppler (pdftoppm) is not installed on this worker") from exc
        except (PDFPageCountError, PDFSyntaxError) as exc:
            raise UnreadableDocument(f"the PDF cannot be rendered: {exc}", code="corrupt") from exc
        except Exception as exc:
            if "timeout" in str(exc).lower() or type(exc).__name__ == "TimeoutExpired":
                raise UnreadableDocument(f"page {number} took longer than {params.render_timeout} s to render",
                                         code="render_timeout") from exc
            raise
        if not images:
            raise UnreadableDocument(f"page {number} could not be rendered", code="corrupt")
        yield images[0]


def render_image(data: bytes) -> Iterator[Image.Image]:
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            # Camera and scanner JPEGs carry their rotation in EXIF; apply it before anything measures the page.
            yield ImageOps.exif_transpose(image.copy())


def _grey_if_neutral(image: Image.Image) -> Image.Image:
    """A colour render of a page that holds no colour, as grey: poppler renders every PDF page in RGB, and a
    grey page stored as RGB costs three times the bytes and twice the time to encode, store and decode."""
    if image.mode != "RGB":
        return image
    pixels = np.asarray(image)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    if np.array_equal(red, green) and np.array_equal(green, blue):
        return image.convert("L")
    return image


def pages_stage(ctx: StageContext, params: PagesParams) -> None:
    """Render every page and store it at a deterministic key; replaces this document's earlier pages."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        assert document is not None
        media_type, object_key = document.media_type, document.object_key
    if media_type not in (PDF, *IMAGE_TYPES):
        return  # XML and signed e-invoices have no pages; their own stage reads them.
    data = ctx.store.get(object_key)
    images = render_pdf(data, params) if media_type == PDF else render_image(data)
    sizes: list[tuple[int, int]] = []
    for number, image in enumerate(images, start=1):
        page = image.convert("L") if image.mode not in ("L", "RGB") else _grey_if_neutral(image)
        ctx.store.put(raw_page_key(ctx.document_id, number), encode_png(page), content_type="image/png")
        sizes.append(page.size)
        image.close()
    with ctx.session() as session:
        session.execute(delete(Page).where(Page.document_id == ctx.document_id))
        for number, (width, height) in enumerate(sizes, start=1):
            session.add(Page(document_id=ctx.document_id, number=number, width=width, height=height,
                             image_key=raw_page_key(ctx.document_id, number)))
        document = session.scalar(select(Document).where(Document.id == ctx.document_id))
        assert document is not None
        document.page_count = len(sizes)
