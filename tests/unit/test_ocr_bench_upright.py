"""The OCR benchmark's "upright" check: the turn applied to a page and the turn that rights it, both clockwise."""

from __future__ import annotations

import pytest

from benchmarks.ocr import upright
from ocr.cleanup import clean_page
from ocr.images import rotate_quadrant
from ocr.params import CleanupParams
from ocr.synthetic import SAMPLE_LINES, text_page


def test_a_correction_that_completes_the_turn_is_upright() -> None:
    assert upright(90, 270) and upright(270, 90) and upright(180, 180) and upright(0, 0)
    assert not upright(90, 90) and not upright(270, 270) and not upright(180, 0)
    # Raw Tesseract corrects nothing: upright only if never turned.
    assert upright(0, None) and not upright(90, None)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_quinte_righting_a_turned_page_counts_as_upright(turn: int) -> None:
    """The benchmark turns pages like the generator (clockwise); quinte records the clockwise turn it applied."""
    page = text_page(SAMPLE_LINES[:5], width=1800)
    cleaned = clean_page(rotate_quadrant(page, turn), CleanupParams())
    assert upright(turn, cleaned.info["rotated_cw"])
