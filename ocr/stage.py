"""The ocr stage: clean each page, reuse a real text layer or run Tesseract, store the page image and its words."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select

from core.context import StageContext
from core.document import PageWords
from ingest.pages import encode_png, page_image_key, raw_page_key
from ingest.sniff import PDF
from ocr.images import decode_grey, encode_jpeg
from ocr.page import PageReading, read_pages
from ocr.params import LANGUAGES_PATTERN, CleanupParams
from ocr.textlayer import read_text_layer
from storage.models import Document, Page, WordRow


class OcrParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: str = Field("ita+eng", pattern=LANGUAGES_PATTERN)
    psm: int = Field(3, ge=0, le=13)
    page_timeout: float = Field(120.0, gt=0)
    # Also read white-on-black lines (Tesseract's tessedit_do_invert): rare on scans, costs time.
    invert: bool = False
    # Pages of one document OCRed at once; 0 means one per core.
    jobs: int = Field(0, ge=0, le=64)
    use_text_layer: bool = True
    dpi: int = Field(300, ge=72, le=600)
    # The cleaned page kept for review and the archive copy: JPEG at this quality, as the archive stores it
    # anyway (a fifth of PNG's encoding time, and the archive passes it through); 0 keeps a lossless PNG.
    page_image_quality: int = Field(85, ge=0, le=100)
    cleanup: CleanupParams = Field(default_factory=CleanupParams)


# Pages decoded and read at once per job: enough for Tesseract runs over several pages (one model load for
# all of them), few enough that a long document's page images never sit in memory all together.
_PAGES_PER_JOB = 4


@dataclass(slots=True)
class StoredPage:
    """A read page once its image is in the object store: what its database row needs."""

    number: int
    image_key: str
    width: int
    height: int
    words: PageWords
    cleanup: dict[str, Any]
    problem: str | None


def _load_page(number: int, raw: bytes, params: OcrParams, pdf_path: Path | None) -> PageReading | np.ndarray:
    """A born-digital page read from its own text layer, or the page image still to clean and OCR."""
    image = decode_grey(raw)
    if pdf_path is not None and params.use_text_layer:
        words = read_text_layer(pdf_path, number - 1, dpi=params.dpi)
        if words is not None and words.width == image.shape[1] and words.height == image.shape[0]:
            # Born-digital page: its own text is exact; keep the render untouched so boxes stay aligned.
            words.page = number
            return PageReading(image, words, {"text_layer": True})
    return image


def _read_chunk(
    ctx: StageContext, numbers: list[int], raw_key: dict[int, str], params: OcrParams, pdf_path: Path | None,
    jobs: int,
) -> list[PageReading]:
    with ThreadPoolExecutor(max_workers=min(jobs, len(numbers))) as pool:
        loaded = list(pool.map(lambda n: _load_page(n, ctx.store.get(raw_key[n]), params, pdf_path), numbers))
    done = {page.words.page: page for page in loaded if isinstance(page, PageReading)}
    scans = [(number, page) for number, page in zip(numbers, loaded, strict=True) if isinstance(page, np.ndarray)]
    if scans:
        readings = read_pages([image for _, image in scans], params.cleanup, pages=[n for n, _ in scans],
                              languages=params.languages, psm=params.psm, timeout=params.page_timeout,
                              invert=params.invert, jobs=jobs)
        for (number, _), reading in zip(scans, readings, strict=True):
            if reading.problem:
                reading.problem = f"OCR timed out: {reading.problem}"
            done[number] = reading
    return [done[number] for number in numbers]


def _store_image(ctx: StageContext, reading: PageReading, quality: int) -> StoredPage:
    number = reading.words.page
    data, extension, media_type = _encode_page_image(reading.image, quality)
    key = page_image_key(ctx.document_id, number, extension)
    ctx.store.put(key, data, content_type=media_type)
    height, width = reading.image.shape[:2]
    return StoredPage(number, key, width, height, reading.words, reading.info, reading.problem)


def ocr_stage(ctx: StageContext, params: OcrParams) -> None:
    """Replace this document's page images and words with a fresh, cleaned and recognised set."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        assert document is not None
        pages = session.execute(
            select(Page.number, Page.raw_key).where(Page.document_id == ctx.document_id).order_by(Page.number)
        ).all()
        media_type, object_key = document.media_type, document.object_key
    if not pages:
        return
    raw_key = {number: key or raw_page_key(ctx.document_id, number) for number, key in pages}
    numbers = [number for number, _ in pages]
    jobs = params.jobs or os.cpu_count() or 1
    stored: list[StoredPage] = []
    with tempfile.TemporaryDirectory(prefix="quinte-ocr-") as tmp:
        pdf_path = None
        if media_type == PDF and params.use_text_layer:
            pdf_path = Path(tmp) / "original.pdf"
            pdf_path.write_bytes(ctx.store.get(object_key))
        step = jobs * _PAGES_PER_JOB
        for start in range(0, len(numbers), step):
            for result in _read_chunk(ctx, numbers[start : start + step], raw_key, params, pdf_path, jobs):
                stored.append(_store_image(ctx, result, params.page_image_quality))
    _store_results(ctx, stored)


def _encode_page_image(image: np.ndarray, quality: int) -> tuple[bytes, str, str]:
    """The stored page image: its bytes, file extension and media type (JPEG, or PNG when quality is 0)."""
    if quality == 0:
        return encode_png(Image.fromarray(image)), "png", "image/png"
    return encode_jpeg(image, quality), "jpg", "image/jpeg"


def _store_results(ctx: StageContext, results: list[StoredPage]) -> None:
    with ctx.session() as session:
        rows = {page.number: page for page in session.scalars(select(Page).where(Page.document_id == ctx.document_id))}
        session.execute(delete(WordRow).where(WordRow.page_id.in_([page.id for page in rows.values()])))
        word_rows: list[dict[str, Any]] = []
        for result in results:
            page = rows[result.number]
            page.width, page.height = result.width, result.height
            page.image_key = result.image_key
            page.text_source = result.words.source
            page.mean_confidence = result.words.mean_confidence
            page.cleanup = result.cleanup
            page.problem = result.problem
            word_rows.extend(
                {"page_id": page.id, "seq": seq, "text": word.text[:512], "x0": word.bbox[0], "y0": word.bbox[1],
                 "x1": word.bbox[2], "y1": word.bbox[3], "confidence": word.confidence, "block": word.block,
                 "line": word.line}
                for seq, word in enumerate(result.words.words)
            )
        if word_rows:
            session.execute(insert(WordRow), word_rows)
