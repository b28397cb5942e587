"""The part of a PDF page that is shown: its crop box as poppler (and so the pages stage) reads it."""

from __future__ import annotations

from collections.abc import Iterable

Box = tuple[float, float, float, float]


def visible_box(media: Iterable[float], crop: Iterable[float] | None = None) -> Box:
    """Left, bottom, right, top in points of what poppler draws with ``-cropbox``.

    Poppler's rule (Page.cc): a crop box wider or taller than the media box takes the media box's span on that
    axis, then the crop box is clipped to the media box. A crop box that is larger, offset or reversed therefore
    never makes the page bigger than its media box, which is what bounds the render's memory.
    """
    m = _normalised(media)
    c = _normalised(crop) if crop is not None else m
    box = []
    for axis in (0, 1):
        media_lo, media_hi = m[axis], m[axis + 2]
        lo, hi = c[axis], c[axis + 2]
        if hi - lo > media_hi - media_lo:
            lo, hi = media_lo, media_hi
        box.append((min(max(lo, media_lo), media_hi), min(max(hi, media_lo), media_hi)))
    (left, right), (bottom, top) = box
    return left, bottom, right, top


def _normalised(box: Iterable[float]) -> Box:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def shown_size(box: Box, rotation: int) -> tuple[float, float]:
    """Width and height of ``box`` as a viewer shows the page: a quarter turn (/Rotate 90 or 270) swaps them."""
    left, bottom, right, top = box
    return (top - bottom, right - left) if rotation % 180 else (right - left, top - bottom)
