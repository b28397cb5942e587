"""Text Tesseract's layout analysis skipped is found as uncovered ink and read again, boxes in page pixels."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydantic import ValidationError

from core.document import PageWords
from ocr.engine import recognise
from ocr.page import read_page
from ocr.params import CleanupParams
from ocr.recover import read_skipped, skipped_regions

SROIE = Path("/work/shared/data/sroie/img")
TEXT_PX = 24  # capital height of the drawn text, as cleanup normalises pages to
ROWS = (("SUBTOTAL", "38.37"), ("TOTAL INCL TAX", "40.35"), ("CASH", "50.00"), ("CHANGE DUE", "9.65"))
read_block = partial(recognise, page=1, psm=6, languages="eng", dpi=300)


def _receipt() -> tuple[np.ndarray, dict[str, tuple[int, int, int, int]]]:
    """Labels on the left, amounts in a right column; the drawn box of every amount."""
    font = ImageFont.load_default(size=34)
    image = Image.new("L", (900, 120 + 70 * len(ROWS)), 255)
    draw = ImageDraw.Draw(image)
    boxes = {}
    for i, (label, amount) in enumerate(ROWS):
        y = 60 + 70 * i
        draw.text((60, y), label, fill=0, font=font)
        draw.text((640, y), amount, fill=0, font=font)
        boxes[amount] = tuple(int(v) for v in draw.textbbox((640, y), amount, font=font))
    return np.asarray(image).copy(), boxes


def _first_reading(image: np.ndarray) -> PageWords:
    return recognise(image, page=1, psm=6, languages="eng", dpi=300)


def test_a_skipped_column_is_read_again_where_it_is_printed() -> None:
    image, boxes = _receipt()
    first = _first_reading(image)
    skipped = replace(first, words=[w for w in first.words if w.text not in boxes])  # as if the column were missed
    assert len(skipped.words) < len(first.words)
    recovered, regions = read_skipped(image, skipped, TEXT_PX, read_block)
    assert regions == len(ROWS)
    found = {w.text: w.bbox for w in recovered.words}
    for amount, (x0, y0, x1, y1) in boxes.items():
        assert amount in found
        gx0, gy0, gx1, gy1 = found[amount]
        assert abs(gx0 - x0) <= 6 and abs(gx1 - x1) <= 6 and gy0 < y1 and gy1 > y0  # on the drawn amount
    assert {w.text for w in skipped.words} <= set(found)  # nothing the first reading had is lost


def test_a_word_cut_short_is_widened_and_replaced() -> None:
    image, _ = _receipt()
    first = _first_reading(image)
    cut = []
    for word in first.words:
        if word.text == "38.37":  # read as "38", its box stopping before the point
            x0, y0, x1, y1 = word.bbox
            word = replace(word, text="38", bbox=(x0, y0, x0 + (x1 - x0) * 2 // 5, y1))
        cut.append(word)
    recovered, _ = read_skipped(image, replace(first, words=cut), TEXT_PX, read_block)
    texts = [w.text for w in recovered.words]
    assert "38.37" in texts and "38" not in texts


def test_nothing_left_over_means_no_second_reading() -> None:
    image, _ = _receipt()
    first = _first_reading(image)

    def must_not_read(_: np.ndarray) -> PageWords:
        raise AssertionError("read again although every glyph was covered")

    assert skipped_regions(image, first, TEXT_PX) == []
    assert read_skipped(image, first, TEXT_PX, must_not_read) == (first, 0)


def test_specks_and_rules_are_not_text() -> None:
    image = np.full((400, 900), 255, np.uint8)
    cv2.line(image, (40, 100), (860, 100), 0, 3)  # a rule
    for x in range(60, 800, 90):
        cv2.circle(image, (x, 250), 2, 0, -1)  # specks
    empty = PageWords(page=1, width=900, height=400, words=[])
    assert skipped_regions(image, empty, TEXT_PX) == []


@pytest.mark.parametrize("recover", [True, False])
def test_real_receipt_amount_column(recover: bool) -> None:
    # SROIE 312: Tesseract's page layout reads "13" of "13.76" and none of the totals' amounts.
    grey = cv2.imread(str(SROIE / "312.jpg"), cv2.IMREAD_GRAYSCALE)
    reading = read_page(grey, CleanupParams(recover_skipped=recover), page=1, languages="ita+eng")
    texts = {w.text for w in reading.words.words}
    assert ("38.37" in texts and "40.35" in texts) is recover
    assert ("skipped_text_regions" in reading.info) is recover
    height, width = reading.image.shape[:2]
    assert all(0 <= w.bbox[0] < w.bbox[2] <= width and 0 <= w.bbox[1] < w.bbox[3] <= height
               for w in reading.words.words)



def test_a_word_between_two_left_over_runs_is_read_once() -> None:
    image, boxes = _receipt()
    first = _first_reading(image)
    # Keep only "40.35" of the amount column's second row, narrowed to its middle: ink is left on both sides.
    kept = []
    for word in first.words:
        if word.text in boxes and word.text != "40.35":
            continue
        if word.text == "40.35":
            x0, y0, x1, y1 = word.bbox
            third = (x1 - x0) // 3
            word = replace(word, text="0.3", bbox=(x0 + third, y0, x1 - third, y1))
        kept.append(word)
    regions = skipped_regions(image, replace(first, words=kept), TEXT_PX)
    middle = [r for r in regions if kept.index(next(w for w in kept if w.text == "0.3")) in r[1]]
    assert len(middle) == 1
    recovered, _ = read_skipped(image, replace(first, words=kept), TEXT_PX, read_block)
    texts = [w.text for w in recovered.words]
    assert texts.count("40.35") == 1 and "0.3" not in texts


@pytest.mark.parametrize("languages", ["eng; rm -rf /", "-l", "eng+", ""])
def test_recovery_languages_are_tesseract_codes(languages: str) -> None:
    with pytest.raises(ValidationError):
        CleanupParams(recover_languages=languages)
    assert CleanupParams(recover_languages="ita+eng").recover_languages == "ita+eng"
