"""Contract extraction benchmark: Kleister-NDA (Kleister F1) and generated Italian contracts (field F1)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.document import PageWords, Word

REPO = Path(__file__).resolve().parents[1]
KLEISTER = REPO.parent / "shared" / "data" / "kleister-nda"
OUT = REPO / "benchmarks" / "out"
CACHE = OUT / "kleister-words"
REPORT = REPO / "docs" / "benchmarks" / "contracts.md"
KLEISTER_KEYS = ("effective_date", "jurisdiction", "party", "term")
GENERATED_FIELDS = ("parties", "subject", "effective_date", "end_date", "term", "auto_renewal", "notice_period",
                    "amount", "currency", "jurisdiction")


# ---------------------------------------------------------------- words of the NDAs (text layer, cached)


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def _ocr_page(pdf: Path, index: int) -> PageWords:
    """OCR fallback for a page without a usable text layer (rare in EDGAR filings)."""
    import numpy as np
    import pypdfium2 as pdfium

    from ocr.engine import recognise

    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[index].render(scale=200 / 72).to_pil()
    finally:
        doc.close()
    return recognise(np.asarray(image.convert("L")), page=index + 1, languages="eng")


def _read_pdf_words(pdf: Path) -> list[PageWords]:
    from ocr.textlayer import read_text_layer

    pages: list[PageWords] = []
    for index in range(_page_count(pdf)):
        page = read_text_layer(pdf, index, dpi=100)
        if page is None:
            try:
                page = _ocr_page(pdf, index)
            except Exception:  # an OCR failure on one page costs that page, not the benchmark
                page = PageWords(index + 1, 850, 1100, [])
        pages.append(page)
    return pages


def _dump(pages: list[PageWords]) -> list[dict[str, Any]]:
    return [
        {"page": p.page, "width": p.width, "height": p.height, "source": p.source,
         "words": [[w.text, *w.bbox, w.block, w.line] for w in p.words]}
        for p in pages
    ]


def _load(data: list[dict[str, Any]]) -> list[PageWords]:
    return [
        PageWords(p["page"], p["width"], p["height"],
                  [Word(t, (x0, y0, x1, y1), 0.99, p["page"], b, ln) for t, x0, y0, x1, y1, b, ln in p["words"]],
                  source=p["source"])
        for p in data
    ]


def nda_words(pdf: Path, cache: Path = CACHE) -> list[PageWords]:
    """Every page's words of one NDA, from the cache when it was read before."""
    cached = cache / (pdf.stem + ".json")
    if cached.exists():
        return _load(json.loads(cached.read_text(encoding="utf-8")))
    pages = _read_pdf_words(pdf)
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(_dump(pages), ensure_ascii=False), encoding="utf-8")
    return pages


# ---------------------------------------------------------------- Kleister metric


def read_expected(path: Path) -> dict[str, list[str]]:
    """``filename -> ["key=VALUE", ...]`` from expected.tsv."""
    expected: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, _, pairs = line.partition("\t")
        expected[name] = [_norm_pair(p) for p in pairs.split()]
    return expected


def _norm_pair(pair: str) -> str:
    key, _, value = pair.partition("=")
    return f"{key}={value.replace(' ', '_').upper()}"


def _iso_years(duration: str) -> str | None:
    """``P2Y`` -> ``2_YEARS``, ``P18M`` -> ``18_MONTHS``, ``P30D`` -> ``30_DAYS`` (the Kleister spelling)."""
    match = re.fullmatch(r"P(\d+)([YMWD])", duration or "")
    if not match:
        return None
    unit = {"Y": "YEAR", "M": "MONTH", "W": "WEEK", "D": "DAY"}[match.group(2)]
    return f"{match.group(1)}_{unit}" + ("" if match.group(1) == "1" else "S")


