"""Typed, switchable parameters of the page cleanup steps, with defaults that work on office scans."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CleanupParams(BaseModel):
    """Each cleanup step can be switched off or tuned; sizes are pixels after resolution normalisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Resolution: glyph size (median sqrt(w*h) of character blobs) Tesseract reads best at.
    resolution: bool = True
    target_glyph_px: float = Field(24.0, gt=4)
    max_upscale: float = Field(3.0, ge=1)
    max_side_px: int = Field(7000, ge=500)
    target_dpi: int = Field(300, ge=72)

    borders: bool = True
    border_dark_fraction: float = Field(0.6, gt=0, le=1)
    punch_holes: bool = True

    background: bool = True
    background_kernel_px: int = Field(15, ge=3)

    orientation: bool = True
    osd: bool = True
    osd_min_confidence: float = Field(3.0, ge=0)
    orientation_languages: str = "eng"

    deskew: bool = True
    max_skew_deg: float = Field(15.0, gt=0, le=45)

    denoise: bool = True
    speckle_max_area: int = Field(6, ge=0)

    binarise: bool = True
    sauvola_window: int = Field(41, ge=3)
    sauvola_k: float = Field(0.2, gt=0, lt=1)
    sauvola_r: float = Field(128.0, gt=0)
