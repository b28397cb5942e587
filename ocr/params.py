"""Typed, switchable parameters of the page cleanup steps, with defaults that work on office scans."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Tesseract language codes joined by "+" ("ita+eng"): a pipeline cannot pass anything else to it.
LANGUAGES_PATTERN = r"^[a-z_]{3,}(\+[a-z_]{3,})*$"


class CleanupParams(BaseModel):
    """Each cleanup step can be switched off or tuned; sizes are pixels after resolution normalisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Resolution: every page is brought to a text height (``images.text_height``, about the capital
    # height) of target_text_px, and Tesseract is told it reads a target_dpi page (24 px capitals are
    # 8-9 pt text at 300 dpi). On 65 SROIE receipts CER went from 0.129 to 0.101 with both; the size
    # alone gave 0.118, the hint alone nothing. 28 px scored 0.097, but upscaling small receipts that far
    # made OCR 1.31x raw Tesseract's time (24 px: 1.12x). Within rescale_tolerance the page is left
    # alone. Without text the input dpi, when known, is brought to target_dpi.
    resolution: bool = True
    target_text_px: float = Field(24.0, gt=4)
    rescale_tolerance: float = Field(0.05, ge=0, lt=1)
    max_upscale: float = Field(2.5, ge=1)
    max_side_px: int = Field(10000, ge=500)
    target_dpi: int = Field(300, ge=72)

    # A 2x2 box average of the input page before anything else: it takes the edge off scanner and JPEG
    # noise. Poppler's render of a scanned PDF page did the same by resampling, and when plain JPEG scans
    # began to skip the renderer, word F1 on generated scans (tuning seeds 1001/1002, 8 a level) fell at
    # levels 2-4 (e.g. 0.70 -> 0.60 at level 4); with this average it is at or above the render's at
    # every level.
    smooth: bool = True

    # A page that is mostly dark with only small light marks on it is a negative (white text on black: a bitonal
    # TIFF whose photometric tag is wrong, a microfilm print) and is inverted first. A receipt photographed on a
    # dark table is mostly dark too, but its paper is one large light region, so it is left alone.
    negative: bool = True
    negative_dark_fraction: float = Field(0.6, gt=0.5, le=1)

    borders: bool = True
    border_dark_fraction: float = Field(0.6, gt=0, le=1)
    punch_holes: bool = True

    background: bool = True
    background_kernel_px: int = Field(15, ge=3)

    orientation: bool = True
    # "after_ocr": trust a confident first reading and check upside-down only when it is doubtful (cheap);
    # "before_ocr": always read a crop both ways up before OCR (one more Tesseract call per page).
    updown: Literal["after_ocr", "before_ocr"] = "after_ocr"
    # A first reading whose word-like tokens reach this mean confidence is taken as upright. On 65 SROIE
    # receipts read upside down the mean was at most 0.50 and upright at least 0.67 but for one (0.53);
    # at 0.80 a fifth of the upright ones paid for a needless both-ways check.
    upright_confidence: float = Field(0.65, ge=0, le=1)
    # Before OCR and without it, letter shapes (ascenders outnumber descenders) settle up or down where
    # they are clear, so an upside-down page is read once, not twice. |score| is 0.7-0.95 on mixed-case
    # pages and under 0.2 on all-caps receipts, which are left to the checks above.
    updown_shapes: bool = True
    updown_shapes_confidence: float = Field(0.5, gt=0, le=1)
    osd: bool = True
    # Text lines look vertical: turn at once when the evidence is this strong, else ask OSD first
    # (a narrow receipt on a big blank scan can fool the line profile).
    vertical_sure_strength: float = Field(3.0, ge=1)
    osd_min_confidence: float = Field(3.0, ge=0)
    orientation_languages: str = Field("eng", pattern=LANGUAGES_PATTERN)

    # Tesseract's layout analysis sometimes leaves a column out (the amounts of a receipt, cut after their
    # first digits). Letter-sized ink no word covers, in runs of at least recover_min_glyphs, is read
    # again in one more Tesseract run over a strip of those crops (``ocr.recover``).
    # Read with recover_languages alone: the crops are mostly numbers and short words, and each language
    # Tesseract loads costs about 0.1-0.2 s per run, more than reading the crops.
    recover_skipped: bool = True
    recover_min_glyphs: int = Field(2, ge=1)
    recover_languages: str = Field("eng", pattern=LANGUAGES_PATTERN)
    # Tesseract often drops a line's last comma or full stop ("JALAN SAGU 18" under "JALAN SAGU 18,"): a lone
    # mark-sized blob at the baseline just past a line's last word is put back, "," or "." by its shape.
    restore_line_end_marks: bool = True
    # Tesseract's layout analysis sometimes draws a column boundary through a value ("7" | "54" for "754"): a
    # line's last word and another block's line starting right after it, with no room for a space, are one word.
    rejoin_split_words: bool = True

    deskew: bool = True
    max_skew_deg: float = Field(15.0, gt=0, le=45)

    denoise: bool = True
    speckle_max_area: int = Field(6, ge=0)
    # A lightly printed comma or full stop is a speck in the ink mask too; removing it erased SROIE's line-end
    # commas. A speck inside a blob of speckle_mark_min_area to speckle_mark_max_area pixels at a lighter
    # threshold is kept. SROIE fields: min 8, 12 and 20 gave F1 0.825, 0.831 and 0.826; with no upper bound,
    # noise joined to letters was kept too and word F1 on generated level-3 pages fell 0.975 -> 0.970, which
    # 150 and 400 both prevent.
    speckle_keep_marks: bool = True
    speckle_mark_min_area: int = Field(12, ge=1)
    speckle_mark_max_area: int = Field(400, ge=1)

    # Off by default: Tesseract binarises the normalised grey page itself at no extra cost, and on SROIE
    # Sauvola before OCR did not help; switch on for pages with strong uneven light left after "background".
    binarise: bool = False
    sauvola_window: int = Field(41, ge=3)
    sauvola_k: float = Field(0.2, gt=0, lt=1)
    sauvola_r: float = Field(128.0, gt=0)
