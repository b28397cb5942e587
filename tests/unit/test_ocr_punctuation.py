"""A line's last comma or full stop that Tesseract dropped is put back from the mark's shape; specks are not marks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core.document import PageWords
from ocr.cleanup import _PAGE_PIXELS_PER_SPECK, faint_marks, speck_mask
from ocr.engine import recognise
from ocr.images import ink_mask_and_level
from ocr.punctuation import restore_line_end_marks

TEXT_PX = 24  # capital height of the drawn text, as cleanup normalises pages to
LINES = ("NO 290, JALAN AIR PANAS,", "SETAPAK,", "53200 KUALA LUMPUR.", "TEL 03 40210276")


def _page(lines: tuple[str, ...] = LINES) -> np.ndarray:
    font = ImageFont.load_default(size=34)
    image = Image.new("L", (900, 80 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(lines):
        draw.text((60, 40 + 70 * i), text, fill=0, font=font)
    return np.asarray(image).copy()


def _read(image: np.ndarray) -> PageWords:
    return recognise(image, page=1, psm=6, languages="eng", dpi=300)


def _line_texts(words: PageWords) -> list[str]:
    lines: dict[tuple[int, int], list[str]] = {}
    for word in words.words:
        lines.setdefault((word.block, word.line), []).append(word.text)
    return [" ".join(texts) for texts in lines.values()]


def test_dropped_commas_and_full_stops_come_back_as_printed() -> None:
    image = _page()
    assert _line_texts(_read(image)) == list(LINES)  # Tesseract reads the clean drawing fully
    # A reading that missed every line's last mark: the same lines drawn without them, read.
    dropped = _read(_page(tuple(line.rstrip(".,") for line in LINES)))
    assert _line_texts(dropped)[:3] == ["NO 290, JALAN AIR PANAS", "SETAPAK", "53200 KUALA LUMPUR"]
    restored, count = restore_line_end_marks(image, dropped, TEXT_PX)
    assert count == 3
    assert _line_texts(restored) == list(LINES)  # "," and "." told apart; the phone line gets nothing
    panas = next(w for w in restored.words if w.text == "PANAS,")
    assert panas.bbox[2] > next(w for w in dropped.words if w.text == "PANAS").bbox[2]  # the box takes the mark in


def test_a_line_that_ends_in_a_mark_already_is_left_alone() -> None:
    image = _page()
    read = _read(image)
    again, count = restore_line_end_marks(image, read, TEXT_PX)
    assert count == 0 and again.words == read.words


def test_specks_and_unread_words_are_not_marks() -> None:
    image = _page(("JALAN SAGU 18", "TAMAN DAYA", "JOHOR BAHRU"))
    read = _read(image)
    boxes = {w.text: w.bbox for w in read.words}
    _, y0, x1, y1 = boxes["18"]
    image[y0 + 2 : y0 + 4, x1 + 6 : x1 + 8] = 0  # dust high on the line: not at the baseline
    _, y0, x1, y1 = boxes["DAYA"]
    image[y1 - 2 : y1, x1 + 6 : x1 + 7] = 0  # a two-pixel speck at the baseline: too small for a mark
    _, y0, x1, y1 = boxes["BAHRU"]
    image[y1 - 6 : y1, x1 + 6 : x1 + 10] = 0  # a mark-sized blob...
    image[y0 : y1, x1 + 14 : x1 + 17] = 0  # ...followed by more ink: a word nobody read, not punctuation
    restored, count = restore_line_end_marks(image, read, TEXT_PX)
    assert count == 0
    assert [w.text for w in restored.words] == [w.text for w in read.words]


@pytest.mark.parametrize("dusty", [False, True], ids=["few specks", "a dusty page"])
def test_a_faint_marks_core_survives_speck_removal_but_dust_does_not(dusty: bool) -> None:
    """Few specks are judged one by one in a window, many in one pass over the page: the same answers."""
    drawn = Image.fromarray(_page(("SAGU 18",)))
    draw = ImageDraw.Draw(drawn)
    font = ImageFont.load_default(size=34)
    right = int(draw.textbbox((60, 40), "SAGU 18", font=font)[2])
    # A lightly printed comma: grey, lighter than the ink threshold, with a small dark core as thermal print
    # and JPEG leave it.
    draw.text((right + 1, 40), ",", fill=170, font=font)
    grey = np.asarray(drawn).copy()
    comma = np.argwhere(grey[:, right + 1 :] < 200)
    cy, cx = (int(v) for v in comma.mean(axis=0))
    grey[cy : cy + 2, right + 1 + cx : right + 3 + cx] = 60
    grey[15:17, 700] = 120  # dust on the paper
    letters = np.argwhere(grey[:, :right] < 100)
    top, left = (int(v) for v in letters.min(axis=0))
    grey[top - 8 : top + 6, left : left + 40] = np.minimum(grey[top - 8 : top + 6, left : left + 40], 170)  # a smear
    grey[top - 8 : top - 6, left + 4 : left + 6] = 60  # noise in it, joined to the letters by the smear
    grey[100:106, 700:704] = np.minimum(grey[100:106, 700:704], 170)  # a comma-like blot on blank paper
    grey[102:104, 701:703] = 60
    if dusty:  # thousands of one-pixel specks in the empty right half
        rng = np.random.default_rng(5)
        ys, xs = rng.integers(0, grey.shape[0], 3000), rng.integers(750, grey.shape[1], 3000)
        grey[ys, xs] = 0
    ink, ink_level = ink_mask_and_level(grey)
    specks = speck_mask(ink, 6)
    assert specks[15, 700] and specks[cy, right + 1 + cx], "dust and the comma's core are both specks"
    assert specks[top - 8, left + 4] and specks[102, 701], "the noise and the blot are specks"
    assert (np.count_nonzero(specks) * _PAGE_PIXELS_PER_SPECK > grey.size) == dusty  # one pass, or one by one
    marks = faint_marks(grey, ink, ink_level, specks, TEXT_PX, 12, 400)
    assert not marks[15, 700]  # dust stays a speck, and is removed
    assert not marks[top - 8, left + 4]  # so is noise whose lighter blob is a whole word
    assert not marks[102, 701]  # and a blot far from any letter: it would read as a stray character
    assert marks[cy, right + 1 + cx]  # the comma's core is kept
