"""Page image cleanup before OCR: grey, size, borders, background, orientation, deskew, denoise, binarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ocr.images import glyph_size, ink_mask, resize, rotate_quadrant, to_grey
from ocr.orientation import detect_upside_down, osd_orientation
from ocr.params import CleanupParams
from ocr.skew import deskew, estimate_skew


@dataclass(slots=True)
class CleanedPage:
    """The readable grey page the boxes refer to, its binarised twin for OCR, and what was done."""

    review_image: np.ndarray
    ocr_image: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def resolution_scale(grey: np.ndarray, params: CleanupParams, dpi: float | None = None) -> float:
    """Scale factor bringing the text to the glyph size Tesseract reads best, within the size bounds."""
    glyph = glyph_size(grey)
    if glyph is not None:
        # Only rescale text Tesseract reads badly: upscaling legible receipts doubled OCR time for no gain.
        in_range = params.min_glyph_px <= glyph <= params.max_glyph_px
        scale = 1.0 if in_range else params.target_glyph_px / glyph
    elif dpi:
        scale = params.target_dpi / dpi
    else:
        scale = 1.0
    # Small changes cost time and blur for nothing.
    if 0.8 <= scale <= 1.25:
        scale = 1.0
    scale = min(scale, params.max_upscale)
    return min(scale, params.max_side_px / max(grey.shape))


def crop_dark_margins(grey: np.ndarray, dark_fraction: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Cut rows/columns at the edges that are mostly dark (scanner lid, black borders, edge shadows)."""
    dark = (grey < 100).astype(np.float32)
    rows, cols = dark.mean(axis=1), dark.mean(axis=0)

    def inner(profile: np.ndarray) -> tuple[int, int]:
        n = len(profile)
        lo = 0
        while lo < n // 4 and profile[lo] >= dark_fraction:
            lo += 1
        hi = n
        while hi > n - n // 4 and profile[hi - 1] >= dark_fraction:
            hi -= 1
        return lo, hi

    y0, y1 = inner(rows)
    x0, x1 = inner(cols)
    return grey[y0:y1, x0:x1], (x0, y0, x1, y1)


def _is_disc(component: np.ndarray) -> bool:
    """A filled, round shape: circularity 4πA/P² close to 1 and no hole inside."""
    contours, _hierarchy = cv2.findContours(component.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if len(contours) != 1:
        return False  # a hole (o, e, B…) or several pieces
    perimeter = cv2.arcLength(contours[0], closed=True)
    return perimeter > 0 and 4 * np.pi * cv2.contourArea(contours[0]) / perimeter**2 > 0.8


def _isolated(mask: np.ndarray, labels: np.ndarray, index: int, x: int, y: int, bw: int, bh: int) -> bool:
    """No other ink within one blob width around it (letters have neighbours on their line)."""
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, x - bw), max(0, y - bh), min(w, x + 2 * bw), min(h, y + 2 * bh)
    window = mask[y0:y1, x0:x1] > 0
    others = window & (labels[y0:y1, x0:x1] != index)
    return int(others.sum()) < 0.02 * bw * bh


def whiten_edge_blobs(grey: np.ndarray) -> tuple[np.ndarray, int]:
    """Paint out dark blobs touching the page edge or round blobs in the margins (punch holes)."""
    mask = ink_mask(grey)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = grey.shape
    side = min(h, w)
    band = 0.12 * side
    out, removed = grey.copy(), 0
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        big_edge = touches and (bh > 0.2 * h or bw > 0.2 * w) and area > 0.3 * bw * bh
        near_margin = x < band or y < band or x + bw > w - band or y + bh > h - band
        round_hole = (
            near_margin
            and 0.015 * side <= bw <= 0.08 * side
            and 0.7 <= bw / max(bh, 1) <= 1.4
            and area > 0.6 * bw * bh
            # Large bold heading letters near the top pass the tests above; a punch hole is also a solid disc
            # with no ink beside it, which no letter of a word is.
            and _is_disc(labels[y : y + bh, x : x + bw] == i)
            and _isolated(mask, labels, i, x, y, bw, bh)
        )
        if big_edge or round_hole:
            out[labels == i] = 255
            removed += 1
    return out, removed


def normalise_background(grey: np.ndarray, kernel_px: int) -> np.ndarray:
    """Divide by the page background (grey closing of a quarter-size copy), flattening shadows and tint."""
    small = resize(grey, 0.25)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_px, kernel_px))
    background = cv2.medianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel), 5)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, np.maximum(background, 1), scale=255)


