"""Synthetic text pages with known words, for tests and benchmarks of cleanup and OCR."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SAMPLE_LINES = (
    "Fattura numero 2024/118 del 14 marzo 2024",
    "Spett.le Rossi Forniture S.r.l. via Garibaldi 12, Milano",
    "Description of goods quantity unit price amount",
    "Office chairs with adjustable height 4 pieces 89,50",
    "Printer paper A4 white bright quality 20 boxes 4,20",
    "Delivery and handling charges for the order 15,00",
    "Subtotal before taxes and discounts 458,00 EUR",
    "Payment by bank transfer within thirty days of invoice",
    "Thank you for your business, please keep this receipt",
    "Banca Popolare di Sondrio IBAN IT60X0542811101000000123456",
)


def text_page(
    lines: tuple[str, ...] = SAMPLE_LINES,
    *,
    font_px: int = 40,
    width: int = 2480,
    margin: int = 150,
    line_gap: float = 1.9,
) -> np.ndarray:
    """A white A4-at-300-dpi-like grey page with the given lines of black text (uint8, H x W)."""
    font = ImageFont.load_default(size=font_px)
    height = int(2 * margin + line_gap * font_px * len(lines))
    page = Image.new("L", (width, max(height, 600)), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_gap * font_px), line, fill=0, font=font)
    return np.asarray(page).copy()
