"""The pages stage: split the original into page images for OCR (pdf2image for PDFs, Pillow for TIFF/JPEG/PNG)."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from pdf2image import convert_from_bytes
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import ExifTags, Image, ImageOps
from pydantic import BaseModel, ConfigDict, Field
from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import delete, select

from core.context import StageContext
from core.errors import TransientError, UnreadableDocument
from core.pdf_boxes import visible_box
from ingest.sniff import IMAGE_TYPES, MAX_IMAGE_PIXELS, PDF
from storage.models import Document, Page

POINTS_PER_INCH = 72
log = logging.getLogger(__name__)


class PagesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dpi: int = Field(300, ge=72, le=600)
    # Pages whose render at ``dpi`` would exceed this are rendered at a lower resolution instead.
    max_pixels: int = Field(60_000_000, ge=1_000_000, le=MAX_IMAGE_PIXELS)
    # Below this resolution an oversized page is unreadable, so it is refused rather than rendered.
    min_dpi: int = Field(50, ge=20, le=300)
    render_timeout: int = Field(180, ge=5)


@dataclass(slots=True)
class RawPage:
    """A page as it goes to OCR: its grey image, and the scan's own JPEG when that is stored as it is.

    With the JPEG kept, ``source`` is that JPEG opened but not decoded: storing the page needs only its size,
    and decoding a 300 dpi page just to learn it cost 30 ms. ``image`` decodes it (to grey) when asked.
    """

    source: Image.Image
    jpeg: bytes | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.source.size

    @property
    def image(self) -> Image.Image:
        if self.source.mode != "L":
            self.source = self.source.convert("L")
        return self.source

    def encoded(self) -> tuple[bytes, str, str]:
        """The bytes to store, their file extension and their media type."""
        if self.jpeg is not None:
            return self.jpeg, "jpg", "image/jpeg"
        return encode_png(self.image), "png", "image/png"


def raw_page_key(document_id: str, number: int, extension: str = "png") -> str:
    return f"documents/{document_id}/raw/{number:04d}.{extension}"


def page_image_key(document_id: str, number: int, extension: str = "png") -> str:
    return f"documents/{document_id}/pages/{number:04d}.{extension}"


def page_media_type(key: str) -> str:
    """The media type of a stored page image (raw or cleaned), from its key's extension."""
    return "image/jpeg" if key.endswith(".jpg") else "image/png"


def encode_png(image: Image.Image) -> bytes:
    """A page as PNG, fast: on grey scans zlib's run-length strategy is 40 % quicker and 15 % smaller."""
    if image.mode == "L":
        options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
        encoded, buffer = cv2.imencode(".png", np.asarray(image), options)
        if encoded:
            return buffer.tobytes()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _reader(data: bytes) -> PdfReader:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
    return reader


def _visible_size(page: PageObject) -> tuple[float, float]:
    """Width and height in points of what the renderer draws."""
    left, bottom, right, top = visible_box(page.mediabox, page.cropbox)
    return right - left, top - bottom


