"""Tesseract word recognition: words with boxes, confidence and line keys, one page or many in parallel."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract

from core.document import PageWords, Word


class OcrTimeout(RuntimeError):
    """Tesseract did not finish a page within its time limit."""


@dataclass(slots=True)
class PageResult:
    """One page's words, or an empty page with the reason it could not be read."""

    words: PageWords
    problem: str | None = None


def _limit_threads() -> None:
    # Tesseract's OpenMP threads fight each other when pages already run in parallel; one each is fastest.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@contextmanager
def image_file(image: np.ndarray) -> Iterator[str]:
    """The image as an uncompressed PGM/PPM file for Tesseract, removed afterwards.

    Handing pytesseract an array makes it write a PNG at zlib's default level first, which cost a fifth of a
    second per 300 dpi page, as much as all of the cleanup's thresholding; a raw netpbm file costs a copy.
    """
    suffix = ".pgm" if image.ndim == 2 else ".ppm"
    ok, encoded = cv2.imencode(suffix, image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"cannot encode a page image of shape {image.shape} for Tesseract")
    with tempfile.NamedTemporaryFile(prefix="quinte-page-", suffix=suffix) as handle:
        handle.write(encoded.tobytes())
        handle.flush()
        yield handle.name


def _words(data: dict[str, list], page: int) -> list[Word]:
    """Tesseract's TSV rows as words in its reading order, with (block, par, line) made one line number."""
    words: list[Word] = []
    line_numbers: dict[tuple[int, int, int], int] = {}
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_numbers.setdefault(key, len(line_numbers) + 1)
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        words.append(Word(text, (x, y, x + w, y + h), round(conf / 100, 4), page, key[0], line))
    return words


def recognise(
    image: np.ndarray,
    *,
    page: int,
    languages: str = "ita+eng",
    psm: int = 3,
    timeout: float = 60.0,
    invert: bool = False,
    dpi: int | None = None,
) -> PageWords:
    """Words of one page image, boxes in that image's pixels; raises ``OcrTimeout`` past ``timeout``.

    ``invert`` lets Tesseract also try each line as white on black: rare on office scans and it costs time.
    ``dpi`` is the page's resolution; without it Tesseract guesses one from the text, often wrongly on
    receipts, and its layout analysis suffers.
    """
    _limit_threads()
    config = f"--oem 1 --psm {psm}" + ("" if invert else " -c tessedit_do_invert=0")
    if dpi:
        config += f" --dpi {dpi}"
    try:
        with image_file(image) as path:
            data = pytesseract.image_to_data(
                path,
                lang=languages,
                config=config,
                output_type=pytesseract.Output.DICT,
                timeout=timeout,
            )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeout(f"page {page}: Tesseract took longer than {timeout:g} s") from exc
        raise
    height, width = image.shape[:2]
    return PageWords(page=page, width=width, height=height, words=_words(data, page))


def _recognise_or_problem(
    image: np.ndarray, page: int, languages: str, psm: int, timeout: float
) -> PageResult:
    try:
        return PageResult(recognise(image, page=page, languages=languages, psm=psm, timeout=timeout))
    except OcrTimeout as exc:
        height, width = image.shape[:2]
        return PageResult(PageWords(page=page, width=width, height=height), problem=str(exc))


def recognise_pages(
    images: Sequence[np.ndarray],
    *,
    first_page: int = 1,
    languages: str = "ita+eng",
    psm: int = 3,
    timeout: float = 60.0,
    jobs: int = 2,
) -> list[PageResult]:
    """Recognise pages in parallel; a page that times out comes back empty with a problem, not an error.

    Threads are enough: each page's work happens in its own Tesseract process.
    """
    _limit_threads()
    numbers = range(first_page, first_page + len(images))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [
            pool.submit(_recognise_or_problem, image, number, languages, psm, timeout)
            for image, number in zip(images, numbers, strict=True)
        ]
        return [future.result() for future in futures]
