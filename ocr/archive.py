"""Searchable archive PDF: the page images with an invisible text layer at the recognised word boxes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from core.document import PageWords

# Tesseract's glyphless font: embeddable (PDF/A wants embedded fonts) and every glyph is invisible anyway.
_GLYPHLESS = Path("/usr/share/tesseract-ocr/5/tessdata/pdf.ttf")


def _font() -> str:
    """The embeddable glyphless font when reportlab can load it, else the (not embedded) Helvetica."""
    if "GlyphLessFont" in pdfmetrics.getRegisteredFontNames():
        return "GlyphLessFont"
    try:
        pdfmetrics.registerFont(TTFont("GlyphLessFont", str(_GLYPHLESS)))
    except (OSError, AttributeError, ValueError):
        # reportlab 5 refuses this font (no PostScript name in its name table).
        return "Helvetica"
    return "GlyphLessFont"


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


def searchable_pdf(pages: list[tuple[np.ndarray, PageWords]], dpi: int) -> bytes:
    """One PDF page per image, sized for ``dpi``, with its words as an invisible, searchable layer."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=1)
    pdf.setCreator("quinte")
    font = _font()
    scale = 72.0 / dpi
    for image, words in pages:
        height_px, width_px = image.shape[:2]
        width, height = width_px * scale, height_px * scale
        pdf.setPageSize((width, height))
        pdf.drawImage(ImageReader(Image.fromarray(image)), 0, 0, width=width, height=height)
        # Words may refer to a differently sized copy of the page; map them onto this one.
        _draw_words(pdf, words, scale * width_px / max(words.width, 1), height, font)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
