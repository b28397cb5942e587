"""Small image helpers shared by the cleanup steps: grey conversion, ink masks, glyph size, rotation."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def decode_grey(data: bytes) -> np.ndarray:
    """A stored page image (PNG/JPEG bytes) as an 8-bit grey array."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"))


def to_grey(image: np.ndarray) -> tuple[np.ndarray, str]:
    """Any scanner output (bool, 1-bit 0/1, 16-bit, BGR, BGRA) as 8-bit grey; also says what it was."""
    kind = "grey"
    img = image
    if img.dtype == bool:
        img, kind = img.astype(np.uint8) * 255, "bitonal"
    elif img.dtype == np.uint16:
        img, kind = (img >> 8).astype(np.uint8), "grey16"
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        img, kind = cv2.cvtColor(img, code), "colour"
    if kind == "grey" and img.size and img.max() <= 1:
        # PIL "1" images converted with np.asarray come as 0/1 bytes.
        img, kind = img * 255, "bitonal"
    return np.ascontiguousarray(img), kind


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Global Otsu ink mask (ink=1) - good enough for measuring, not for OCR."""
    return ink_mask_and_level(grey)[0]


def ink_mask_and_level(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """``ink_mask`` and the Otsu grey level it was cut at."""
    level, mask = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask, float(level)


_GLYPH_WORK_PIXELS = 6_000_000


def work_copy(grey: np.ndarray, factor: float) -> np.ndarray:
    """A smaller copy of the page to measure on, not to read.

    Down to half size bilinear sampling thresholds to the same ink as area averaging and costs a seventh
    (5 against 39 ms for an A4 page at 300 dpi); further down it would skip thin strokes.
    """
    if abs(factor - 1.0) < 1e-3:
        return grey
    interpolation = cv2.INTER_LINEAR if factor >= 0.5 else cv2.INTER_AREA
    return cv2.resize(grey, None, fx=factor, fy=factor, interpolation=interpolation)


def glyph_size(grey: np.ndarray) -> float | None:
    """Median sqrt(w*h) of character-like blobs: a rotation-independent text size, None if no text.

    Big scans are measured on a smaller copy (then scaled back): labelling 35 Mpx takes about a second.
    """
    factor = min(1.0, (_GLYPH_WORK_PIXELS / max(grey.size, 1)) ** 0.5)
    if factor < 0.95:
        found = glyph_size(work_copy(grey, factor))
        return found / factor if found is not None else None
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(grey), connectivity=8)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    limit = max(grey.shape) / 10
    ok = (h >= 3) & (w >= 2) & (h < limit) & (w < limit) & (w < 4 * h) & (h < 4 * w)
    ok &= area > 0.1 * w * h  # lines, frames and hollow boxes are not glyphs
    if ok.sum() < 15:
        return None
    return float(np.median(np.sqrt(w[ok] * h[ok])))


def text_height(grey: np.ndarray) -> float | None:
    """Height of the text in pixels, close to the capital height; None if no text.

    Measured on character blobs after a 3x3 closing, which joins the dots of dot-matrix print and the
    breaks of faded thermal print (``glyph_size`` reads those as tiny blobs), and weighted by ink area so
    that specks, i-dots and punctuation do not pull it down. On SROIE receipts it lies within 10 % of
    the height of Tesseract's upper-case word boxes where ``glyph_size`` was off by up to 3x.
    """
    factor = min(1.0, (_GLYPH_WORK_PIXELS / max(grey.size, 1)) ** 0.5)
    if factor < 0.95:
        found = text_height(work_copy(grey, factor))
        return found / factor if found is not None else None
    closed = cv2.morphologyEx(ink_mask(grey), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    limit = max(grey.shape) / 10
    ok = (h >= 4) & (w >= 2) & (h < limit) & (w < limit) & (w < 4 * h) & (h < 4 * w) & (area > 0.1 * w * h)
    if ok.sum() < 15:
        return None
    heights, weights = h[ok], area[ok].astype(np.float64)
    order = np.argsort(heights, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def resize(grey: np.ndarray, scale: float) -> np.ndarray:
    """Rescale with the interpolation that suits the direction (area down, cubic up)."""
    if abs(scale - 1.0) < 1e-3:
        return grey
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=interp)


def rotate_quadrant(grey: np.ndarray, clockwise_deg: int) -> np.ndarray:
    """Rotate by a multiple of 90 degrees clockwise, losslessly."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    deg = clockwise_deg % 360
    return grey if deg == 0 else cv2.rotate(grey, codes[deg])


def rotate_small(grey: np.ndarray, ccw_deg: float, fill: int = 255) -> np.ndarray:
    """Rotate counter-clockwise by a small angle, growing the canvas so no corner is cut off."""
    if abs(ccw_deg) < 1e-3:
        return grey
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), ccw_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = round(h * sin + w * cos), round(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(grey, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=fill)


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """A page image as JPEG bytes at ``quality`` (grey stays grey)."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"a page image of shape {image.shape} could not be encoded as JPEG")
    return encoded.tobytes()
