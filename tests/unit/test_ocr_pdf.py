"""Text-layer reuse of born-digital PDFs, garbage text layers, and the searchable archive copy."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
from pdf2image import convert_from_path
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from core.document import PageWords, Word
from ocr.archive import searchable_pdf
from ocr.textlayer import read_text_layer

LINES = [
    "Fattura numero 118 del 14 marzo 2024",
    "Totale da pagare 1.234,56 EUR",
    "Grazie per la collaborazione",
]


def _pdf(path: Path, lines: list[str]) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=(595, 842))
    pdf.setFont("Helvetica", 14)
    for i, line in enumerate(lines):
        pdf.drawString(72, 750 - 30 * i, line)
    pdf.showPage()
    pdf.save()
    return path


def test_born_digital_words_and_boxes(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "born.pdf", LINES)
    words = read_text_layer(path, 0, dpi=150)
    assert words is not None and words.source == "text_layer"
    assert words.text().split("\n") == LINES
    image = np.asarray(convert_from_path(str(path), dpi=150)[0].convert("L"))
    assert (words.height, words.width) == image.shape
    for word in words.words:
        x0, y0, x1, y1 = word.bbox
        assert (image[y0:y1, x0:x1] < 128).any(), word  # the box covers the rendered glyphs


def test_garbage_text_layer_is_refused(tmp_path: Path) -> None:
    rng = random.Random(3)
    junk = ["".join(rng.choice("qxzkwvjQXZKWVJ#@%") for _ in range(rng.randint(3, 9))) for _ in range(40)]
    path = _pdf(tmp_path / "junk.pdf", [" ".join(junk[i : i + 8]) for i in range(0, 40, 8)])
    assert read_text_layer(path, 0) is None


def test_scan_without_text_layer_gives_none() -> None:
    assert read_text_layer(Path("/work/shared/data/scans/skew.pdf"), 0) is None


def test_searchable_pdf_finds_the_words() -> None:
    image = np.full((1100, 850), 255, np.uint8)
    words = PageWords(
        1, 850, 1100, [Word("Quinte", (100, 100, 300, 140), 0.9), Word("archive", (320, 100, 520, 140), 0.9)]
    )
    data = searchable_pdf([(image, words), (image, words)], dpi=100)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert "Quinte" in reader.pages[0].extract_text() and "archive" in reader.pages[1].extract_text()
    assert float(reader.pages[0].mediabox.width) == 612.0


def test_a_cropped_page_is_read_as_a_viewer_shows_it(tmp_path: Path) -> None:
    """A crop box (set by Acrobat's crop tool, or around printer's marks) is the page: the render, the text-layer
    boxes and the words all keep to it, also on a page turned by /Rotate."""
    from pypdf import PdfWriter
    from pypdf.generic import RectangleObject

    from ingest.pages import PagesParams, render_pdf

    source = PdfReader(_pdf(tmp_path / "full.pdf", [*LINES, *[""] * 18, "Bozza riservata fuori pagina"]))
    # the last line, at y=120, is outside the first crop; the second is taller than the page, which cuts it
    for rotation, crop, size in ((0, [50, 300, 545, 800], (1042, 1032)), (90, [50, 300, 545, 800], (1032, 1042)),
                                 (0, [0, 0, 595, 1008], (1755, 1240)), (270, [-100, -100, 700, 1000], (1240, 1755))):
        writer = PdfWriter()
        page = writer.add_page(source.pages[0])
        page.cropbox = RectangleObject(crop)
        if rotation:
            page.rotate(rotation)
        path = tmp_path / f"cropped-{rotation}.pdf"
        writer.write(path)

        (rendered,) = render_pdf(path.read_bytes(), PagesParams(dpi=150))
        image = np.asarray(rendered.image)
        assert image.shape == size  # (height, width) at 150 dpi
        words = read_text_layer(path, 0, dpi=150)
        assert words is not None and (words.height, words.width) == image.shape
        shown = " ".join(LINES) + ("" if max(size) < 1100 else " Bozza riservata fuori pagina")
        assert sorted(w.text for w in words.words) == sorted(shown.split())  # turned: lines run down
        for word in words.words:
            x0, y0, x1, y1 = word.bbox
            assert (image[y0:y1, x0:x1] < 128).any(), word
