"""Page image cleanup before OCR: grey, smoothing, borders, background, size, orientation, deskew, denoise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ocr.images import glyph_size, ink_mask, ink_mask_and_level, resize, rotate_quadrant, text_height, to_grey
from ocr.orientation import detect_upside_down, osd_orientation, shape_updown
from ocr.params import CleanupParams
from ocr.skew import deskew, estimate_skew

DARK_GREY = 100  # below this a scanner border, lid or edge shadow is dark, not paper
# Punch holes are at least 1.5 % of the short side: from 2000 px that is 15 px at half size, still round
# to the disc test (circularity 0.84; a 12 px disc is 0.81, under the 0.8 cut with noise).
_HALF_SIZE_FROM = 2000


@dataclass(slots=True)
class CleanedPage:
    """The readable grey page the boxes refer to, its binarised twin for OCR, and what was done."""

    review_image: np.ndarray
    ocr_image: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def resolution_scale(grey: np.ndarray, params: CleanupParams, dpi: float | None = None) -> float:
    """Scale factor bringing the text to the height Tesseract reads best, within the size bounds."""
    return scale_for_height(text_height(grey), grey.shape, params, dpi)


def scale_for_height(height: float | None, shape: tuple[int, ...], params: CleanupParams,
                     dpi: float | None = None) -> float:
    """``resolution_scale`` for a page whose text height is already measured (None: no text found)."""
    if height is not None:
        scale = params.target_text_px / height
    elif dpi:
        scale = params.target_dpi / dpi
    else:
        scale = 1.0
    # Small changes cost time and blur for nothing.
    if abs(scale - 1.0) <= params.rescale_tolerance:
        scale = 1.0
    scale = min(scale, params.max_upscale)
    return min(scale, params.max_side_px / max(shape))


LIGHT_GREY = 155  # a negative's letters are this light at least; dim paper in an under-exposed photo is not


def is_negative(grey: np.ndarray, dark_fraction: float) -> bool:
    """Mostly dark, with light letters but no light region larger than a few of them: white text on a black page.

    Letters are counted only where clearly light and only when there are enough of them: the paper of an
    under-exposed photo sits near DARK_GREY, and its noise would otherwise look like thousands of tiny letters.
    """
    dark = grey < DARK_GREY
    if np.count_nonzero(dark) < dark_fraction * dark.size:
        return False
    light = (grey >= LIGHT_GREY).astype(np.uint8)
    if np.count_nonzero(light) < 0.005 * light.size:
        return False
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(light, connectivity=8)
    largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
    return 0 < largest < 0.01 * light.size


def crop_dark_margins(grey: np.ndarray, dark_fraction: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Cut rows/columns at the edges that are mostly dark (scanner lid, black borders, edge shadows)."""
    dark = grey < DARK_GREY
    rows = np.count_nonzero(dark, axis=1) / max(grey.shape[1], 1)
    cols = np.count_nonzero(dark, axis=0) / max(grey.shape[0], 1)

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
    """Paint out dark blobs touching the page edge or round blobs in the margins (punch holes).

    Big pages are searched at half size, a quarter of the labelling work; the blobs found there are
    painted out at full size, ink pixels within two pixels of them included so that no rim is left.
    """
    half = min(grey.shape) >= _HALF_SIZE_FROM
    search = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) if half else grey
    remove, count = _edge_blobs(search)
    if remove is None:
        return grey, 0
    if half:
        remove = cv2.resize(remove, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_NEAREST)
        remove = cv2.dilate(remove, np.ones((5, 5), np.uint8)) & ink_mask(grey)
    out = grey.copy()
    out[remove > 0] = 255
    return out, count