def sauvola(grey: np.ndarray, window: int, k: float, r: float) -> np.ndarray:
    """Sauvola binarisation (ink 0, paper 255) with local mean and deviation from box filters."""
    img = grey.astype(np.float64)
    size = (window | 1, window | 1)
    mean = cv2.boxFilter(img, -1, size, borderType=cv2.BORDER_REFLECT)
    sq_mean = cv2.boxFilter(img * img, -1, size, borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq_mean - mean * mean, 0))
    threshold = mean * (1 + k * (std / r - 1))
    return np.where(img > threshold, 255, 0).astype(np.uint8)


def remove_speckles(binary: np.ndarray, max_area: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop ink specks of at most ``max_area`` pixels; thin strokes survive as they are connected."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((binary == 0).astype(np.uint8), connectivity=8)
    small = np.zeros(n, dtype=bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] <= max_area
    specks = small[labels]
    out = binary.copy()
    out[specks] = 255
    return out, specks


def _vertical_turn(grey: np.ndarray, strength: float, params: CleanupParams, info: dict[str, Any]) -> int:
    """Clockwise turn for a page whose lines look vertical: 90, unless a confident OSD says otherwise."""
    if strength >= params.vertical_sure_strength or not params.osd:
        return 90
    glyph = glyph_size(grey)
    # OSD reads small glyphs as well and in a fraction of the time.
    small = resize(grey, min(1.0, 16.0 / glyph)) if glyph else grey
    osd = osd_orientation(small)
    if osd is None or osd[1] < params.osd_min_confidence:
        return 90
    info["orientation_method"] = "osd"
    info["orientation_confidence"] = round(osd[1], 3)
    return (360 - osd[0]) % 360


def _orient(grey: np.ndarray, params: CleanupParams, info: dict[str, Any]) -> np.ndarray:
    """Turn the page upright and straight, recording the quadrant and the skew angle."""
    est = estimate_skew(grey, params.max_skew_deg)
    quadrant = 0
    if params.orientation:
        # Vertical lines: the content is turned 90 or 270; turn it to 0 or 180 first.
        info["orientation_method"] = "lines"
        if est.vertical:
            quadrant = _vertical_turn(grey, est.strength, params, info)
            if quadrant in (0, 180):
                est = estimate_skew(grey, params.max_skew_deg, horizontal=True)
            grey = rotate_quadrant(grey, quadrant)
        info["rotated_cw"] = quadrant
    if params.orientation and params.updown == "before_ocr":
        updown = detect_upside_down(
            grey,
            glyph=glyph_size(grey),
            use_osd=params.osd,
            osd_min_confidence=params.osd_min_confidence,
            languages=params.orientation_languages,
        )
        if updown.upside_down:
            grey, quadrant = rotate_quadrant(grey, 180), quadrant + 180
        info["rotated_cw"] = quadrant % 360
        info["orientation_method"] = updown.method
        info["orientation_confidence"] = round(updown.confidence, 3)
    if params.deskew and abs(est.angle) >= 0.05:
        # A 180 turn keeps the line slope; the angle stays valid after the quadrant rotation.
        grey = deskew(grey, est.angle)
    info["skew_deg"] = round(est.angle, 3) if params.deskew else 0.0
    return grey


def clean_page(image: np.ndarray, params: CleanupParams, *, dpi: float | None = None) -> CleanedPage:
    """Run the enabled cleanup steps in order; boxes read from ``ocr_image`` fit ``review_image``."""
    grey, kind = to_grey(image)
    info: dict[str, Any] = {"input_kind": kind, "input_size": [grey.shape[1], grey.shape[0]]}
    if params.borders:
        grey, crop = crop_dark_margins(grey, params.border_dark_fraction)
        info["crop"] = list(crop)
        if params.punch_holes:
            grey, info["edge_blobs_removed"] = whiten_edge_blobs(grey)
    if params.background:
        grey = normalise_background(grey, params.background_kernel_px)
    scale = resolution_scale(grey, params, dpi) if params.resolution else 1.0
    grey = resize(grey, scale)
    info["scale"] = round(scale, 4)
    if params.orientation or params.deskew:
        grey = _orient(grey, params, info)
    binary = grey
    if params.binarise:
        binary = sauvola(grey, params.sauvola_window, params.sauvola_k, params.sauvola_r)
    if params.denoise and params.speckle_max_area:
        # Specks are found on a binary image; without binarisation a global Otsu mask stands in for it.
        mask_source = binary if params.binarise else np.where(ink_mask(grey) > 0, 0, 255).astype(np.uint8)
        cleaned_binary, specks = remove_speckles(mask_source, params.speckle_max_area)
        grey = grey.copy()
        grey[specks] = 255
        binary = cleaned_binary if params.binarise else grey
        info["speckles_removed"] = int(specks.sum())
    info["output_size"] = [grey.shape[1], grey.shape[0]]
    return CleanedPage(review_image=grey, ocr_image=binary, info=info)