def kleister_pairs(fields: dict[str, Any]) -> list[str]:
    """Our contract fields as Kleister ``key=VALUE`` pairs."""
    pairs: list[str] = []
    if fields.get("effective_date"):
        pairs.append(f"effective_date={fields['effective_date']}")
    if fields.get("jurisdiction"):
        pairs.append(_norm_pair(f"jurisdiction={fields['jurisdiction']}"))
    for party in fields.get("parties") or []:
        # Kleister's gold spells names without commas and with "and" for "&" (NIKE, Inc. -> Nike_Inc.).
        name = " ".join(party.replace(",", " ").replace("&", " and ").replace("’", "'").split())
        # ... and abbreviates company forms: Limited -> Ltd., L.P. -> LP, L.L.C. -> LLC, Inc -> Inc.
        name = re.sub(r"\bLimited$", "Ltd.", re.sub(r"\bIncorporated$", "Inc.", name, flags=re.I), flags=re.I)
        name = re.sub(r"\bL\.L\.C\.$", "LLC", re.sub(r"\bL\.P\.$", "LP", name, flags=re.I), flags=re.I)
        name = re.sub(r"\b(Inc|Ltd|Corp|Co)$", r"\1.", name, flags=re.I)
        pairs.append(_norm_pair(f"party={name}"))
    term = _iso_years(fields.get("term") or "")
    if term:
        pairs.append(f"term={term}")
    return pairs


class F1:
    """True positives, predictions and gold counts, per key."""

    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.pred: Counter[str] = Counter()
        self.gold: Counter[str] = Counter()

    def add(self, predicted: Iterable[str], gold: Iterable[str]) -> None:
        p, g = Counter(predicted), Counter(gold)
        for pair, n in p.items():
            key = pair.split("=", 1)[0]
            self.pred[key] += n
            self.tp[key] += min(n, g.get(pair, 0))
        for pair, n in g.items():
            self.gold[pair.split("=", 1)[0]] += n

    def score(self, key: str | None = None) -> tuple[float, float, float]:
        tp = sum(self.tp.values()) if key is None else self.tp[key]
        pred = sum(self.pred.values()) if key is None else self.pred[key]
        gold = sum(self.gold.values()) if key is None else self.gold[key]
        precision = tp / pred if pred else 0.0
        recall = tp / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def _split(names: list[str]) -> dict[str, list[str]]:
    """A fixed half for tuning and a half held out: by the file's hex name, not by position.

    On 2026-11-28 the failures of half the held-out half (third hex digit even) were read to find general
    mistakes (letterheads glued to names, defined terms as parties); the other quarter has never been read.
    """
    tune = [n for n in names if int(n[:2], 16) % 2 == 0]
    held = [n for n in names if int(n[:2], 16) % 2 == 1]
    unread = [n for n in held if int(n[2], 16) % 2 == 1]
    return {"tune": tune, "held-out": held, "held-out, never read": unread, "all": names}


def run_kleister(data: Path = KLEISTER, names: list[str] | None = None) -> dict[str, F1]:
    """Kleister F1 on the tuning half, the held-out half and all the NDAs."""
    from extract.contract import extract_contract

    expected = read_expected(data / "expected.tsv")
    chosen = sorted(names or expected)
    predictions: dict[str, list[str]] = {}
    for name in chosen:
        fields = extract_contract(nda_words(data / "documents" / name))
        predictions[name] = kleister_pairs({k: f.value for k, f in fields.items()})
    scores: dict[str, F1] = {}
    for split, members in _split(chosen).items():
        score = F1()
        for name in members:
            score.add(predictions[name], expected[name])
        scores[split] = score
    return scores


# ---------------------------------------------------------------- generated contracts


def _truth_pages(truth: dict[str, Any]) -> list[PageWords]:
    """The truth words as PageWords, one line key per truth reading-order line (cheap: no OCR)."""
    pages = []
    for entry in truth["pages"]:
        words = []
        line, last_top = 0, None
        for w in entry["words"]:
            if last_top is not None and abs(w["bbox"][1] - last_top) > 12:
                line += 1
            last_top = w["bbox"][1]
            words.append(Word(w["text"], tuple(w["bbox"]), 0.99, entry["page"], 1, line))
        pages.append(PageWords(entry["page"], entry["width"], entry["height"], words, source="text_layer"))
    return pages


