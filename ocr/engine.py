"""Tesseract word recognition: words with boxes, confidence and line keys, one page or many in parallel."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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


def _netpbm(image: np.ndarray) -> tuple[bytes, str]:
    """The image as uncompressed PGM/PPM bytes and their file suffix.

    Handing pytesseract an array makes it write a PNG at zlib's default level first, which cost a fifth of a
    second per 300 dpi page, as much as all of the cleanup's thresholding; a raw netpbm file costs a copy.
    """
    suffix = ".pgm" if image.ndim == 2 else ".ppm"
    ok, encoded = cv2.imencode(suffix, image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"cannot encode a page image of shape {image.shape} for Tesseract")
    return encoded.tobytes(), suffix


@contextmanager
def image_file(image: np.ndarray) -> Iterator[str]:
    """The image as an uncompressed PGM/PPM file for Tesseract, removed afterwards."""
    data, suffix = _netpbm(image)
    with tempfile.NamedTemporaryFile(prefix="quinte-page-", suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        yield handle.name


@contextmanager
def image_list_file(images: Sequence[np.ndarray]) -> Iterator[str]:
    """A text file naming one netpbm file per image, which Tesseract reads as one multi-page input."""
    with tempfile.TemporaryDirectory(prefix="quinte-pages-") as folder:
        names = []
        for index, image in enumerate(images, start=1):
            data, suffix = _netpbm(image)
            path = os.path.join(folder, f"{index:04d}{suffix}")
            with open(path, "wb") as handle:
                handle.write(data)
            names.append(path)
        listing = os.path.join(folder, "pages.txt")
        with open(listing, "w", encoding="utf-8") as handle:
            handle.write("\n".join(names) + "\n")
        yield listing


def _words(data: dict[str, list], page: int, rows: Iterable[int] | None = None) -> list[Word]:
    """Tesseract's TSV rows (all, or ``rows``) as words in its reading order, with (block, par, line) made one
    line number."""
    words: list[Word] = []
    line_numbers: dict[tuple[int, int, int], int] = {}
    for i in range(len(data["text"])) if rows is None else rows:
        text = str(data["text"][i]).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_numbers.setdefault(key, len(line_numbers) + 1)
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        words.append(Word(text, (x, y, x + w, y + h), round(conf / 100, 4), page, key[0], line))
    return words


def _config(psm: int, invert: bool, dpi: int | None) -> str:
    config = f"--oem 1 --psm {psm}" + ("" if invert else " -c tessedit_do_invert=0")
    return config + (f" --dpi {dpi}" if dpi else "")


def _run(source: str, languages: str, config: str, timeout: float, what: str) -> dict[str, list]:
    """Tesseract's TSV of ``source`` (an image or a list of images); past ``timeout`` an ``OcrTimeout``."""
    try:
        return pytesseract.image_to_data(
            source, lang=languages, config=config, output_type=pytesseract.Output.DICT, timeout=timeout
        )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeout(f"{what}: Tesseract took longer than {timeout:g} s") from exc
        raise


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
    with image_file(image) as path:
        data = _run(path, languages, _config(psm, invert, dpi), timeout, f"page {page}")
    height, width = image.shape[:2]
    return PageWords(page=page, width=width, height=height, words=_words(data, page))


def recognise_together(
    images: Sequence[np.ndarray],
    *,
    pages: Sequence[int],
    languages: str = "ita+eng",
    psm: int = 3,
    timeout: float = 60.0,
    invert: bool = False,
    dpi: int | None = None,
) -> list[PageWords]:
    """Several pages in one Tesseract run, as ``recognise`` reads one; ``timeout`` is per page.

    Tesseract spends about 0.45 s loading five languages' models before it reads anything: one run for the
    pages of a document pays that once, not once a page (6 pages: 14.3 s one at a time, 11.8 s together).
    """
    if len(images) == 1:
        return [recognise(images[0], page=pages[0], languages=languages, psm=psm, timeout=timeout,
                          invert=invert, dpi=dpi)]
    _limit_threads()
    what = f"pages {pages[0]}-{pages[-1]}"
    with image_list_file(images) as listing:
        data = _run(listing, languages, _config(psm, invert, dpi), timeout * len(images), what)
    rows: dict[int, list[int]] = {}
    for i, number in enumerate(data["page_num"]):
        rows.setdefault(int(number), []).append(i)
    out = []
    for index, (image, page) in enumerate(zip(images, pages, strict=True), start=1):
        height, width = image.shape[:2]
        out.append(PageWords(page=page, width=width, height=height, words=_words(data, page, rows.get(index, []))))
    return out


def _recognise_or_problem(
    image: np.ndarray, page: int, languages: str, psm: int, timeout: float, invert: bool, dpi: int | None
) -> PageResult:
    try:
        return PageResult(recognise(image, page=page, languages=languages, psm=psm, timeout=timeout,
                                    invert=invert, dpi=dpi))
    except OcrTimeout as exc:
        return _problem(image, page, str(exc))


def _problem(image: np.ndarray, page: int, reason: str) -> PageResult:
    height, width = image.shape[:2]
    return PageResult(PageWords(page=page, width=width, height=height), problem=reason)


def _recognise_batch(
    images: Sequence[np.ndarray], pages: Sequence[int], languages: str, psm: int, timeout: float, invert: bool,
    dpi: int | None,
) -> list[PageResult]:
    """One Tesseract run for the batch; when it times out, each page alone, so only the slow page is a problem."""
    try:
        found = recognise_together(images, pages=pages, languages=languages, psm=psm, timeout=timeout,
                                   invert=invert, dpi=dpi)
        return [PageResult(words) for words in found]
    except OcrTimeout as exc:
        if len(images) == 1:
            return [_problem(images[0], pages[0], str(exc))]
        return [_recognise_or_problem(image, page, languages, psm, timeout, invert, dpi)
                for image, page in zip(images, pages, strict=True)]


def recognise_pages(
    images: Sequence[np.ndarray],
    *,
    pages: Sequence[int] | None = None,
    languages: str = "ita+eng",
    psm: int = 3,
    timeout: float = 60.0,
    jobs: int = 2,
    invert: bool = False,
    dpi: int | None = None,
) -> list[PageResult]:
    """Recognise pages (numbered ``pages``, else from 1), in up to ``jobs`` Tesseract runs in parallel, each over
    a run of consecutive images; a page that times out comes back empty with a problem, not an error.

    Threads are enough: each batch's work happens in its own Tesseract process.
    """
    _limit_threads()
    numbers = list(pages) if pages is not None else list(range(1, len(images) + 1))
    batches = _split(len(images), max(1, jobs))
    with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
        futures = [
            pool.submit(_recognise_batch, images[start:stop], numbers[start:stop], languages, psm, timeout,
                        invert, dpi)
            for start, stop in batches
        ]
        return [result for future in futures for result in future.result()]


def _split(count: int, parts: int) -> list[tuple[int, int]]:
    """``count`` items as at most ``parts`` runs of consecutive items, sizes differing by at most one."""
    parts = min(parts, count)
    if parts == 0:
        return []
    size, extra = divmod(count, parts)
    bounds, start = [], 0
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds
