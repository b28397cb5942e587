"""Reuse of a PDF page's real text layer: words and boxes in the pixel frame of the rendered page."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from core.document import PageWords, Word
from core.pdf_boxes import Box, shown_size, visible_box

_PLAUSIBLE = re.compile(
    r"^[\W_]*([A-Za-zÀ-ÿ]{1,20}|[\d.,:/%€$£+-]{1,25}|[A-Za-zÀ-ÿ]+['’][A-Za-zÀ-ÿ]+)[\W_]*$"
)
_VOWELS = set("aeiouyàèéìòùáíóúäöüâêîôûAEIOUYÀÈÉÌÒÙÁÍÓÚÄÖÜÂÊÎÔÛ")
_CONSONANT_RUN = re.compile(r"[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]{5,}")
MIN_QUALITY = 0.7


def _plausible(token: str) -> bool:
    """A token that looks like a word or a number in a European language."""
    if not _PLAUSIBLE.match(token):
        return False
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return True
    if len(letters) > 3 and not any(c in _VOWELS for c in letters):
        return False
    # Mixed case inside a word ("xKqWz") is what wrong glyph maps produce, not what people write.
    inner = "".join(letters[1:])
    if inner and not (inner.islower() or inner.isupper()):
        return False
    return not _CONSONANT_RUN.search(token)


def text_quality(words: list[str]) -> float:
    """Share of characters in plausible tokens, 0 when the characters are unprintable or private-use."""
    chars = "".join(words)
    if not chars:
        return 0.0
    bad = sum(1 for c in chars if not c.isprintable() or "\ue000" <= c <= "\uf8ff" or c == "\ufffd")
    if bad / len(chars) > 0.05:
        return 0.0
    good = sum(len(w) for w in words if _plausible(w))
    return good / len(chars)


def _chars(textpage: pdfium.PdfTextPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every character with its font-height box in PDF points (left, bottom, right, top).

    Loose boxes share one baseline-to-ascender band per line, so a dash or a dot does not look like a
    line break, and they are what a reviewer expects highlighted.
    """
    out = []
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
        out.append((chr(code) if code else " ", textpage.get_charbox(i, loose=True)))
    return out


def _group_words(chars: list[tuple[str, tuple[float, float, float, float]]]) -> list[tuple[str, tuple, int]]:
    """Characters into (text, box in points, line number): split at spaces, line breaks and wide gaps."""
    words: list[tuple[str, tuple, int]] = []
    text, box, line = "", None, 0
    last = None
    for ch, (left, bottom, right, top) in chars:
        height = max(top - bottom, 1.0)
        new_line = ch in "\r\n" or (
            last is not None and (abs(bottom - last[1]) > 0.5 * height or left < last[0] - height)
        )
        gap = last is not None and left - last[2] > 0.2 * height
        if ch.isspace() or new_line or gap:
            if text:
                words.append((text, box, line))
            text, box = "", None
            if new_line and words and words[-1][2] == line:
                line += 1
        if not ch.isspace():
            text += ch
            box = (left, bottom, right, top) if box is None else _union(box, (left, bottom, right, top))
            last = (left, bottom, right)
    if text:
        words.append((text, box, line))
    return words


def _union(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _to_pixels(box: tuple, visible: Box, rotation: int, scale: float) -> tuple[int, int, int, int]:
    """PDF points (origin bottom-left, unrotated) to pixels of the page as the pages stage renders it (its crop box)."""
    ml, mb, mr, mt = visible
    w, h = (mr - ml) * scale, (mt - mb) * scale
    x0, x1 = (box[0] - ml) * scale, (box[2] - ml) * scale
    y0, y1 = (mt - box[3]) * scale, (mt - box[1]) * scale
    if rotation == 90:
        x0, y0, x1, y1 = h - y1, x0, h - y0, x1
    elif rotation == 180:
        x0, y0, x1, y1 = w - x1, h - y1, w - x0, h - y0
    elif rotation == 270:
        x0, y0, x1, y1 = y0, w - x1, y1, w - x0
    return round(x0), round(y0), round(x1), round(y1)


def read_text_layer(pdf_path: Path, page_index: int, dpi: int = 300) -> PageWords | None:
    """The page's own words with boxes at ``dpi``; None when it has no text layer or a garbage one."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_index]
        textpage = page.get_textpage()
        grouped = _group_words(_chars(textpage))
        if len(grouped) < 3 or text_quality([t for t, _, _ in grouped]) < MIN_QUALITY:
            return None
        scale = dpi / 72.0
        # The box and the turn once for the page, not once a word.
        visible, rotation = visible_box(page.get_mediabox(), page.get_cropbox()), page.get_rotation() % 360
        width, height = shown_size(visible, rotation)
        number = page_index + 1
        # pdftoppm rounds the page size up to whole pixels. pdfium gives the size as a 32-bit float (A4's 595.2 pt
        # is 595.2000122), which would round 2480.00005 px up to 2481 and fail the stage's size check.
        size = math.ceil(width * scale - 1e-3), math.ceil(height * scale - 1e-3)
        placed = [(text, _to_pixels(box, visible, rotation, scale), line) for text, box, line in grouped]
        # Text outside the crop box is not on the page a viewer (or the reviewer) sees.
        words = [Word(text, bbox, 0.99, number, 1, line + 1) for text, bbox, line in placed
                 if 0 <= (bbox[0] + bbox[2]) / 2 < size[0] and 0 <= (bbox[1] + bbox[3]) / 2 < size[1]]
        if len(words) < 3:
            return None
        return PageWords(number, size[0], size[1], words, source="text_layer")
    finally:
        pdf.close()