def page_dpis(reader: PdfReader, params: PagesParams) -> list[int]:
    """The resolution for each PDF page: the configured one, lowered for enormous pages to bound memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sizes = [_visible_size(p) for p in reader.pages]
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


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance


def embedded_scan(page: PageObject, dpi: int) -> RawPage | None:
    """The page's own JPEG when the page is nothing but one full-page scan at ``dpi``; else None.

    Most scanners write a PDF page as one JPEG drawn over the whole page. Rendering such a page at the
    scan's own resolution gives back its pixels, slightly blurred by poppler's resampling (cleanup's
    ``smooth`` step stands in for that), at about 0.25 s of CPU a page, and storing the render as PNG costs
    another 0.1 s; the JPEG itself is decoded in a tenth of that and stored as it is. Anything else on the
    page, a turn, a mask, a colour profile or another resolution goes through the renderer.
    """
    if int(page.get("/Rotate", 0) or 0) % 360:
        return None
    box = page.mediabox
    if visible_box(box, page.cropbox) != visible_box(box):
        return None  # a scan cropped by its PDF: only part of the JPEG is the page
    operations = [(operands, op) for operands, op in ContentStream(page.get_contents(), page.pdf).operations
                  if op not in (b"q", b"Q")]
    if [op for _operands, op in operations] != [b"cm", b"Do"]:
        return None
    (a, b, c, d, e, f), (name,) = (float(v) for v in operations[0][0]), operations[1][0]
    width_pt, height_pt = float(box.width), float(box.height)
    if b or c or not (_close(a, width_pt, 0.5) and _close(d, height_pt, 0.5)
                      and _close(e, float(box.left), 0.5) and _close(f, float(box.bottom), 0.5)):
        return None
    image = page["/Resources"]["/XObject"][name].get_object()
    filters = image.get("/Filter")
    if isinstance(filters, list):
        filters = filters[0] if len(filters) == 1 else None
    if (image.get("/Subtype") != "/Image" or filters != "/DCTDecode" or image.get("/BitsPerComponent") != 8
            or image.get("/ColorSpace") not in ("/DeviceGray", "/DeviceRGB")
            or any(key in image for key in ("/SMask", "/Mask", "/Decode", "/ImageMask"))):
        return None
    pixels_wide, pixels_high = int(image["/Width"]), int(image["/Height"])
    tolerance = 0.02 * dpi
    if not (_close(pixels_wide / width_pt * POINTS_PER_INCH, dpi, tolerance)
            and _close(pixels_high / height_pt * POINTS_PER_INCH, dpi, tolerance)):
        return None
    jpeg = image.get_data()
    decoded = Image.open(io.BytesIO(jpeg))
    if decoded.format != "JPEG" or decoded.size != (pixels_wide, pixels_high) or decoded.mode not in ("L", "RGB"):
        return None
    # The whole stream is decoded once here, at an eighth of the size (half the time of a full decode), so a
    # damaged JPEG still goes to the renderer instead of failing OCR later.
    check = Image.open(io.BytesIO(jpeg))
    check.draft("L", (max(1, pixels_wide // 8), max(1, pixels_high // 8)))
    check.load()
    return RawPage(decoded, jpeg)


def render_pdf(data: bytes, params: PagesParams) -> Iterator[RawPage]:
    """Grey page images, one at a time so a long PDF never holds every page in memory."""
    reader = _reader(data)
    for number, dpi in enumerate(page_dpis(reader, params), start=1):
        try:
            scan = embedded_scan(reader.pages[number - 1], dpi)
        except Exception:  # an odd page structure is the renderer's to read, not an error
            log.debug("page %d: not a plain embedded scan, rendering it", number, exc_info=True)
            scan = None
        yield scan if scan is not None else RawPage(_render(data, number, dpi, params))


def _render(data: bytes, number: int, dpi: int, params: PagesParams) -> Image.Image:
    try:
        # Grey: OCR reads grey, and the original file keeps the colour. The crop box, as a viewer shows the
        # page: what lies outside it (a scan cropped in Acrobat, printer's marks) is not part of the document.
        images = convert_from_bytes(data, dpi=dpi, first_page=number, last_page=number, grayscale=True,
                                    use_cropbox=True, timeout=params.render_timeout)
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
    return images[0]


def render_image(data: bytes) -> Iterator[RawPage]:
    """Each frame of a TIFF/JPEG/PNG upright and grey; a plain JPEG also keeps its own bytes."""
    with Image.open(io.BytesIO(data)) as image:
        frames = getattr(image, "n_frames", 1)
        # A single-frame JPEG that needs no turning is stored as it came.
        keep_bytes = (image.format == "JPEG" and frames == 1 and image.mode in ("L", "RGB")
                      and image.getexif().get(ExifTags.Base.Orientation, 1) == 1 and _pixel_aspect(image) == 1)
        if keep_bytes:
            # Not decoded here: intake's probe (ingest.sniff) decoded it in full and quarantines a damaged one.
            # Its own reader, not tied to this block: the page may be decoded after the generator has finished.
            yield RawPage(Image.open(io.BytesIO(data)), data)
            return
        for index in range(frames):
            image.seek(index)
            # Camera and scanner JPEGs carry their rotation in EXIF; apply it before anything measures the page.
            aspect = _pixel_aspect(image)
            if image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):
                aspect = 1 / aspect  # turned a quarter: the resolution across is now the one down
            upright = ImageOps.exif_transpose(image.copy())
            yield RawPage(square_pixels(grey_on_white(upright), aspect))


def _pixel_aspect(image: Image.Image) -> float:
    """Horizontal over vertical resolution of the current frame; 1 when unknown or within 5 %."""
    resolution = image.info.get("dpi") or image.info.get("resolution")
    try:
        across, down = (float(v) for v in resolution)
    except (TypeError, ValueError):
        return 1.0
    if across <= 0 or down <= 0 or abs(across / down - 1) <= 0.05:
        return 1.0
    return across / down


def square_pixels(image: Image.Image, aspect: float) -> Image.Image:
    """A page whose pixels are not square stretched along its coarser axis, so the text has its true shape.

    A standard-resolution fax is 204 × 98 dpi: read as it is, every letter is half its height and Tesseract lost
    half of an invoice's fields.
    """
    if aspect == 1:
        return image
    width, height = image.size
    size = (width, round(height * aspect)) if aspect > 1 else (round(width / aspect), height)
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise UnreadableDocument(f"a page of {width} × {height} pixels at a {aspect:.2f} pixel aspect is too large",
                                 code="page_too_large")
    return image.resize(size, Image.Resampling.BICUBIC)


def grey_on_white(image: Image.Image) -> Image.Image:
    """Any Pillow image as 8-bit grey as it would print: transparency over white paper, deep samples scaled.

    Pillow's own ``convert("L")`` drops the alpha channel, so ink on a transparent background (a PNG saved by
    a phone or a web app) came out as a black page; and it clips 16-bit samples at 255, so a 16-bit grey scan
    came out white.
    """
    if image.mode.startswith(("I", "F")):
        samples = np.asarray(image, dtype=np.float64)
        top = float(samples.max(initial=0.0))
        # Integer scans use 8 or 16 bits of their range; float ones 0-1 (or an integer range).
        full = 1.0 if image.mode == "F" and top <= 1.0 else 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
        return Image.fromarray(np.clip(samples * (255.0 / full), 0, 255).round().astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(paper, image.convert("RGBA")).convert("L")
    return image if image.mode == "L" else image.convert("L")


def pages_stage(ctx: StageContext, params: PagesParams) -> None:
    """Render every page and store it at a deterministic key; replaces this document's earlier pages."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        assert document is not None
        media_type, object_key = document.media_type, document.object_key
    if media_type not in (PDF, *IMAGE_TYPES):
        return  # XML and signed e-invoices have no pages; their own stage reads them.
    data = ctx.store.get(object_key)
    pages = render_pdf(data, params) if media_type == PDF else render_image(data)
    stored: list[tuple[str, tuple[int, int]]] = []
    for number, page in enumerate(pages, start=1):
        encoded, extension, content_type = page.encoded()
        key = raw_page_key(ctx.document_id, number, extension)
        ctx.store.put(key, encoded, content_type=content_type)
        stored.append((key, page.size))
        page.source.close()
    with ctx.session() as session:
        session.execute(delete(Page).where(Page.document_id == ctx.document_id))
        for number, (key, (width, height)) in enumerate(stored, start=1):
            session.add(Page(document_id=ctx.document_id, number=number, width=width, height=height,
                             image_key=key, raw_key=key))
        document = session.scalar(select(Document).where(Document.id == ctx.document_id))
        assert document is not None
        document.page_count = len(stored)
