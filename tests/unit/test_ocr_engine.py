"""Tesseract words, boxes and confidences on generated and real scans; timeouts become page problems."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ocr.cleanup import clean_page
from ocr.engine import OcrTimeout, recognise, recognise_pages, recognise_together
from ocr.params import CleanupParams
from ocr.synthetic import SAMPLE_LINES, text_page

SCANS = Path("/work/shared/data/scans")
_TOKEN = re.compile(r"[\w,./]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def test_clean_page_ocr_recall() -> None:
    cleaned = clean_page(text_page(), CleanupParams())
    words = recognise(cleaned.ocr_image, page=2)
    found = set(_tokens(words.text()))
    expected = [t for line in SAMPLE_LINES for t in _tokens(line)]
    recall = sum(t in found for t in expected) / len(expected)
    assert recall >= 0.95
    assert (words.width, words.height) == (cleaned.review_image.shape[1], cleaned.review_image.shape[0])
    first = words.words[0]
    assert first.page == 2 and 0.5 < first.confidence <= 1.0 and first.text == "Fattura"
    x0, y0, x1, y1 = first.bbox
    # The box sits on ink of the review image.
    assert (cleaned.review_image[y0:y1, x0:x1] < 128).any() and x1 > x0 and y1 > y0
    lines = [w.line for w in words.words]
    assert lines == sorted(lines) and len(set(lines)) == len(SAMPLE_LINES)


@pytest.mark.parametrize("name", ["ccitt.pdf", "jbig2.pdf"])
def test_bitonal_scans_give_words(name: str) -> None:
    from pdf2image import convert_from_path

    image = np.asarray(convert_from_path(str(SCANS / name), dpi=150)[0].convert("1"))
    cleaned = clean_page(image, CleanupParams(), dpi=150)
    assert cleaned.info["input_kind"] == "bitonal"
    words = recognise(cleaned.ocr_image, page=1, languages="eng")
    assert len([w for w in words.words if len(w.text) > 3 and w.confidence > 0.8]) > 50


def test_a_bitonal_scan_stored_as_a_negative_is_read() -> None:
    """A bitonal TIFF whose photometric tag is wrong shows white text on black; cleanup turns it back."""
    from pdf2image import convert_from_path

    image = ~np.asarray(convert_from_path(str(SCANS / "ccitt.pdf"), dpi=150)[0].convert("1"))
    cleaned = clean_page(image, CleanupParams(), dpi=150)
    assert cleaned.info.get("inverted") is True
    words = recognise(cleaned.ocr_image, page=1, languages="eng")
    assert len([w for w in words.words if len(w.text) > 3 and w.confidence > 0.8]) > 50


def test_timeout_raises_ocr_timeout() -> None:
    with pytest.raises(OcrTimeout):
        recognise(text_page(), page=1, timeout=0.01)


def test_a_page_that_times_out_is_a_problem_others_complete() -> None:
    small = text_page(SAMPLE_LINES[:2])
    # Noise is Tesseract's worst case: ~10 s of work here, far past the limit on any machine.
    big = np.where(np.random.default_rng(0).random((5000, 5000)) < 0.5, 0, 255).astype(np.uint8)
    results = recognise_pages([small, big, small], timeout=2.5, jobs=2, languages="eng")
    assert [r.words.page for r in results] == [1, 2, 3]
    assert results[1].problem and "page 2" in results[1].problem and not results[1].words.words
    assert results[0].problem is None and results[2].words.words


def test_pages_read_together_match_pages_read_alone() -> None:
    first, second = text_page(SAMPLE_LINES[:3]), text_page(SAMPLE_LINES[3:6])
    together = recognise_together([first, second], pages=[4, 7], languages="eng")
    alone = [recognise(first, page=4, languages="eng"), recognise(second, page=7, languages="eng")]
    assert [p.page for p in together] == [4, 7]
    for both, one in zip(together, alone, strict=True):
        assert [(w.text, w.bbox, w.line) for w in both.words] == [(w.text, w.bbox, w.line) for w in one.words]
        assert {w.page for w in both.words} == {one.page}
        assert (both.width, both.height) == (one.width, one.height)
