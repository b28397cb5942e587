"""Typed, switchable parameters of the page cleanup steps, with defaults that work on office scans."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CleanupParams(BaseModel):
    """Each cleanup step can be switched off or tuned; sizes are pixels after resolution normalisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Resolution: glyph size is the median sqrt(w*h) of character blobs. Pages whose glyphs lie between
    # min and max are left alone (rescaling costs time and, on SROIE, gained nothing); others are
    # brought to target_glyph_px.
    resolution: bool = True
    min_glyph_px: float = Field(10.0, gt=2)
    max_glyph_px: float = Field(60.0, gt=4)
    target_glyph_px: float = Field(20.0, gt=4)
    max_upscale: float = Field(2.0, ge=1)
    max_side_px: int = Field(10000, ge=500)
    target_dpi: int = Field(300, ge=72)

    borders: bool = True
    border_dark_fraction: float = Field(0.6, gt=0, le=1)
    punch_holes: bool = True

    background: bool = True
    background_kernel_px: int = Field(15, ge=3)

    orientation: bool = True
    # "after_ocr": trust a confident first reading and check upside-down only when it is doubtful (cheap);
    # "before_ocr": always read a crop both ways up before OCR (one more Tesseract call per page).
    updown: Literal["after_ocr", "before_ocr"] = "after_ocr"
    # A first reading whose word-like tokens reach this mean confidence is taken as upright.
    upright_confidence: float = Field(0.80, ge=0, le=1)
    osd: bool = True
    # Text lines look vertical: turn at once when the evidence is this strong, else ask OSD first
    # (a narrow receipt on a big blank scan can fool the line profile).
    vertical_sure_strength: float = Field(3.0, ge=1)
    osd_min_confidence: float = Field(3.0, ge=0)
    orientation_languages: str = "eng"

    deskew: bool = True
    max_skew_deg: float = Field(15.0, gt=0, le=45)

    denoise: bool = True
    speckle_max_area: int = Field(6, ge=0)

    # Off by default: Tesseract binarises the normalised grey page itself at no extra cost, and on SROIE
    # Sauvola before OCR did not help; switch on for pages with strong uneven light left after "background".
    binarise: bool = False
    sauvola_window: int = Field(41, ge=3)
    sauvola_k: float = Field(0.2, gt=0, lt=1)
    sauvola_r: float = Field(128.0, gt=0)
