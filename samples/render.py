"""A page canvas that records every word's box as it draws, rasterised with Pillow or written by reportlab."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

DPI = 300
A4 = (2480, 3508)  # A4 at 300 dpi
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILIES = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
BBox = tuple[int, int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def pt_to_px(size_pt: float) -> int:
    return round(size_pt * DPI / 72)


@functools.lru_cache(maxsize=128)
def load_font(family: str, bold: bool, size_px: int) -> Font:
    """A DejaVu face at a pixel size; PIL's built-in font when DejaVu is not installed."""
    path = FONT_DIR / FAMILIES[family][1 if bold else 0]
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def font_path(family: str, bold: bool) -> Path | None:
    path = FONT_DIR / FAMILIES[family][1 if bold else 0]
    return path if path.exists() else None


@dataclass(slots=True)
class TruthWord:
    """A drawn word: its text, its ink box on the clean page and the field it belongs to, if any."""

    text: str
    bbox: BBox
    field: str | None = None
    baseline: int = 0  # words drawn on one baseline form one line of the page text


@dataclass(slots=True)
class TextOp:
    x: float
    baseline: float
    text: str
    family: str
    bold: bool
    size_px: int


@dataclass(slots=True)
class ShapeOp:
    kind: str  # "line" or "rect"
    box: tuple[float, float, float, float]
    width: int = 2
    fill: int | None = None
    outline: int | None = 0


@dataclass(slots=True)
class Page:
    width: int
    height: int
    ops: list[TextOp | ShapeOp] = field(default_factory=list)
    words: list[TruthWord] = field(default_factory=list)


class Canvas:
    """Pages of text and rules in 300-dpi pixel coordinates; every word's box is known when drawn."""

    def __init__(self, size: tuple[int, int] = A4, family: str = "sans") -> None:
        self.size = size
        self.family = family
        self.pages: list[Page] = []
        self.new_page()

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self, size: tuple[int, int] | None = None) -> Page:
        width, height = size or self.size
        self.pages.append(Page(width, height))
        return self.page

    def font(self, size_pt: float, bold: bool = False, family: str | None = None) -> Font:
        return load_font(family or self.family, bold, pt_to_px(size_pt))

    def width_of(self, text: str, size_pt: float, bold: bool = False, family: str | None = None) -> float:
        return self.font(size_pt, bold, family).getlength(text)

    def text(
        self,
        x: float,
        baseline: float,
        text: str | Sequence[tuple[str, str | None]],
        *,
        size: float = 10,
        bold: bool = False,
        align: str = "left",
        field: str | None = None,
        family: str | None = None,
    ) -> BBox | None:
        """Draw one run at a baseline; ``text`` may be (part, field) pairs so parts carry their own field.

        Returns the union of the run's word boxes, or None for blank text.
        """
        parts = [(text, field)] if isinstance(text, str) else [(p, f) for p, f in text if p.strip()]
        joined = " ".join(p for p, _ in parts)
        if not joined.strip():
            return None
        family = family or self.family
        font = load_font(family, bold, pt_to_px(size))
        width = font.getlength(joined)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        self.page.ops.append(TextOp(x, baseline, joined, family, bold, pt_to_px(size)))
        boxes: list[BBox] = []
        start = 0
        for part, part_field in parts:
            boxes += self._record_words(font, x, baseline, joined, start, part, part_field)
            start += len(part) + 1
        return union(boxes) if boxes else None

    def _record_words(
        self, font: Font, x: float, baseline: float, line: str, start: int, part: str, field: str | None
    ) -> list[BBox]:
        """Boxes of the words of ``part``, which begins at ``start`` within the drawn ``line``."""
        boxes: list[BBox] = []
        for word in part.split(" "):
            if word:
                offset = font.getlength(line[:start])
                left, top, right, bottom = font.getbbox(word, anchor="ls")
                box = (
                    int(x + offset + left),
                    int(baseline + top),
                    int(x + offset + right) + 1,
                    int(baseline + bottom) + 1,
                )
                self.page.words.append(TruthWord(word, box, field, int(baseline)))
                boxes.append(box)
            start += len(word) + 1
        return boxes

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int = 3) -> None:
        self.page.ops.append(ShapeOp("line", (x0, y0, x1, y1), width))

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        fill: int | None = None,
        outline: int | None = 0,
        width: int = 3,
    ) -> None:
        self.page.ops.append(ShapeOp("rect", (x0, y0, x1, y1), width, fill, outline))

    def wrap(self, text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
        """Greedy word wrap at the canvas font's real advance widths."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if current and self.width_of(candidate, size, bold) > max_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        return lines


def union(boxes: Sequence[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def rasterise(page: Page) -> Image.Image:
    """The clean page as an 8-bit grey image; shapes first so that text stays on top."""
    image = Image.new("L", (page.width, page.height), 255)
    draw = ImageDraw.Draw(image)
    for op in page.ops:
        if isinstance(op, ShapeOp):
            if op.kind == "line":
                draw.line(op.box, fill=0, width=op.width)
            else:
                draw.rectangle(op.box, fill=op.fill, outline=op.outline, width=op.width)
    for op in page.ops:
        if isinstance(op, TextOp):
            font = load_font(op.family, op.bold, op.size_px)
            draw.text((op.x, op.baseline), op.text, font=font, fill=0, anchor="ls")
    return image


def write_text_pdf(pages: list[Page], path: Path) -> None:
    """A born-digital PDF with a real text layer, drawn from the same operations as the raster."""
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas as rl_canvas

    scale = 72 / DPI
    pdf = rl_canvas.Canvas(str(path), pagesize=(pages[0].width * scale, pages[0].height * scale))
    for page in pages:
        pdf.setPageSize((page.width * scale, page.height * scale))
        height = page.height * scale
        for op in page.ops:
            if isinstance(op, ShapeOp):
                _pdf_shape(pdf, op, scale, height, Color)
        for op in page.ops:
            if isinstance(op, TextOp):
                pdf.setFont(_pdf_font(op.family, op.bold), op.size_px * scale)
                pdf.drawString(op.x * scale, height - op.baseline * scale, op.text)
        pdf.showPage()
    pdf.save()


def _pdf_shape(pdf: Any, op: ShapeOp, scale: float, height: float, color_cls: Any) -> None:
    x0, y0, x1, y1 = (v * scale for v in op.box)
    pdf.setLineWidth(op.width * scale)
    if op.kind == "line":
        pdf.line(x0, height - y0, x1, height - y1)
        return
    if op.fill is not None:
        grey = op.fill / 255
        pdf.setFillColor(color_cls(grey, grey, grey))
    pdf.rect(
        x0,
        height - y1,
        x1 - x0,
        y1 - y0,
        stroke=1 if op.outline is not None else 0,
        fill=1 if op.fill is not None else 0,
    )
    pdf.setFillColor(color_cls(0, 0, 0))


@functools.lru_cache(maxsize=16)
def _pdf_font(family: str, bold: bool) -> str:
    """Register the DejaVu face with reportlab once; Helvetica when the file is missing."""
    path = font_path(family, bold)
    if path is None:
        return "Helvetica-Bold" if bold else "Helvetica"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = path.stem
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return name
