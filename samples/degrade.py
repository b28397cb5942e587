"""Scanner-like degradation of clean pages at graded levels 0 (clean) to 4 (worst), with the transform applied."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

Matrix = list[list[float]]


@dataclass(frozen=True, slots=True)
class Level:
    """How hard one level hits a page; probabilities are per page."""

    skew: float  # largest skew in degrees, either way
    turn_p: float  # chance of a 90/180/270 degree turn
    contrast: float  # how far paper greys and ink lightens, 0..1
    noise: float  # gaussian noise sigma in grey levels
    salt: float  # fraction of pixels turned to dust or holes
    blur: float  # gaussian blur sigma in pixels
    jpeg: int | None  # JPEG quality of an encode/decode round trip
    light: float  # darkest corner of the uneven illumination, 0..1
    lowres_p: float  # chance of a round trip through a lower resolution
    lowres_dpi: int


LEVELS: dict[int, Level] = {
    0: Level(0.0, 0.0, 0.00, 0.0, 0.0, 0.0, None, 0.00, 0.0, 300),
    1: Level(1.0, 0.0, 0.05, 3.0, 0.0, 0.0, 88, 0.06, 0.0, 300),
    2: Level(3.0, 0.1, 0.10, 6.0, 0.0005, 0.6, 72, 0.15, 0.3, 200),
    3: Level(5.0, 0.3, 0.15, 9.0, 0.0015, 0.9, 58, 0.25, 0.5, 150),
    4: Level(10.0, 0.5, 0.25, 14.0, 0.006, 1.2, 40, 0.45, 0.7, 120),
}


@dataclass(slots=True)
class Applied:
    """What was done to a page: the turn (clockwise degrees), the skew and the clean-to-scan mapping."""

    rotation: int
    skew: float
    matrix: Matrix  # 2x3 affine: scan (x, y) = matrix @ (x, y, 1) of the clean page

    def as_json(self) -> dict[str, object]:
        return {"rotation": self.rotation, "skew": self.skew, "transform": self.matrix}


def degrade(image: np.ndarray, level: int, rng: np.random.Generator) -> tuple[np.ndarray, Applied]:
    """A degraded copy of an 8-bit grey page, and the geometry applied to it."""
    spec = LEVELS[level]
    if level == 0:
        return image, Applied(0, 0.0, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    img = _contrast(image, spec.contrast, rng)
    skew = round(float(rng.uniform(spec.skew / 3, spec.skew) * rng.choice([-1, 1])), 2) if spec.skew else 0.0
    img, matrix = _skew(img, skew)
    img = _illumination(img, spec.light, rng)
    if spec.blur:
        img = cv2.GaussianBlur(img, (0, 0), spec.blur * float(rng.uniform(0.7, 1.2)))
    if rng.random() < spec.lowres_p:
        img = _lowres(img, spec.lowres_dpi)
    img = _noise(img, spec.noise, spec.salt, rng)
    rotation = int(rng.choice([90, 180, 270])) if rng.random() < spec.turn_p else 0
    img, matrix = _turn(img, rotation, matrix)
    if spec.jpeg:
        ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg])
        if ok:
            img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return img, Applied(rotation, skew, [[round(v, 6) for v in row] for row in matrix.tolist()])


def _contrast(img: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Grey paper and faded ink: map 0..255 to ink..paper."""
    if not amount:
        return img
    paper = 255 - rng.uniform(0, 40) * amount / 0.25
    ink = rng.uniform(0, 80) * amount / 0.25
    lut = np.linspace(ink, paper, 256).clip(0, 255).astype(np.uint8)
    return lut[img]


def _skew(img: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by ``angle`` degrees counter-clockwise on a canvas grown to hold the whole page."""
    h, w = img.shape
    if not angle:
        return img, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    rad = math.radians(angle)
    new_w = int(abs(w * math.cos(rad)) + abs(h * math.sin(rad)) + 0.5)
    new_h = int(abs(h * math.cos(rad)) + abs(w * math.sin(rad)) + 0.5)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 2] += (new_w - w) / 2
    matrix[1, 2] += (new_h - h) / 2
    border = int(np.percentile(img[::16, ::16], 90))
    out = cv2.warpAffine(img, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=border)
    return out, matrix


def _illumination(img: np.ndarray, light: float, rng: np.random.Generator) -> np.ndarray:
    """A lamp gradient from a random side plus a vignette, computed small and scaled up."""
    if not light:
        return img
    h, w = img.shape
    sh, sw = max(h // 16, 2), max(w // 16, 2)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    direction = rng.uniform(0, 2 * math.pi)
    ramp = (xx / sw - 0.5) * math.cos(direction) + (yy / sh - 0.5) * math.sin(direction) + 0.5
    vignette = ((xx / sw - 0.5) ** 2 + (yy / sh - 0.5) ** 2) * 2
    shade = np.clip(0.7 * ramp + 0.3 * vignette, 0, 1)
    gain = 1 - light * shade
    gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
    return (img.astype(np.float32) * gain).clip(0, 255).astype(np.uint8)


def _lowres(img: np.ndarray, dpi: int) -> np.ndarray:
    h, w = img.shape
    scale = dpi / 300
    small = cv2.resize(img, (max(int(w * scale), 1), max(int(h * scale), 1)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _noise(img: np.ndarray, sigma: float, salt: float, rng: np.random.Generator) -> np.ndarray:
    out = img
    if sigma:
        noise = rng.standard_normal(img.shape, dtype=np.float32) * sigma
        out = (out.astype(np.float32) + noise).clip(0, 255).astype(np.uint8)
    if salt:
        draws = rng.random(img.shape, dtype=np.float32)
        out = out.copy() if out is img else out
        out[draws < salt / 2] = 0
        out[draws > 1 - salt / 2] = 255
    return out


def _turn(img: np.ndarray, rotation: int, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn clockwise by a multiple of 90 degrees and compose the turn into the clean-to-scan matrix."""
    if not rotation:
        return img, matrix
    h, w = img.shape
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    turns = {
        90: np.array([[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
        180: np.array([[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0], [0.0, 0.0, 1.0]]),
        270: np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]]),
    }
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return cv2.rotate(img, codes[rotation]), (turns[rotation] @ full)[:2]
