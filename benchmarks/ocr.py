"""OCR benchmark: quinte against raw Tesseract and OCRmyPDF on generated pages, SROIE receipts and real scans."""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytesseract
from PIL import Image
from rapidfuzz.distance import Levenshtein

from ocr.engine import OcrTimeout
from ocr.images import rotate_quadrant, to_grey
from ocr.page import read_page
from ocr.skew import estimate_skew
from ocr.stage import OcrParams

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "out" / "ocr"
LANGUAGES = OcrParams().languages


def _pipeline_languages(name: str) -> str:
    """The OCR languages a pipeline of pipelines.yaml reads with."""
    import yaml

    data = yaml.safe_load((ROOT / "pipelines.yaml").read_text(encoding="utf-8"))
    for stage in data["pipelines"][name]["stages"]:
        if stage["name"] == "ocr":
            return str((stage.get("params") or {}).get("languages", LANGUAGES))
    return LANGUAGES


# Generated pages come in five languages: read them as the pipeline for mixed foreign mail does.
MULTILINGUAL = _pipeline_languages("auto")
SYSTEMS = ("quinte", "raw", "ocrmypdf")

Box = tuple[float, float, float, float]


@dataclass(slots=True)
class Outcome:
    """What one system made of one page: positioned text pieces, time, and its orientation/skew if known."""

    pieces: list[tuple[Box, str]]
    seconds: float
    rotated_cw: int | None = None
    skew_deg: float | None = None
    text: str | None = None  # plain text when no boxes are available (OCRmyPDF sidecar)
    image: np.ndarray | None = None  # the page as quinte stores it


# ---------------------------------------------------------------- metrics


def rows_text(pieces: Iterable[tuple[Box, str]]) -> str:
    """Pieces grouped into rows top to bottom, each row left to right, whitespace collapsed, upper-cased.

    The same rule orders the SROIE line boxes and the OCR words, so neither Tesseract's block order nor
    the annotators' order of boxes on one row counts as an error. A piece joins the current row when its
    vertical centre is within half the median piece height of the row's first piece. Upper-casing: the
    SROIE transcripts are upper case where the receipts are not always.
    """
    items = [(box, text) for box, text in pieces if text.strip()]
    if not items:
        return ""
    half = 0.5 * statistics.median(max(b[3] - b[1], 1.0) for b, _ in items)
    rows: list[list[tuple[Box, str]]] = []
    anchor = 0.0
    for box, text in sorted(items, key=lambda p: (p[0][1] + p[0][3]) / 2):
        centre = (box[1] + box[3]) / 2
        if rows and abs(centre - anchor) <= half:
            rows[-1].append((box, text))
        else:
            rows.append([(box, text)])
            anchor = centre
    lines = (" ".join(t for _, t in sorted(row, key=lambda p: p[0][0])) for row in rows)
    return " ".join(" ".join(lines).split()).upper()


def cer(hypothesis: str, reference: str) -> tuple[int, int]:
    """Edit distance and reference length: sum both over a data set, then divide (micro average)."""
    return Levenshtein.distance(hypothesis, reference), len(reference)


def word_f1(hypothesis: Iterable[str], reference: Iterable[str]) -> float:
    """Order-independent word F1: overlap of the two word multisets, exact tokens."""
    hyp, ref = Counter(hypothesis), Counter(reference)
    common = sum((hyp & ref).values())
    total = sum(hyp.values()) + sum(ref.values())
    return 2 * common / total if total else 1.0


def upright(turned_cw: int, corrected_cw: int | None) -> bool:
    """Whether a page turned clockwise by ``turned_cw`` comes out upright after a system's clockwise correction.

    Both are clockwise, so the correction undoes the turn when they add up to a full turn: a page turned
    90 is righted by 270 (comparing the two for equality counted only 0 and 180 as right). No correction
    (raw Tesseract) is upright only for a page that was never turned.
    """
    return (turned_cw + (corrected_cw or 0)) % 360 == 0


def skew_error(found: float, truth: float) -> float:
    """Absolute difference of two skew angles, folded so that 180-degree ambiguity does not count."""
    diff = (found - truth + 90) % 180 - 90
    return abs(diff)


# ---------------------------------------------------------------- systems


def run_quinte(grey: np.ndarray, languages: str = LANGUAGES) -> Outcome:
    params = OcrParams()
    started = time.perf_counter()
    try:
        reading = read_page(grey, params.cleanup, page=1, languages=languages, psm=params.psm,
                            timeout=params.page_timeout, invert=params.invert)
    except OcrTimeout:
        # The pipeline records such a page as a problem and goes on; here it scores as an empty reading.
        return Outcome([], time.perf_counter() - started)
    seconds = time.perf_counter() - started
    pieces = [(tuple(map(float, w.bbox)), w.text) for w in reading.words.words]
    return Outcome(pieces, seconds, reading.info.get("rotated_cw"), reading.info.get("skew_deg"), image=reading.image)


