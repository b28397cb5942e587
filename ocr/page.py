"""Pages from image to words: cleanup, Tesseract, and an upside-down check only when a reading is doubtful."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from core.document import PageWords
from ocr.cleanup import CleanedPage, clean_page
from ocr.engine import OcrTimeout, PageResult, recognise, recognise_pages
from ocr.images import glyph_size, rotate_quadrant, text_height
from ocr.orientation import CROP_DECIDED, ocr_updown
from ocr.params import CleanupParams
from ocr.punctuation import restore_line_end_marks
from ocr.recover import read_skipped
from ocr.rejoin import rejoin_split_words

_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]{3,}")


@dataclass(slots=True)
class PageReading:
    """The page image the boxes refer to (stored for review), its words, and what cleanup did; a page Tesseract
    could not finish in time has no words and says so in ``problem``."""

    image: np.ndarray
    words: PageWords
    info: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def reading_score(words: PageWords) -> tuple[float, int]:
    """Mean confidence of word-like tokens (3+ letters or digits) and how many there are.

    Upside-down or sideways text comes out of Tesseract as short, low-confidence fragments.
    """
    confidences = [w.confidence for w in words.words if _WORD.search(w.text)]
    if not confidences:
        return 0.0, 0
    return float(np.mean(confidences)), len(confidences)


def _evidence(words: PageWords) -> float:
    """Summed confidence of word-like tokens: the better of two readings of one page has more."""
    return sum(w.confidence for w in words.words if _WORD.search(w.text))


def _turn(cleaned: CleanedPage) -> CleanedPage:
    info = dict(cleaned.info)
    info["rotated_cw"] = (info.get("rotated_cw", 0) + 180) % 360
    return CleanedPage(rotate_quadrant(cleaned.review_image, 180), rotate_quadrant(cleaned.ocr_image, 180), info)


def read_pages(
    images: Sequence[np.ndarray],
    cleanup: CleanupParams,
    *,
    pages: Sequence[int] | None = None,
    languages: str,
    psm: int = 3,
    timeout: float = 60.0,
    invert: bool = False,
    dpi: float | None = None,
    jobs: int = 1,
) -> list[PageReading]:
    """Clean and recognise pages (numbered ``pages``, else from 1), ``jobs`` at a time.

    Where letter shapes are clear, cleanup has already turned a page up before OCR (one reading). Then,
    with ``updown="after_ocr"``, the first reading decides: a confident one is upright (no extra cost on
    most pages); a doubtful one gets a cheap both-ways reading of a text crop, and only if that says
    upside down, or cannot tell, is the turned page read again, keeping whichever reading holds more
    confident words. First readings are made in as few Tesseract runs as ``jobs`` allows (see
    ``recognise_together``). Pages are read at the resolution cleanup normalised them to (``target_dpi``).
    """
    numbers = list(pages) if pages is not None else list(range(1, len(images) + 1))
    # A normalised page has the text size of a target_dpi scan; otherwise the input's own resolution.
    resolution = cleanup.target_dpi if cleanup.resolution else (round(dpi) if dpi else None)
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(images)))) as pool:
        cleaned = list(pool.map(lambda image: clean_page(image, cleanup, dpi=dpi), images))
        first = recognise_pages([c.ocr_image for c in cleaned], pages=numbers, languages=languages, psm=psm,
                                timeout=timeout, jobs=jobs, invert=invert, dpi=resolution)
        read = partial(recognise, languages=languages, psm=psm, timeout=timeout, invert=invert, dpi=resolution)
        return list(pool.map(lambda c, r: _finish(c, r, cleanup, read), cleaned, first))


def read_page(
    image: np.ndarray,
    cleanup: CleanupParams,
    *,
    page: int,
    languages: str,
    psm: int = 3,
    timeout: float = 60.0,
    invert: bool = False,
    dpi: float | None = None,
) -> PageReading:
    """One page as ``read_pages`` reads it; raises ``OcrTimeout`` like ``recognise``."""
    reading = read_pages([image], cleanup, pages=[page], languages=languages, psm=psm, timeout=timeout,
                         invert=invert, dpi=dpi)[0]
    if reading.problem:
        raise OcrTimeout(reading.problem)
    return reading


def _finish(
    cleaned: CleanedPage, first: PageResult, cleanup: CleanupParams, read: Callable[..., PageWords]
) -> PageReading:
    if first.problem:
        return PageReading(cleaned.review_image, first.words, cleaned.info, first.problem)
    words = first.words
    if cleanup.orientation and cleanup.updown == "after_ocr":
        cleaned, words = _settle_updown(cleaned, words, cleanup, partial(read, page=words.page))
    if cleanup.recover_skipped or cleanup.restore_line_end_marks:
        words = _after_reading(cleaned, words, cleanup, read)
    if cleanup.rejoin_split_words:
        words, count = rejoin_split_words(words)
        if count:
            cleaned.info["split_words_rejoined"] = count
    return PageReading(cleaned.review_image, words, cleaned.info)


def _after_reading(cleaned: CleanedPage, words: PageWords, cleanup: CleanupParams,
                   read: Callable[..., PageWords]) -> PageWords:
    """Text the layout analysis skipped, read again, and line-end marks Tesseract dropped, put back."""
    # Both steps size their search by the capitals' height: the normalised one, or measured once here.
    text_px = cleanup.target_text_px if cleanup.resolution else text_height(cleaned.ocr_image)
    if text_px is None:
        return words
    if cleanup.recover_skipped:
        read_block = partial(read, page=words.page, psm=6, languages=cleanup.recover_languages)
        words = _recover_skipped(cleaned, words, text_px, cleanup.recover_min_glyphs, read_block)
    if cleanup.restore_line_end_marks:
        words, count = restore_line_end_marks(cleaned.ocr_image, words, text_px)
        if count:
            cleaned.info["line_end_marks_restored"] = count
    return words


def _recover_skipped(
    cleaned: CleanedPage, words: PageWords, text_px: float, min_glyphs: int,
    read_block: Callable[[np.ndarray], PageWords],
) -> PageWords:
    try:
        recovered, regions = read_skipped(cleaned.ocr_image, words, text_px, read_block, min_glyphs)
    except OcrTimeout:
        cleaned.info["skipped_text"] = "timed out"  # the first reading stands
        return words
    if regions:
        cleaned.info["skipped_text_regions"] = regions
    return recovered


def _settle_updown(
    cleaned: CleanedPage, words: PageWords, cleanup: CleanupParams, read: Callable[[np.ndarray], PageWords]
) -> tuple[CleanedPage, PageWords]:
    mean, count = reading_score(words)
    cleaned.info["first_reading_confidence"] = round(mean, 3)
    if mean >= cleanup.upright_confidence and count >= 3:
        return cleaned, words
    guess = ocr_updown(
        cleaned.review_image, glyph=glyph_size(cleaned.review_image), languages=cleanup.orientation_languages
    )
    cleaned.info["orientation_method"] = "crop"
    cleaned.info["orientation_confidence"] = round(guess.confidence, 3)
    if not guess.upside_down and guess.confidence >= CROP_DECIDED:
        return cleaned, words
    # Said upside down, or undecided on a doubtful page: read it turned too and keep the better reading.
    turned = _turn(cleaned)
    try:
        again = read(turned.ocr_image)
    except OcrTimeout:
        # The first reading is a reading; a second one that cannot finish is no reason to lose it.
        cleaned.info["turned_reading"] = "timed out"
        return cleaned, words
    if _evidence(again) > _evidence(words):
        return turned, again
    return cleaned, words
