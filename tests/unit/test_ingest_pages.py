"""The pages stage's rendering helpers: grey pages stored as grey, colour pages kept in colour."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.pages import PagesParams, _grey_if_neutral, render_pdf


def _pdf(colour: tuple[float, float, float]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFillColorRGB(*colour)
    pdf.setFont("Helvetica", 24)
    pdf.drawString(72, 700, "Fattura n. 12/2026")
    pdf.save()
    return buffer.getvalue()


def test_a_black_and_white_pdf_page_renders_to_grey() -> None:
    (page,) = [_grey_if_neutral(image) for image in render_pdf(_pdf((0, 0, 0)), PagesParams(dpi=100))]
    assert page.mode == "L"
    assert np.asarray(page).min() < 50  # the text is there, not a blank conversion


def test_a_page_with_colour_stays_in_colour() -> None:
    (page,) = [_grey_if_neutral(image) for image in render_pdf(_pdf((0.8, 0.1, 0.1)), PagesParams(dpi=100))]
    assert page.mode == "RGB"
    pixels = np.asarray(page).astype(int)
    assert (pixels[..., 0] - pixels[..., 2]).max() > 100  # red ink kept


def test_grey_conversion_keeps_the_pixels() -> None:
    image = Image.new("RGB", (40, 20), "white")
    ImageDraw.Draw(image).rectangle((5, 5, 15, 15), fill=(90, 90, 90))
    grey = _grey_if_neutral(image)
    assert grey.mode == "L" and grey.getpixel((10, 10)) == 90 and grey.getpixel((30, 10)) == 255