def run_raw(grey: np.ndarray, languages: str = LANGUAGES) -> Outcome:
    """Tesseract as it comes: the same languages, its default page segmentation, no cleanup."""
    started = time.perf_counter()
    data = pytesseract.image_to_data(grey, lang=languages, config="--oem 1 --psm 3",
                                     output_type=pytesseract.Output.DICT)
    seconds = time.perf_counter() - started
    pieces = []
    for i, text in enumerate(data["text"]):
        if str(text).strip() and float(data["conf"][i]) >= 0:
            x, y, w, h = (float(data[k][i]) for k in ("left", "top", "width", "height"))
            pieces.append(((x, y, x + w, y + h), str(text).strip()))
    return Outcome(pieces, seconds)


def run_ocrmypdf(grey: np.ndarray, languages: str = LANGUAGES, dpi: int = 300) -> Outcome:
    """OCRmyPDF with cleanup, one page; orientation from the output's /Rotate, skew measured on its render."""
    with tempfile.TemporaryDirectory(prefix="quinte-bench-") as tmp:
        src, out, sidecar = Path(tmp) / "in.png", Path(tmp) / "out.pdf", Path(tmp) / "out.txt"
        Image.fromarray(grey).save(src, dpi=(dpi, dpi))
        command = ["ocrmypdf", "--rotate-pages", "--deskew", "--clean", "-l", languages, "--output-type", "pdf",
                   "--sidecar", str(sidecar), "--image-dpi", str(dpi), "--jobs", "1", "--quiet", str(src), str(out)]
        started = time.perf_counter()
        done = subprocess.run([_ocrmypdf(), *command[1:]], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0 or not out.exists():
            return Outcome([], seconds, None, None, text="")
        document = pdfium.PdfDocument(str(out))
        page = document[0]
        # /Rotate turns the view clockwise: it is OCRmyPDF's clockwise correction, like quinte's rotated_cw.
        corrected_cw = page.get_rotation() % 360
        rendered = np.asarray(page.render(scale=150 / 72).to_pil().convert("L"))
        document.close()
        residual = estimate_skew(rendered).angle
        return Outcome([], seconds, corrected_cw, residual, text=sidecar.read_text(encoding="utf-8"))


def _ocrmypdf() -> str:
    venv = ROOT / ".venv" / "bin" / "ocrmypdf"
    return str(venv) if venv.exists() else (shutil.which("ocrmypdf") or "ocrmypdf")


# ---------------------------------------------------------------- data sets


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def generated_pages(per_level: int) -> list[tuple[int, np.ndarray, dict]]:
    """First pages of generated documents per level; every other page also turned by 90/180/270 degrees.

    The generator turns few pages at the low levels, so the extra turns give the orientation check
    enough cases at every level. Returns (level, grey page, truth with rotation and skew).
    """
    from samples.generate import generate

    out = OUT / "generated"
    if out.exists():
        shutil.rmtree(out)
    samples = generate(out, count=per_level * 5, seed=2024, levels=(0, 1, 2, 3, 4), formats=("png",))
    pages = []
    for index, sample in enumerate(samples):
        truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
        grey, _ = to_grey(np.asarray(Image.open(sample.path)))
        extra = (90, 180, 270)[(index // 2) % 3] if index % 2 else 0
        truth_page = truth["pages"][0]
        page_truth = {"rotation": (truth["rotation"] + extra) % 360, "skew": truth["skew"],
                      "words": truth_page["text"].split(), "kind": sample.doc_type}
        pages.append((sample.level, rotate_quadrant(grey, extra), page_truth))
    return pages


def sroie_pages(count: int) -> list[tuple[str, np.ndarray, str]]:
    """An evenly spread subset of SROIE receipts with their reference text (see ``rows_text``)."""
    images = sorted((DATA / "sroie" / "img").glob("*.jpg"))
    step = max(1, len(images) // max(count, 1))
    chosen = images[::step][:count]
    pages = []
    for path in chosen:
        grey, _ = to_grey(cv2.imread(str(path)))
        pages.append((path.stem, grey, rows_text(sroie_truth(path.stem))))
    return pages


def sroie_truth(stem: str) -> list[tuple[Box, str]]:
    """The transcript lines of one receipt as (box of the quadrilateral, text)."""
    pieces = []
    with open(DATA / "sroie" / "box" / f"{stem}.csv", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) < 9:
                continue
            xs, ys = [float(v) for v in row[0:8:2]], [float(v) for v in row[1:8:2]]
            pieces.append(((min(xs), min(ys), max(xs), max(ys)), ",".join(row[8:])))
    return pieces


def pdf_pages(path: Path, dpi: int = 300) -> list[np.ndarray]:
    document = pdfium.PdfDocument(str(path))
    pages = [np.asarray(page.render(scale=dpi / 72).to_pil().convert("L")) for page in document]
    document.close()
    return pages


# ---------------------------------------------------------------- running


Runner = Callable[[np.ndarray, str], Outcome]
RUNNERS: dict[str, Runner] = {"quinte": run_quinte, "raw": run_raw, "ocrmypdf": run_ocrmypdf}


def run_interleaved(images: list[np.ndarray], ocrmypdf_every: int, languages: str = LANGUAGES
                    ) -> list[dict[str, Outcome]]:
    """Every system on every page, the order rotating from page to page so load spikes hit all alike.

    OCRmyPDF runs only on every ``ocrmypdf_every``-th page: it is several times slower than the rest.
    """
    results = []
    for index, image in enumerate(images):
        chosen = [s for s in SYSTEMS if s != "ocrmypdf" or index % ocrmypdf_every == 0]
        shift = index % len(chosen)
        outcomes = {}
        for name in chosen[shift:] + chosen[:shift]:
            outcomes[name] = RUNNERS[name](image, languages)
        results.append(outcomes)
        print(f"  page {index + 1}/{len(images)}: " + ", ".join(f"{k} {v.seconds:.1f}s" for k, v in outcomes.items()),
              flush=True)
    return results


def words_of(outcome: Outcome) -> list[str]:
    return (outcome.text or "").split() if outcome.text is not None else [t for _, t in outcome.pieces]


def text_of(outcome: Outcome) -> str:
    """Row-ordered text; OCRmyPDF's sidecar has no boxes, so its own line order is used (upper-cased)."""
    if outcome.text is not None:
        return " ".join(outcome.text.split()).upper()
    return rows_text(outcome.pieces)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def speed_cells(results: list[dict[str, Outcome]], system: str) -> tuple[str, str]:
    """Median seconds per page, and the median of per-page ratios to raw Tesseract on the same page."""
    seconds = [r[system].seconds for r in results if system in r]
    ratios = [r[system].seconds / r["raw"].seconds for r in results if system in r and r["raw"].seconds > 0]
    return _fmt(_median(seconds), 2), _fmt(_median(ratios), 2) + "×"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def bench_generated() -> str:
    per_level = _env_int("QUINTE_BENCH_PAGES", 6)
    every = _env_int("QUINTE_BENCH_OCRMYPDF_EVERY", 2)
    pages = generated_pages(per_level)
    print(f"generated: {len(pages)} pages", flush=True)
    results = run_interleaved([grey for _, grey, _ in pages], every, MULTILINGUAL)
    rows = []
    for level in range(5):
        chosen = [(truth, r) for (lvl, _, truth), r in zip(pages, results, strict=True) if lvl == level]
        for system in SYSTEMS:
            mine = [(truth, r[system]) for truth, r in chosen if system in r]
            f1 = statistics.mean(word_f1(words_of(o), t["words"]) for t, o in mine) if mine else None
            oriented = [upright(t["rotation"], o.rotated_cw) for t, o in mine]
            turned = [ok for (t, _), ok in zip(mine, oriented, strict=True) if t["rotation"]]
            skews = [abs(o.skew_deg) if system == "ocrmypdf" else skew_error(o.skew_deg, t["skew"])
                     for t, o in mine if o.skew_deg is not None]
            if system == "raw":
                skews = [abs(t["skew"]) for t, _ in mine]
            secs, ratio = speed_cells([r for _, r in chosen], system)
            shown = f"{sum(oriented)}/{len(oriented)}" + (f" ({sum(turned)}/{len(turned)} turned)" if turned else "")
            rows.append([str(level), system, str(len(mine)), _fmt(f1), shown, _fmt(_median(skews), 2), secs, ratio])
    header = ["level", "system", "pages", "word F1", "upright", "median residual skew °", "s/page", "× raw"]
    note = (f"Generated pages: first page of {len(pages)} documents (invoices, receipts, orders, contracts), "
            f"every other page turned 90/180/270° on top of the generator's own turns and skews; "
            f"OCRmyPDF on every {every}nd page. All three read with `{MULTILINGUAL}`, the languages of the `auto` "
            f"pipeline, since the pages are in Italian, English, German, French and Spanish. "
            f"Residual skew: quinte against the truth; OCRmyPDF measured on its "
            f"output page by quinte's projection estimator; raw Tesseract does not deskew (the input skew).")
    return "### Generated pages\n\n" + note + "\n\n" + table(header, rows)


def bench_sroie() -> str:
    count = _env_int("QUINTE_BENCH_SROIE", 30)
    every = _env_int("QUINTE_BENCH_OCRMYPDF_EVERY_SROIE", 3)
    pages = sroie_pages(count)
    print(f"sroie: {len(pages)} receipts", flush=True)
    results = run_interleaved([grey for _, grey, _ in pages], every)
    rows = []
    for system in SYSTEMS:
        errors = total = 0
        for (_, _, reference), r in zip(pages, results, strict=True):
            if system in r:
                e, n = cer(text_of(r[system]), reference)
                errors, total = errors + e, total + n
        shown = sum(1 for r in results if system in r)
        # Same receipts as OCRmyPDF for a like-for-like comparison with it.
        subset = [(ref, r) for (_, _, ref), r in zip(pages, results, strict=True) if "ocrmypdf" in r]
        sub_e = sum(cer(text_of(r[system]), ref)[0] for ref, r in subset)
        sub_n = sum(len(ref) for ref, _ in subset)
        secs, ratio = speed_cells(results, system)
        rows.append([system, str(shown), _fmt(errors / total if total else None),
                     _fmt(sub_e / sub_n if sub_n else None), secs, ratio])
    header = ["system", "receipts", "CER", f"CER on OCRmyPDF's {len(subset)}", "s/page", "× raw"]
    note = (f"SROIE: {len(pages)} receipts spread evenly over `sroie/img` (QUINTE_BENCH_SROIE={count}); CER = "
            "edit distance / reference length summed over receipts; both texts are rows top to bottom, left to "
            "right within a row (`rows_text`), whitespace collapsed, upper case. OCRmyPDF's sidecar has no boxes, "
            "so its own line order is used, which can cost it a little.")
    return "### SROIE receipts\n\n" + note + "\n\n" + table(header, rows)


def bench_scans() -> str:
    linn = pdf_pages(DATA / "scans" / "linn.pdf")
    skew = pdf_pages(DATA / "scans" / "skew.pdf")
    reference = (DATA / "scans" / "linn.txt").read_text(encoding="utf-8", errors="replace").split()
    print(f"scans: linn {len(linn)} page(s), skew {len(skew)} page(s)", flush=True)
    linn_results = run_interleaved(linn, 1)
    skew_results = run_interleaved(skew, 1)
    rows = []
    for system in SYSTEMS:
        words = [w for r in linn_results for w in words_of(r[system])]
        f1 = word_f1(words, reference)
        found = [r[system].skew_deg if system == "quinte" else None for r in skew_results]
        residual = [_residual(system, r[system], page) for r, page in zip(skew_results, skew, strict=True)]
        secs, ratio = speed_cells(linn_results + skew_results, system)
        rows.append([system, _fmt(f1), ", ".join(_fmt(f, 2) for f in found), _fmt(_median(residual), 2), secs, ratio])
    header = ["system", "linn word F1", "skew.pdf angle found °", "skew.pdf residual °", "s/page", "× raw"]
    note = ("Real scans: `linn.pdf` word F1 (order-independent) against `linn.txt`; `skew.pdf` residual skew "
            "measured by quinte's projection estimator on each system's upright output (raw: the input).")
    return "### Real scans\n\n" + note + "\n\n" + table(header, rows)


def _residual(system: str, outcome: Outcome, page: np.ndarray) -> float:
    """Skew left on the page a system hands back, by quinte's estimator (OCRmyPDF's is measured in its run)."""
    if system == "quinte" and outcome.image is not None:
        return abs(estimate_skew(outcome.image).angle)
    if system == "ocrmypdf" and outcome.skew_deg is not None:
        return abs(outcome.skew_deg)
    return abs(estimate_skew(page).angle)


def main() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    started = time.strftime("%Y-%m-%d %H:%M")
    machine = f"{platform.node() or 'host'}: {os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    version = pytesseract.get_tesseract_version()
    print(f"OCR benchmark {started}, {machine}, Tesseract {version}, languages {LANGUAGES}\n", flush=True)
    sections = []
    chosen = os.environ.get("QUINTE_BENCH_OCR_SECTIONS", "sroie,generated,scans").split(",")
    available = {"sroie": bench_sroie, "generated": bench_generated, "scans": bench_scans}
    for bench in (available[name.strip()] for name in chosen):
        section = bench()
        print("\n" + section + "\n", flush=True)
        sections.append(section)
    report = OUT / "ocr.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(f"OCR benchmark {started}, {machine}, Tesseract {version}\n\n" + "\n\n".join(sections) + "\n",
                      encoding="utf-8")


if __name__ == "__main__":
    main()