def _edge_blobs(grey: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Mask (1 = remove) of the edge blobs and punch holes of ``whiten_edge_blobs``, and how many; None if none."""
    mask = ink_mask(grey)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = grey.shape
    side = min(h, w)
    band = 0.12 * side
    # Size tests on all blobs at once: a noisy scan has tens of thousands, too many for a Python loop.
    x, y, bw, bh, area = (stats[:, k].astype(np.int64) for k in range(5))
    touches = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    big_edge = touches & ((bh > 0.2 * h) | (bw > 0.2 * w)) & (area > 0.3 * bw * bh)
    near_margin = (x < band) | (y < band) | (x + bw > w - band) | (y + bh > h - band)
    hole_sized = (0.015 * side <= bw) & (bw <= 0.08 * side) & (area > 0.6 * bw * bh)
    aspect = bw / np.maximum(bh, 1)
    remove = big_edge | (near_margin & hole_sized & (aspect >= 0.7) & (aspect <= 1.4))
    remove[0] = False  # the background
    for i in np.flatnonzero(big_edge):
        # A scanner's lid or black border is dark through; a shadow over the page is grey with text under it
        # (Otsu takes it for ink on a badly lit page) and painting it white would erase that text.
        # normalise_background flattens shadows instead.
        inside = (slice(y[i], y[i] + bh[i]), slice(x[i], x[i] + bw[i]))
        mask_i = (labels[inside] == i).astype(np.uint8)
        remove[i] = cv2.mean(grey[inside], mask=mask_i)[0] < DARK_GREY
    for i in np.flatnonzero(remove & ~big_edge):
        # Large bold heading letters near the top pass the tests above; a punch hole is also a solid disc
        # with no ink beside it, which no letter of a word is.
        box = labels[y[i] : y[i] + bh[i], x[i] : x[i] + bw[i]] == i
        remove[i] = _is_disc(box) and _isolated(mask, labels, i, x[i], y[i], bw[i], bh[i])
    count = int(remove.sum())
    return (np.take(remove.astype(np.uint8), labels), count) if count else (None, 0)


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


def speck_mask(ink: np.ndarray, max_area: int) -> np.ndarray:
    """Ink specks of at most ``max_area`` pixels in an ink mask (ink 1); thin strokes are connected, so bigger."""
    # Every pixel of an 8-connected speck of at most max_area pixels has at most that many ink pixels in its
    # 3x3 neighbourhood (its ink neighbours are its own speck's). Only those candidates are looked up in the
    # labels, and a label is a speck when it has few candidates and no other pixel: half the time of counting
    # every label's pixels over the whole page (0.15 -> 0.07 s on 300 dpi A4 pages), with the same result.
    near = cv2.boxFilter(ink, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
    candidates = cv2.bitwise_and(ink, (near <= max_area).view(np.uint8))
    mask = np.zeros(ink.shape, bool)
    found = cv2.findNonZero(candidates)
    if found is None:
        return mask
    n, labels = cv2.connectedComponents(ink, connectivity=8)
    xs, ys = found.reshape(-1, 2).T
    candidate_labels = labels[ys, xs]
    size = np.bincount(candidate_labels, minlength=n)
    others = cv2.findNonZero(cv2.subtract(ink, candidates))
    if others is not None:
        other_xs, other_ys = others.reshape(-1, 2).T
        size[labels[other_ys, other_xs]] = max_area + 1  # part of a component with non-candidate pixels
    keep = size[candidate_labels] <= max_area
    mask[ys[keep], xs[keep]] = True
    return mask


# Specks are judged one by one in a window around each while that is cheaper than one pass over the whole page
# (about 7 ns a page pixel against 60 us a speck: a 300 dpi A4 page with 3 specks took 60 ms the whole-page way).
_PAGE_PIXELS_PER_SPECK = 8500


def faint_marks(grey: np.ndarray, ink: np.ndarray, ink_level: float, specks: np.ndarray, text_px: float,
                min_area: int, max_area: int) -> np.ndarray:
    """The specks that are the dark core of a faint mark: a comma or full stop printed lightly is a speck in the
    ink mask, but at a lighter threshold a blob of ``min_area`` to ``max_area`` pixels, and it stands beside
    letters. Dust is smaller, noise near letters joins them into bigger blobs, and a blob on blank paper is
    no punctuation (kept, it reads as stray characters). ``ink`` is the ink mask cut at grey ``ink_level``."""
    found = cv2.findNonZero(specks.view(np.uint8))
    if found is None:
        return np.zeros(specks.shape, bool)
    light_level = (ink_level + 255) / 2
    reach_x, reach_y = max(1, round(0.6 * text_px)), max(1, round(0.3 * text_px))
    xs, ys = found.reshape(-1, 2).T
    out = np.zeros(specks.shape, bool)
    if len(xs) * _PAGE_PIXELS_PER_SPECK > grey.size:
        letters = cv2.bitwise_and(ink, (~specks).view(np.uint8))
        light = (grey < light_level).view(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
        area = stats[labels[ys, xs], cv2.CC_STAT_AREA]
        beside = cv2.dilate(letters, np.ones((2 * reach_y + 1, 2 * reach_x + 1), np.uint8))
        marks = (area >= min_area) & (area <= max_area) & (beside[ys, xs] > 0)
        out[ys[marks], xs[marks]] = True
        return out
    radius = max(reach_x, round(2 * text_px))  # a blob of max_area pixels around its core fits
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if out[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3].any():
            out[y, x] = True  # the same speck as a pixel already kept (a speck spans at most a few pixels)
            continue
        near = (slice(max(0, y - reach_y), y + reach_y + 1), slice(max(0, x - reach_x), x + reach_x + 1))
        if not (ink[near].astype(bool) & ~specks[near]).any():
            continue  # no letter beside it
        top, left = max(0, y - radius), max(0, x - radius)
        window = (grey[top : y + radius + 1, left : x + radius + 1] < light_level).view(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(window, connectivity=8)
        bx, by, bw, bh, area = stats[labels[y - top, x - left]]
        inside = bx > 0 and by > 0 and bx + bw < window.shape[1] and by + bh < window.shape[0]
        out[y, x] = bool(inside and min_area <= area <= max_area)
    return out


def remove_speckles(binary: np.ndarray, max_area: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop ink specks of at most ``max_area`` pixels from a binary image (ink 0); also returns where they were."""
    specks = speck_mask((binary == 0).astype(np.uint8), max_area)
    out = binary.copy()
    out[specks] = 255
    return out, specks


def _vertical_turn(
    grey: np.ndarray, strength: float, params: CleanupParams, info: dict[str, Any], angle: float = 0.0
) -> int:
    """Clockwise turn for a page whose lines look vertical: 90, unless letter shapes or a confident OSD differ.

    ``angle`` is the skew of the lines once turned. Letter shapes on the turned, straightened page settle
    90 against 270 when they are clear, in a fraction of OSD's second; OSD stays for the rest.
    """
    if strength >= params.vertical_sure_strength or not params.osd:
        return 90
    if params.updown_shapes:
        shapes = shape_updown(deskew(rotate_quadrant(grey, 90), angle))
        if shapes.confidence >= params.updown_shapes_confidence:
            info["orientation_method"] = shapes.method
            info["orientation_confidence"] = round(shapes.confidence, 3)
            return 270 if shapes.upside_down else 90
    glyph = glyph_size(grey)
    # OSD reads small glyphs as well and in a fraction of the time.
    small = resize(grey, min(1.0, 16.0 / glyph)) if glyph else grey
    osd = osd_orientation(small)
    if osd is None or osd[1] < params.osd_min_confidence:
        return 90
    info["orientation_method"] = "osd"
    info["orientation_confidence"] = round(osd[1], 3)
    return (360 - osd[0]) % 360


def _orient(grey: np.ndarray, params: CleanupParams, info: dict[str, Any], height: float | None) -> np.ndarray:
    """Turn the page upright and straight, recording the quadrant and the skew angle.

    ``height`` is the text height measured before, reused while the page keeps its quadrant.
    """
    est = estimate_skew(grey, params.max_skew_deg)
    quadrant = 0
    if params.orientation:
        # Vertical lines: the content is turned 90 or 270; turn it to 0 or 180 first.
        info["orientation_method"] = "lines"
        if est.vertical:
            quadrant = _vertical_turn(grey, est.strength, params, info, est.angle)
            if quadrant in (0, 180):
                est = estimate_skew(grey, params.max_skew_deg, horizontal=True)
            grey = rotate_quadrant(grey, quadrant)
        info["rotated_cw"] = quadrant
    if params.deskew and abs(est.angle) >= 0.05:
        # A 180 turn keeps the line slope; the angle stays valid after the quadrant rotation.
        grey = deskew(grey, est.angle)
    info["skew_deg"] = round(est.angle, 3) if params.deskew else 0.0
    if params.orientation:
        # Up or down is told on straight lines.
        # Measured on the unturned page, the height of sideways text is a letter width: measure again.
        grey = _upright(grey, quadrant, params, info, height if quadrant == 0 else None)
    return grey


def _upright(grey: np.ndarray, quadrant: int, params: CleanupParams, info: dict[str, Any],
             height: float | None) -> np.ndarray:
    """Settle up or down before OCR where that is cheap (letter shapes) or asked for (a crop read both ways)."""
    updown = shape_updown(grey, height=height) if params.updown_shapes else None
    if updown is None or updown.confidence < params.updown_shapes_confidence:
        if params.updown != "before_ocr":
            return grey  # the reading after OCR decides
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
    return grey


def clean_page(image: np.ndarray, params: CleanupParams, *, dpi: float | None = None) -> CleanedPage:
    """Run the enabled cleanup steps in order; boxes read from ``ocr_image`` fit ``review_image``."""
    grey, kind = to_grey(image)
    info: dict[str, Any] = {"input_kind": kind, "input_size": [grey.shape[1], grey.shape[0]]}
    if params.negative and is_negative(grey, params.negative_dark_fraction):
        grey = 255 - grey
        info["inverted"] = True
    if params.smooth:
        grey = cv2.blur(grey, (2, 2))
    if params.borders:
        grey, crop = crop_dark_margins(grey, params.border_dark_fraction)
        info["crop"] = list(crop)
        if params.punch_holes:
            grey, info["edge_blobs_removed"] = whiten_edge_blobs(grey)
    if params.background:
        grey = normalise_background(grey, params.background_kernel_px)
    height = text_height(grey) if params.resolution or params.orientation else None
    scale = scale_for_height(height, grey.shape, params, dpi) if params.resolution else 1.0
    # Area averaging, not the cheaper bilinear work copy: tried (with a smaller skew work copy), word F1 on
    # generated pages fell at levels 1-4 (level 3: 0.975 -> 0.967).
    grey = resize(grey, scale)
    info["scale"] = round(scale, 4)
    if params.orientation or params.deskew:
        grey = _orient(grey, params, info, height * scale if height is not None else None)
    binary = grey
    if params.binarise:
        binary = sauvola(grey, params.sauvola_window, params.sauvola_k, params.sauvola_r)
    if params.denoise and params.speckle_max_area:
        if params.binarise:
            binary, specks = remove_speckles(binary, params.speckle_max_area)
        else:
            # Without binarisation a global Otsu mask stands in for the binary image.
            ink, ink_level = ink_mask_and_level(grey)
            specks = speck_mask(ink, params.speckle_max_area)
            if params.speckle_keep_marks:
                text_px = params.target_text_px if params.resolution else (height or params.target_text_px)
                specks &= ~faint_marks(grey, ink, ink_level, specks, text_px, params.speckle_mark_min_area,
                                       params.speckle_mark_max_area)
        grey = grey.copy()
        grey[specks] = 255
        if not params.binarise:
            binary = grey
        info["speckles_removed"] = int(np.count_nonzero(specks))
    info["output_size"] = [grey.shape[1], grey.shape[0]]
    return CleanedPage(review_image=grey, ocr_image=binary, info=info)
