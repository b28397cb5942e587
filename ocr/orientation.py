"""Upside-down detection (0 vs 180) for pages whose text lines are already horizontal."""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract

from ocr.images import ink_mask, resize, rotate_quadrant, text_height

_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]{3,}")
# Below this the crop read both ways up has not decided (one side's words barely outweigh the other's).
CROP_DECIDED = 0.3
_SHAPES_MIN_HEIGHT = 10  # px of text height the letter-shape test works at


@dataclass(frozen=True, slots=True)
class UpDown:
    """Whether the page is upside down, how sure, and which method decided."""

    upside_down: bool
    confidence: float
    method: str


def _line_bands(mask: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of text lines: runs of rows holding ink, split on empty rows."""
    rows = mask.sum(axis=1)
    full = rows > max(2, 0.01 * mask.shape[1])
    bands, start = [], None
    for y, on in enumerate(full):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(full)))
    return bands


def _glyph_ink(grey: np.ndarray, height: float) -> np.ndarray:
    """Ink mask of blobs no bigger than letters: rules, frames and logos would swamp the line profiles."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink_mask(grey), connectivity=8)
    keep = (stats[:, cv2.CC_STAT_HEIGHT] <= 2.5 * height) & (stats[:, cv2.CC_STAT_WIDTH] <= 4 * height)
    keep[0] = False
    return keep[labels].astype(np.uint8)


def shape_updown(grey: np.ndarray, min_evidence: float = 0.03, *, height: float | None = None) -> UpDown:
    """Up or down from letter shapes alone, without OCR: Latin ascenders outnumber descenders.

    In each text line the rows holding at least half the line's peak ink are the core (x-height, or cap
    height); ink above the core is ascenders and capitals (b d f h k l t, A-Z), below it descenders
    (g j p q y). Upright mixed-case text has much more above than below, so the page-wide balance
    (above - below) / (above + below) is strongly positive upright and as strongly negative upside down
    (about +-0.7 to +-0.95 on generated invoices, contracts and linn.pdf). All-caps receipts have next to
    nothing outside the core and score near 0 (|score| under 0.2 on every SROIE receipt upright), to be
    left to the slower checks. Confidence is |score|; 0 when under ``min_evidence`` of the line ink lies
    outside the cores. Lines are expected horizontal (after deskew). ``height``, the text height when
    already measured, saves measuring it again.
    """
    height = height or text_height(grey)
    if height is None:
        return UpDown(False, 0.0, "shapes")
    if height >= 2 * _SHAPES_MIN_HEIGHT:
        # Ascenders and descenders are a third of the text height: at 10 px and more a half-size copy shows
        # them as well, for a quarter of the labelling.
        grey, height = resize(grey, 0.5), height / 2
    mask = _glyph_ink(grey, height)
    above = below = total = 0.0
    for y0, y1 in _line_bands(mask):
        if not 0.6 * height <= y1 - y0 <= 2.2 * height:
            continue  # not one line of text: a speck, or lines run together
        profile = mask[y0:y1].sum(axis=1).astype(np.float64)
        core = np.flatnonzero(profile >= 0.5 * profile.max())
        above += profile[: core[0]].sum()
        below += profile[core[-1] + 1 :].sum()
        total += profile.sum()
    outside = above + below
    if not outside or outside < min_evidence * total:
        return UpDown(False, 0.0, "shapes")
    score = (above - below) / outside
    return UpDown(score < 0, abs(score), "shapes")


def osd_orientation(grey: np.ndarray, timeout: float = 20.0) -> tuple[int, float] | None:
    """Tesseract OSD: (clockwise degrees the content is turned, confidence), None when it cannot tell."""
    try:
        osd = pytesseract.image_to_osd(
            grey, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=timeout
        )
    except (pytesseract.TesseractError, RuntimeError):
        return None  # "Too few characters" and friends: no opinion
    return int(osd["orientation"]) % 360, float(osd["orientation_conf"])


def _text_crop(grey: np.ndarray, max_rows: int, glyph: float) -> np.ndarray:
    """The band of rows richest in ink runs, skipping bands too tall for text (barcodes, logos)."""
    if grey.shape[0] <= max_rows:
        return grey
    mask = ink_mask(grey)
    runs = np.count_nonzero(np.diff(mask, axis=1) == 1, axis=1).astype(np.float64)
    for y0, y1 in _line_bands(mask):
        if y1 - y0 > 3 * glyph:
            runs[y0:y1] = 0
    window = np.convolve(runs, np.ones(max_rows), mode="valid")
    start = int(np.argmax(window))
    return grey[start : start + max_rows]


def _word_confidences(data: dict, split_y: int) -> tuple[float, float]:
    """Summed confidence of word-like tokens above and below ``split_y``."""
    top = bottom = 0.0
    for text, conf, y, h in zip(data["text"], data["conf"], data["top"], data["height"], strict=True):
        if _WORD.search(text):
            if y + h / 2 < split_y:
                top += max(float(conf), 0.0)
            else:
                bottom += max(float(conf), 0.0)
    return top, bottom


def ocr_updown(
    grey: np.ndarray, *, glyph: float | None, languages: str = "eng", timeout: float = 30.0
) -> UpDown:
    """Read a text crop both ways up in one Tesseract run and keep the way with more confident words."""
    # ~12 lines of text at a glyph size Tesseract reads well is plenty, and keeps this call short.
    small = resize(grey, min(1.5, 20.0 / glyph)) if glyph else grey
    crop = _text_crop(small, max_rows=400, glyph=20.0 if glyph else 30.0)
    gap = np.full((60, crop.shape[1]), 255, np.uint8)
    both = np.vstack([crop, gap, rotate_quadrant(crop, 180)])
    try:
        data = pytesseract.image_to_data(
            both,
            lang=languages,
            config="--psm 6 -c tessedit_do_invert=0",
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except (pytesseract.TesseractError, RuntimeError):
        # A timeout on a loaded machine is no evidence either way: stay undecided rather than fail the page.
        return UpDown(False, 0.0, "ocr")
    up, down = _word_confidences(data, crop.shape[0] + 30)
    conf = abs(up - down) / max(up + down, 1.0)
    return UpDown(down > up, conf, "ocr")


def detect_upside_down(
    grey: np.ndarray, *, glyph: float | None, use_osd: bool, osd_min_confidence: float, languages: str
) -> UpDown:
    """Read a crop both ways up; ask Tesseract OSD only when that reading is undecided.

    Measured on SROIE receipts: the two-way reading is right more often than OSD is confident, at
    less cost, so it goes first.
    """
    guess = ocr_updown(grey, glyph=glyph, languages=languages)
    if guess.confidence >= CROP_DECIDED or not use_osd:
        return guess
    osd = osd_orientation(grey)
    if osd is not None and osd[0] in (0, 180) and osd[1] >= osd_min_confidence:
        return UpDown(osd[0] == 180, osd[1], "osd")
    return guess
