"""Searchable archive PDF: the page images with an invisible text layer at the recognised word boxes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, ImageCms
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from core.document import PageWords
from ocr.images import encode_jpeg

# Binary streams, not ASCII85 text: reportlab encodes ASCII85 in pure Python unless its optional C accelerator is
# installed, which made a page image cost more to wrap than to compress; binary is also a fifth smaller.
rl_config.useA85 = 0

# PDF/A wants every font embedded: DejaVu is a real TrueType font reportlab can subset and embed
# (reportlab 5 refuses Tesseract's glyphless pdf.ttf: no PostScript name in its name table).
_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/tesseract-ocr/5/tessdata/pdf.ttf"),
)


def _font() -> str:
    """An embeddable TrueType font for the invisible text, else the (not embedded) Helvetica."""
    if "QuinteText" in pdfmetrics.getRegisteredFontNames():
        return "QuinteText"
    for path in _FONTS:
        try:
            pdfmetrics.registerFont(TTFont("QuinteText", str(path)))
        except (OSError, AttributeError, ValueError):
            continue
        return "QuinteText"
    return "Helvetica"


@cache
def _srgb_profile() -> bytes:
    """An sRGB ICC profile for the PDF/A output intent, made by LittleCMS through Pillow (no file needed)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _draw_words(pdf: canvas.Canvas, words: PageWords, scale: float, page_height: float, font: str) -> None:
    """Each word as invisible text stretched over its box, so selection and search hit the right place."""
    for word in words.words:
        x0, y0, x1, y1 = (v * scale for v in word.bbox)
        size = max(y1 - y0, 1.0)
        natural = pdfmetrics.stringWidth(word.text, font, size) or 1.0
        text = pdf.beginText()
        text.setTextRenderMode(3)  # invisible
        text.setFont(font, size)
        text.setHorizScale(100.0 * (x1 - x0) / natural)
        text.setTextOrigin(x0, page_height - y1 + 0.2 * size)
        text.textOut(word.text)
        pdf.drawText(text)


def _page_image(image: np.ndarray | bytes, jpeg_quality: int) -> ImageReader:
    """The page as the PDF will hold it: JPEG passed through as DCTDecode, or lossless Flate when quality is 0.

    JPEG is the default because reportlab's Flate path compresses (and, with its default settings, ASCII85-encodes
    in pure Python) the whole raster: on a noisy 300-dpi scan that cost about 1 s of CPU and 4 MB per page,
    against 0.07 s and 0.9 MB for JPEG at quality 85, which is how OCRmyPDF's optimiser stores scans too.
    A page image stored as JPEG (bytes) goes in as it is: encoding it again would only lose more.
    """
    if isinstance(image, bytes):
        return ImageReader(io.BytesIO(image))
    if jpeg_quality == 0:
        return ImageReader(Image.fromarray(image))
    return ImageReader(io.BytesIO(encode_jpeg(image, jpeg_quality)))


def searchable_pdf(pages: list[tuple[np.ndarray | bytes, PageWords]], dpi: int, *, pdfa: bool = True,
                   title: str = "", jpeg_quality: int = 85) -> bytes:
    """One PDF page per image (an array, or JPEG bytes), sized for ``dpi``, with its words as an invisible,
    searchable layer.

    With ``pdfa`` (and an embeddable font) the file carries the PDF/A-2b markers: sRGB output intent and
    XMP metadata; fonts are embedded by reportlab. It is not run through a validator here.
    """
    out = io.BytesIO()
    font = _font()
    # The initial font is set on every page: it must be the embedded one, not reportlab's Helvetica.
    pdf = canvas.Canvas(out, pageCompression=1, initialFontName=font)
    pdf.setCreator("quinte")
    scale = 72.0 / dpi
    for image, words in pages:
        reader = _page_image(image, jpeg_quality)
        width_px, height_px = reader.getSize()
        width, height = width_px * scale, height_px * scale
        pdf.setPageSize((width, height))
        pdf.drawImage(reader, 0, 0, width=width, height=height)
        # Words may refer to a differently sized copy of the page; map them onto this one.
        _draw_words(pdf, words, scale * width_px / max(words.width, 1), height, font)
        pdf.showPage()
    pdf.save()
    if pdfa and font != "Helvetica":
        return _as_pdfa(out.getvalue(), title)
    return out.getvalue()


def _as_pdfa(data: bytes, title: str) -> bytes:
    """Add what PDF/A-2b needs beyond embedded fonts: an output intent and matching XMP/Info metadata."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        icc = pikepdf.Stream(pdf, _srgb_profile())
        icc[pikepdf.Name.N] = 3
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB"),
            Info=pikepdf.String("sRGB IEC61966-2.1"),
            DestOutputProfile=icc,
        )
        pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        # update_docinfo keeps the Info dictionary and the XMP in step, as PDF/A requires.
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            meta["dc:title"] = title or "quinte archive copy"
            meta["xmp:CreatorTool"] = "quinte"
            meta["pdf:Producer"] = "quinte"
            meta["xmp:CreateDate"] = now
            meta["xmp:ModifyDate"] = now
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=True, min_version="1.7")
        return out.getvalue()
