"""A comma or full stop that Tesseract dropped at the end of a line, put back from the mark's shape on the page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import cv2
import numpy as np

from core.document import BBox, PageWords, Word

_PUNCTUATION = ".,;:!?)]}'\"%"


def _line_ends(words: PageWords) -> list[int]:
    """Index of each line's rightmost word (Tesseract's block and line numbers identify a line)."""
    lines: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, word in enumerate(words.words):
        lines[(word.block, word.line)].append(index)
    return [max(members, key=lambda i: words.words[i].bbox[2]) for members in lines.values()]


def _baseline(ink: np.ndarray, text_px: float) -> float | None:
    """Row of the word's baseline in its ink mask: the median bottom of its letter-sized blobs (a descender or
    a speck does not move it); None when the blobs are too few to tell."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    bottoms = [top + height for _, top, _, height, _ in stats[1:] if height >= 0.5 * text_px]
    return float(np.median(bottoms)) if len(bottoms) >= 2 else None


def _mark(grey: np.ndarray, word: Word, text_px: float, boxes: list[BBox]) -> tuple[str, int] | None:
    """"," or "." and the mark's right edge when one small blob sits at the word's baseline just past its right
    edge, and nothing else does; None otherwise.

    The mark is looked for with a threshold set from the word's own ink: a mark Tesseract dropped is mostly
    one printed faintly, lighter than a global threshold keeps.
    """
    x0, y0, x1, y1 = word.bbox
    height = y1 - y0
    right, bottom = min(grey.shape[1], x1 + 1 + round(0.6 * text_px)), min(grey.shape[0], y1 + round(0.5 * text_px))
    if x1 + 1 >= right or height < 0.5 * text_px:
        return None
    letters, beside = grey[y0:y1, x0:x1], grey[y0:bottom, x1 + 1 : right]
    if letters.size == 0 or beside.size == 0:
        return None
    ink_level, paper = float(np.percentile(letters, 5)), float(np.percentile(beside, 95))
    if paper - ink_level < 60:
        return None  # no contrast to tell a mark by
    threshold = paper - 0.3 * (paper - ink_level)
    mask = (beside < threshold).astype(np.uint8)
    for ox0, oy0, ox1, oy1 in boxes:  # ink inside another word's box is that word's
        if ox1 <= x1 or ox0 >= right or oy1 <= y0 or oy0 >= bottom:
            continue  # not over the strip searched (the word's own box ends where the strip starts)
        mask[max(0, oy0 - y0) : max(0, oy1 - y0), max(0, ox0 - x1 - 1) : max(0, ox1 - x1 - 1)] = 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    blobs = [tuple(int(v) for v in row) for row in stats[1:] if row[4] >= 3]
    if len(blobs) != 1:
        return None  # nothing there, or more than a mark: a word the recovery step reads, not punctuation
    left, top, width, h, area = blobs[0]
    small = 0.1 * text_px <= width <= 0.45 * text_px and 0.1 * text_px <= h <= 0.7 * text_px
    if not small or area < 0.3 * width * h or top < 0.45 * height:
        return None  # a speck, a stroke, or ink above the middle of the line (a quote, an apostrophe)
    baseline = _baseline((letters < threshold).astype(np.uint8), text_px)
    below = top + h - (baseline if baseline is not None else height)
    if below > 0.3 * text_px:
        return None  # hangs well under the line: not this line's mark
    comma = below > 0.12 * text_px or h > 1.4 * width
    return ("," if comma else "."), x1 + 1 + left + width


def restore_line_end_marks(image: np.ndarray, words: PageWords, text_px: float) -> tuple[PageWords, int]:
    """``words`` with a "," or "." appended to each line's last word that Tesseract read without the mark the
    page prints after it ("SAGU 18" for "SAGU 18,"); returns the words and how many marks were restored."""
    ends = _line_ends(words)
    candidates = [i for i in ends if words.words[i].text and words.words[i].text[-1] not in _PUNCTUATION]
    if not candidates:
        return words, 0
    boxes = [w.bbox for w in words.words]
    updated = list(words.words)
    restored = 0
    for index in candidates:
        word = words.words[index]
        found = _mark(image, word, text_px, boxes)
        if found is not None:
            mark, right = found
            updated[index] = replace(word, text=word.text + mark, bbox=(*word.bbox[:2], right, word.bbox[3]))
            restored += 1
    return replace(words, words=updated), restored
