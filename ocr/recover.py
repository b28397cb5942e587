"""Text that Tesseract's page layout analysis skipped: found as ink no word covers, read again in one pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from core.document import BBox, PageWords, Word, union_bbox
from ocr.images import ink_mask


def _glyphs_left_over(image: np.ndarray, words: PageWords, text_px: float) -> np.ndarray:
    """Mask of letter-sized ink blobs outside every word box: a number column cut off, a line never found."""
    ink = ink_mask(image)
    for word in words.words:
        x0, y0, x1, y1 = word.bbox
        ink[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = 0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    # Capital-height blobs only: specks, rules, frames and logos are not skipped text.
    keep = (h >= 0.6 * text_px) & (h <= 1.6 * text_px) & (w <= 1.6 * text_px) & (area > 0.15 * w * h)
    keep[0] = False
    return keep[labels].astype(np.uint8)


def _same_line(a: BBox, b: BBox) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def skipped_regions(image: np.ndarray, words: PageWords, text_px: float, min_glyphs: int = 2
                    ) -> list[tuple[BBox, list[int]]]:
    """BBoxes of left-over text, each widened to the words it continues on its line ("13" read, ".76" not),
    with the indexes of those words; a region needs ``min_glyphs`` letter-sized blobs."""
    glyphs = _glyphs_left_over(image, words, text_px)
    gap = max(3, round(text_px))
    joined = cv2.dilate(glyphs, np.ones((3, gap), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count <= 1:
        return []
    # How many glyphs each joined chunk holds, counted at each glyph's centre (inside its widened ink).
    _, _, _, centres = cv2.connectedComponentsWithStats(glyphs, connectivity=8)
    cx, cy = np.round(centres[1:]).astype(int).T
    glyph_counts = np.bincount(labels[cy, cx], minlength=count)
    regions: list[tuple[BBox, list[int]]] = []
    for index in range(1, count):
        if glyph_counts[index] < min_glyphs:
            continue
        x, y, w, h = (int(v) for v in stats[index, :4])
        box: BBox = (x, y, x + w, y + h)
        taken = [
            i for i, word in enumerate(words.words)
            if _same_line(box, word.bbox) and word.bbox[0] - gap <= box[2] and box[0] <= word.bbox[2] + gap
        ]
        for i in taken:
            box = union_bbox([box, words.words[i].bbox])
        regions.append((box, taken))
    return _merged(regions)


def _overlap(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _merged(regions: list[tuple[BBox, list[int]]]) -> list[tuple[BBox, list[int]]]:
    """Regions that widened over the same word, or now overlap, become one: no word is read twice."""
    out: list[tuple[BBox, list[int]]] = []
    for box, taken in regions:
        merged = True
        while merged:
            merged = False
            for k, (other, other_taken) in enumerate(out):
                if _overlap(box, other) or set(taken) & set(other_taken):
                    box, taken = union_bbox([box, other]), sorted(set(taken) | set(other_taken))
                    del out[k]
                    merged = True
                    break
        out.append((box, taken))
    return sorted(out, key=lambda region: (region[0][1], region[0][0]))


def read_skipped(
    image: np.ndarray,
    words: PageWords,
    text_px: float,
    read_block: Callable[[np.ndarray], PageWords],
    min_glyphs: int = 2,
) -> tuple[PageWords, int]:
    """``words`` with the skipped regions read again, all in one Tesseract run over a strip of their crops
    stacked top to bottom; words a region widened over are replaced by its new reading when it has one.
    Returns the words and how many regions were read."""
    regions = skipped_regions(image, words, text_px, min_glyphs)
    if not regions:
        return words, 0
    margin, gap = max(4, round(text_px / 3)), max(8, round(text_px))
    width = max(b[2] - b[0] for b, _ in regions) + 2 * margin
    height = sum(b[3] - b[1] + 2 * margin for b, _ in regions) + gap * (len(regions) - 1)
    strip = np.full((height, width), 255, np.uint8)
    slots: list[tuple[int, int, BBox]] = []  # strip rows [top, bottom) and the page box they show
    top = 0
    for box, _ in regions:
        x0, y0, x1, y1 = box
        crop = image[y0:y1, x0:x1]
        strip[top + margin : top + margin + crop.shape[0], margin : margin + crop.shape[1]] = crop
        slots.append((top, top + crop.shape[0] + 2 * margin, box))
        top += crop.shape[0] + 2 * margin + gap
    read = read_block(strip)
    found: dict[int, list[Word]] = {}
    next_block = max((w.block for w in words.words), default=0) + 1
    for word in read.words:
        centre = (word.bbox[1] + word.bbox[3]) / 2
        slot = next((k for k, (a, b, _) in enumerate(slots) if a <= centre < b), None)
        if slot is None or not any(ch.isalnum() for ch in word.text):
            continue
        top, _, (bx0, by0, _, _) = slots[slot]
        dx, dy = bx0 - margin, by0 - (top + margin)  # strip pixels back to page pixels
        x0, y0, x1, y1 = word.bbox
        found.setdefault(slot, []).append(
            replace(word, bbox=(x0 + dx, y0 + dy, x1 + dx, y1 + dy), page=words.page, block=next_block + slot,
                    line=1)
        )
    replaced = {i for slot, (_, taken) in enumerate(regions) if slot in found for i in taken}
    kept = [w for i, w in enumerate(words.words) if i not in replaced]
    added = [w for slot in sorted(found) for w in found[slot]]
    return replace(words, words=kept + added), len(regions)
