"""Generate synthetic scans (or born-digital PDFs) with a ground-truth JSON beside each one."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from samples import content, layouts
from samples.degrade import LEVELS, Applied, degrade
from samples.render import A4, Canvas, Page, TruthWord, rasterise, union, write_text_pdf

FORMATS = ("pdf", "png", "jpg", "tiff", "pdf-text")
DEFAULT_FORMATS = {"pdf": 70, "png": 10, "jpg": 10, "tiff": 10}
RECEIPT_SIZE = (945, 3000)  # 80 mm thermal paper at 300 dpi; cut to length after drawing
SUFFIX = {"pdf": ".pdf", "pdf-text": ".pdf", "png": ".png", "jpg": ".jpg", "tiff": ".tif"}


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated document: its file, its truth JSON and what it is."""

    path: Path
    truth_path: Path
    doc_type: str
    level: int
    layout: str
    language: str
    format: str


def generate(
    out_dir: Path,
    *,
    count: int,
    seed: int,
    kinds: Sequence[str] | None = None,
    levels: Sequence[int] | None = None,
    formats: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
) -> list[Sample]:
    """Write ``count`` documents to ``out_dir``; the same seed and options give the same files.

    Kinds and levels are cycled so that any ``count`` of at least ``len(kinds) * len(levels)`` covers
    every pair; formats are drawn at random (mostly image PDFs by default); ``pdf-text`` is born digital
    and therefore always level 0.
    """
    kinds = tuple(kinds or content.DOC_KINDS)
    levels = tuple(LEVELS if levels is None else levels)
    _check_options(kinds, levels, formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        level = levels[(index + index // len(kinds)) % len(levels)]
        samples.append(make_sample(out_dir, index, seed, kind, level, formats, tuple(languages) if languages else None))
    return samples


def _check_options(kinds: Sequence[str], levels: Sequence[int], formats: Sequence[str] | None) -> None:
    unknown = [k for k in kinds if k not in content.DOC_KINDS]
    unknown += [str(level) for level in levels if level not in LEVELS]
    unknown += [f for f in formats or () if f not in FORMATS]
    if unknown or not kinds or not levels:
        raise ValueError(f"unknown or empty sample options: {', '.join(unknown) or 'nothing selected'}")


def make_sample(
    out_dir: Path,
    index: int,
    seed: int,
    kind: str,
    level: int,
    formats: Sequence[str] | None,
    languages: tuple[str, ...] | None,
) -> Sample:
    """One document, seeded from (seed, index) so it does not depend on the documents before it."""
    rng = random.Random(f"{seed}:{index}")
    np_rng = np.random.default_rng([seed, index])
    fmt = (
        rng.choice(list(formats))
        if formats
        else rng.choices(list(DEFAULT_FORMATS), weights=list(DEFAULT_FORMATS.values()))[0]
    )
    if fmt == "pdf-text":
        level = 0
    language = content.choose_language(rng, kind, languages)
    doc = content.build(kind, rng, language)
    canvas, layout = draw(doc, rng)
    stem = f"{index:04d}-{kind}-{language}-L{level}"
    path = out_dir / (stem + SUFFIX[fmt])
    applied = write_document(canvas.pages, path, fmt, level, np_rng)
    truth = truth_json(doc, canvas.pages, layout, level, fmt, applied)
    truth_path = out_dir / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return Sample(path, truth_path, kind, level, layout, language, fmt)


def draw(doc: content.Document, rng: random.Random) -> tuple[Canvas, str]:
    """Lay the document out on a canvas in a layout and typeface picked for its kind."""
    if doc.doc_type == "receipt":
        canvas = Canvas(RECEIPT_SIZE, family="mono")
        layouts.receipt_layout(layouts.Ctx(doc, rng, canvas))
        return canvas, "thermal"
    if doc.doc_type == "contract":
        canvas = Canvas(A4, family=rng.choice(["serif", "serif", "sans"]))
        layouts.contract_layout(layouts.Ctx(doc, rng, canvas))
        return canvas, f"articles-{canvas.family}"
    canvas = Canvas(A4, family=rng.choice(["sans", "sans", "serif", "condensed"]))
    ctx = layouts.Ctx(doc, rng, canvas)
    if doc.doc_type == "order":
        variant = rng.choice(["a", "b"])
        layouts.order_layout(ctx, variant)
        return canvas, f"order-{variant}"
    layout = rng.choice(layouts.INVOICE_LAYOUTS)
    layouts.INVOICE_DRAWERS[layout](ctx)
    return canvas, layout


def write_document(pages: list[Page], path: Path, fmt: str, level: int, np_rng: np.random.Generator) -> list[Applied]:
    """Rasterise, degrade and save the pages; a born-digital PDF keeps its text layer and no degradation."""
    if fmt == "pdf-text":
        write_text_pdf(pages, path)
        return [Applied(0, 0.0, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) for _ in pages]
    images: list[Image.Image] = []
    applied: list[Applied] = []
    for page in pages:
        scan, geometry = degrade(np.asarray(rasterise(page)), level, np_rng)
        images.append(Image.fromarray(scan))
        applied.append(geometry)
    save_images(images, path, fmt)
    return applied


def save_images(images: list[Image.Image], path: Path, fmt: str) -> None:
    """PDF and TIFF hold every page; PNG and JPEG hold one, so later pages go to ``<stem>-p<n>`` files."""
    first, rest = images[0], images[1:]
    if fmt == "pdf":
        first.save(path, "PDF", save_all=True, append_images=rest, resolution=300.0, quality=88)
    elif fmt == "tiff":
        first.save(path, "TIFF", save_all=True, append_images=rest, compression="tiff_deflate", dpi=(300, 300))
    else:
        kind = "PNG" if fmt == "png" else "JPEG"
        options: dict[str, Any] = {"dpi": (300, 300)} | ({"quality": 85} if kind == "JPEG" else {})
        first.save(path, kind, **options)
        for number, image in enumerate(rest, start=2):
            image.save(path.with_name(f"{path.stem}-p{number}{path.suffix}"), kind, **options)


def truth_json(
    doc: content.Document, pages: list[Page], layout: str, level: int, fmt: str, applied: list[Applied]
) -> dict[str, Any]:
    """The ground truth: canonical fields, their boxes, the lines, and every page's words and text."""
    page_entries = []
    for number, (page, geometry) in enumerate(zip(pages, applied, strict=True), start=1):
        ordered = reading_order(page.words)
        page_entries.append(
            {
                "page": number,
                "width": page.width,
                "height": page.height,
                **geometry.as_json(),
                "text": "\n".join(" ".join(w.text for w in line) for line in ordered),
                "words": [{"text": w.text, "bbox": list(w.bbox)} for line in ordered for w in line],
            }
        )
    truth: dict[str, Any] = {
        "doc_type": doc.doc_type,
        "language": doc.language,
        "layout": layout,
        "level": level,
        "format": fmt,
        "rotation": applied[0].rotation,
        "skew": applied[0].skew,
        "dpi": 300,
        "bbox_frame": "clean",
        "fields": doc.fields,
        "field_boxes": field_boxes(pages, doc.fields),
        "pages": page_entries,
    }
    if doc.doc_type in ("invoice", "credit_note", "order"):
        truth["lines"] = [line.as_json() for line in doc.lines]
    return truth


def reading_order(words: list[TruthWord]) -> list[list[TruthWord]]:
    """Words grouped into lines by shared baseline (top to bottom), each line left to right."""
    lines: list[list[TruthWord]] = []
    for word in sorted(words, key=lambda w: (w.baseline, w.bbox[0])):
        if lines and abs(lines[-1][0].baseline - word.baseline) <= 8:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.bbox[0]) for line in lines]


def field_boxes(pages: list[Page], fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each field, the page where its words first appear and the union of their boxes there."""
    boxes: dict[str, dict[str, Any]] = {}
    for number, page in enumerate(pages, start=1):
        tagged: dict[str, list[tuple[int, int, int, int]]] = {}
        for word in page.words:
            if word.field in fields and word.field not in boxes:
                tagged.setdefault(word.field, []).append(word.bbox)
        for name, found in tagged.items():
            boxes[name] = {"page": number, "bbox": list(union(found))}
    return boxes