def run_generated(count: int = 40, seed: int = 8, languages: tuple[str, ...] = ("it",)) -> dict[str, list[int]]:
    """Per field: [true positives, predicted, expected] over generated contracts (truth words as input)."""
    from extract.contract import extract_contract
    from samples.generate import generate

    counts: dict[str, list[int]] = {name: [0, 0, 0] for name in GENERATED_FIELDS}
    with tempfile.TemporaryDirectory() as tmp:
        samples = generate(Path(tmp), count=count, seed=seed, kinds=["contract"], levels=[0],
                           formats=["png"], languages=list(languages))
        for sample in samples:
            truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
            got = {k: f.value for k, f in extract_contract(_truth_pages(truth)).items()}
            for name in GENERATED_FIELDS:
                want = truth["fields"].get(name)
                c = counts[name]
                c[1] += name in got
                c[2] += want is not None
                c[0] += name in got and got[name] == want
    return counts


def _f1(tp: int, pred: int, gold: int) -> float:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


# ---------------------------------------------------------------- report


def kleister_table(scores: dict[str, F1]) -> str:
    rows = ["| split | key (micro) | precision | recall | F1 |", "|---|---|---:|---:|---:|"]
    for split, score in scores.items():
        for key in (*KLEISTER_KEYS, None):
            p, r, f = score.score(key)
            rows.append(f"| {split} | {key or '**overall**'} | {p:.3f} | {r:.3f} | {f:.3f} |")
    return "\n".join(rows)


def generated_table(counts: dict[str, list[int]]) -> str:
    rows = ["| field | correct | predicted | expected | F1 |", "|---|---:|---:|---:|---:|"]
    total = [0, 0, 0]
    for name, (tp, pred, gold) in counts.items():
        rows.append(f"| {name} | {tp} | {pred} | {gold} | {_f1(tp, pred, gold):.3f} |")
        total = [total[0] + tp, total[1] + pred, total[2] + gold]
    rows.append(f"| **overall** | {total[0]} | {total[1]} | {total[2]} | {_f1(*total):.3f} |")
    return "\n".join(rows)


def overall_generated(counts: dict[str, list[int]]) -> float:
    return _f1(*(sum(c[i] for c in counts.values()) for i in range(3)))


def main() -> None:
    started = time.perf_counter()
    kleister = run_kleister()
    k_seconds = time.perf_counter() - started
    italian = run_generated(languages=("it",))
    english = run_generated(count=20, seed=9, languages=("en",))
    k_f1 = kleister["all"].score()[2]
    it_f1 = overall_generated(italian)
    machine = f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()})"
    body = "\n\n".join([
        "# Contract extraction benchmark",
        f"Run {dt.datetime.now().astimezone().isoformat(timespec='seconds')} on {machine}; "
        f"`python -m benchmarks contracts`.",
        "## Kleister-NDA (text layer, Kleister F1 over key=value pairs)",
        f"{len(read_expected(KLEISTER / 'expected.tsv'))} NDAs; the rules were tuned on the `tune` half only "
        f"(file names whose first hex byte is even) until 2026-11-28, when the failures of half the `held-out` "
        f"half were read too; `held-out, never read` is the quarter nobody has looked at (third hex digit odd). "
        f"Target ≥ 0.75: **{'met' if k_f1 >= 0.75 else 'missed'}** ({k_f1:.3f}). Took {k_seconds:.0f} s "
        "(text layers cached under benchmarks/out/).",
        kleister_table(kleister),
        "## Generated Italian contracts (40, truth words as input; field F1, exact canonical value)",
        f"Target ≥ 0.95: **{'met' if it_f1 >= 0.95 else 'missed'}** ({it_f1:.3f}).",
        generated_table(italian),
        "## Generated English contracts (20, same)",
        generated_table(english),
    ]) + "\n"
    print(body)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(body, encoding="utf-8")


def warm_cache() -> None:
    """Read every NDA's text layer once (slow part), so later runs only extract."""
    for pdf in sorted((KLEISTER / "documents").glob("*.pdf")):
        nda_words(pdf)


if __name__ == "__main__":
    if sys.argv[1:] == ["--warm"]:
        warm_cache()
    else:
        main()
