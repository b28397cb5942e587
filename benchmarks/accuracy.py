"""Extraction accuracy: field P/R/F1, classification, straight-through rate, calibration, SROIE, supplier memory."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import yaml

from benchmarks import courtesy_scans
from core.document import Extraction, PageWords, Word
from extract.engine import extract
from extract.evaluation import REPO, SCALAR_FIELDS, Item, drawn, generated, ocr_words, same_value
from extract.memory import DictMemory, confirmed_hints, hint_from_page
from extract.normalize import normalize_amount, normalize_date
from extract.receipt import extract_receipt
from extract.routing import RouteParams, routing_reasons

# Held-out seeds: used by nothing else (tuning used 1001, calibration 5151, classifier training text 4242).
HELD_OUT = ((7349, 50, ("invoice", "credit_note")), (7350, 15, ("receipt", "contract", "order")))
MEMORY_SEED = 7351
SROIE = REPO.parent / "shared" / "data" / "sroie"
REPORT = REPO / "docs" / "benchmarks" / "accuracy.md"
LEVELS = (0, 1, 2, 3, 4)


@dataclass(slots=True)
class Outcome:
    """One document's result against its truth."""

    item: Item
    result: Extraction
    reasons: list[str] = field(default_factory=list)


class Counts:
    """tp / fp / fn per key; a wrong value is both a false positive and a false negative."""

    def __init__(self) -> None:
        self.c: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, key: Any, got: object, want: str | None, ok: bool) -> None:
        row = self.c[key]
        if ok:
            row[0] += 1
            return
        if got is not None:
            row[1] += 1
        if want is not None:
            row[2] += 1

    def prf(self, key: Any) -> tuple[float, float, float, int]:
        tp, fp, fn = self.c[key]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp + fn


# ---------------------------------------------------------------- running the pipeline's extract + route


def route_params() -> RouteParams:
    """The ``auto`` pipeline's route parameters from pipelines.yaml."""
    data = yaml.safe_load((REPO / "pipelines.yaml").read_text(encoding="utf-8"))
    stage = next(s for s in data["pipelines"]["auto"]["stages"] if s["name"] == "route")
    return RouteParams(**stage.get("params", {}))


def route(result: Extraction, params: RouteParams) -> list[str]:
    """The route stage's verdict on a record holding this extraction."""
    record = SimpleNamespace(
        doc_type=result.doc_type, doc_type_confidence=result.doc_type_confidence, checks=[c.as_json() for c in
                                                                                          result.checks],
        fields=[SimpleNamespace(name=f.name, value=f.value, confidence=f.confidence, corrected_by=None)
                for f in result.fields.values()],
    )
    return routing_reasons(record, params=params, accepted_types=None, page_problems=[])  # type: ignore[arg-type]


def run(items: Iterable[Item], params: RouteParams, *, memory: DictMemory | None = None) -> list[Outcome]:
    outcomes = []
    for item in items:
        result = extract(item.pages, memory=memory)
        outcomes.append(Outcome(item, result, route(result, params)))
    return outcomes


def score_fields(outcomes: Iterable[Outcome], key: Any = None) -> Counts:
    """Counts keyed by (doc type, field) and by ``key(outcome)`` for the micro average."""
    counts = Counts()
    for o in outcomes:
        names = SCALAR_FIELDS.get(o.item.doc_type, ())
        got = {k: f.value for k, f in o.result.fields.items() if k in names}
        for name in sorted(set(names) & (set(got) | set(o.item.fields))):
            want = o.item.fields.get(name)
            ok = same_value(name, got.get(name), want) if want is not None else False
            counts.add((o.item.doc_type, name), got.get(name), want, ok)
            counts.add((o.item.doc_type, "all"), got.get(name), want, ok)
            if key is not None:
                counts.add(key(o), got.get(name), want, ok)
    return counts


def calibration_pairs(outcomes: Iterable[Outcome]) -> list[tuple[float, bool]]:
    pairs = []
    for o in outcomes:
        names = SCALAR_FIELDS.get(o.item.doc_type, ())
        for name, f in o.result.fields.items():
            if name in names:
                pairs.append((f.confidence, same_value(name, f.value, o.item.fields.get(name, ""))))
    return pairs


def ece(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> tuple[float, list[tuple[str, int, float, float]]]:
    """Expected calibration error over equal-width confidence bins, and the bins (range, n, mean conf, accuracy)."""
    table, total = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, ok) for p, ok in pairs if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if not inside:
            continue
        conf = sum(p for p, _ in inside) / len(inside)
        acc = sum(ok for _, ok in inside) / len(inside)
        total += len(inside) * abs(conf - acc)
        table.append((f"{lo:.1f}–{hi:.1f}", len(inside), conf, acc))
    return (total / len(pairs) if pairs else 0.0), table


# ---------------------------------------------------------------- SROIE


def sroie_truth(stem: str) -> dict[str, str]:
    data = json.loads((SROIE / "key" / f"{stem}.json").read_text(encoding="utf-8"))
    out = {}
    for key, name in (("company", "supplier_name"), ("address", "supplier_address"), ("date", "issue_date"),
                      ("total", "total_amount")):
        raw = data.get(key)
        if raw:
            out[name] = {"issue_date": normalize_date, "total_amount": normalize_amount}.get(name, str)(raw) or raw
    return out


def sroie_same(name: str, got: object, want: str) -> bool:
    """Text compares without case and spacing (the key re-spaces the lines); values exactly."""
    if got is None:
        return False
    if name in ("supplier_name", "supplier_address"):
        return re.sub(r"\s+", "", str(got).upper()) == re.sub(r"\s+", "", want.upper())
    return str(got) == want


def sroie_gt_pages(stem: str) -> list[PageWords]:
    """The ground-truth transcript lines as words (each line's quad split by character share)."""
    words: list[Word] = []
    with (SROIE / "box" / f"{stem}.csv").open(encoding="utf-8", errors="replace") as handle:
        for index, row in enumerate(csv.reader(handle)):
            if len(row) < 9:
                continue
            xs, ys = [int(v) for v in row[0:8:2]], [int(v) for v in row[1:8:2]]
            text = ",".join(row[8:]).strip()
            offset = 0
            for token in text.split(" "):
                if token:
                    left = min(xs) + (max(xs) - min(xs)) * offset / max(1, len(text))
                    right = min(xs) + (max(xs) - min(xs)) * (offset + len(token)) / max(1, len(text))
                    words.append(Word(token, (round(left), min(ys), round(right), max(ys)), 0.95, 1, index, 0))
                offset += len(token) + 1
    width = max((w.bbox[2] for w in words), default=1) + 20
    height = max((w.bbox[3] for w in words), default=1) + 20
    return [PageWords(1, width, height, words)]


def sroie_items(real_ocr: bool) -> list[Item]:
    stems = sorted(p.stem for p in (SROIE / "img").glob("*.jpg"))
    limit = int(os.environ.get("QUINTE_BENCH_SROIE", "0") or 0)
    stems = stems[:limit] if limit else stems
    pages = ocr_words([SROIE / "img" / f"{s}.jpg" for s in stems]) if real_ocr else [sroie_gt_pages(s) for s in stems]
    return [Item(f"sroie-{s}", p, "receipt", sroie_truth(s)) for s, p in zip(stems, pages, strict=True)]


def sroie_half(name: str) -> str:
    """Receipts split by a hash of the file name: the header rules were tuned on one half, the other checks them."""
    digest = hashlib.sha256(name.removeprefix("sroie-").encode()).hexdigest()
    return "tuning" if int(digest, 16) % 2 == 0 else "held-out"


def sroie_scores(items: Sequence[Item], *, classify: bool) -> tuple[Counts, float, list[tuple[float, bool]]]:
    counts, right, pairs = Counts(), 0, []
    for item in items:
        if classify:
            result = extract(item.pages)
            right += result.doc_type == "receipt"
            fields = result.fields if result.doc_type == "receipt" else extract_receipt(item.pages)
        else:
            fields = extract_receipt(item.pages)
        for name, want in item.fields.items():
            got = fields.get(name)
            ok = got is not None and sroie_same(name, got.value, want)
            for key in (name, "all", (sroie_half(item.name), name), (sroie_half(item.name), "all")):
                counts.add(key, got.value if got else None, want, ok)
            if got is not None:
                pairs.append((got.confidence, ok))
    return counts, right / max(1, len(items)), pairs


# ---------------------------------------------------------------- supplier memory


def _row_words(page: PageWords, word: Word) -> list[Word]:
    return [w for w in page.words if abs((w.bbox[1] + w.bbox[3]) - (word.bbox[1] + word.bbox[3])) < 20]


def _relabel(page: PageWords, value: str, new_label: str) -> PageWords:
    """Print a field under an unusual label: the words just left of its value (or above it) are replaced."""
    first = next((w for w in page.words if w.text.strip(":") == value), None)
    if first is None:
        return page
    left = sorted((w for w in _row_words(page, first) if w.bbox[2] <= first.bbox[0]), key=lambda w: -w.bbox[2])
    label: list[Word] = []
    for w in left:
        # A label ending in ":" may stand far left of a right-aligned value; its own words sit close together.
        reach = 120 if label or not w.text.endswith(":") else 800
        if (label[-1].bbox[0] if label else first.bbox[0]) - w.bbox[2] > reach or re.search(r"\d", w.text):
            break  # a column gap, or another field's value (its own label stays)
        label.append(w)
    if not label:  # the label heads a column: the header words over the value, all of them
        above = [w for w in page.words if w.bbox[3] <= first.bbox[1] and first.bbox[1] - w.bbox[3] < 90
                 and w.bbox[0] < first.bbox[2] and first.bbox[0] < w.bbox[2]]
        nearest = max((w.bbox[3] for w in above), default=0)
        label = [w for w in above if nearest - w.bbox[3] < 10]
        if any(re.search(r"\d", w.text) for w in label):  # the value of the row above, not a header
            label = []
    if not label:
        return page
    drop = {id(w) for w in label}
    keep = [w for w in page.words if id(w) not in drop]
    box = (min(w.bbox[0] for w in label), min(w.bbox[1] for w in label), max(w.bbox[2] for w in label),
           max(w.bbox[3] for w in label))
    keep.append(replace(label[0], text=new_label, bbox=box))
    return PageWords(page.page, page.width, page.height, keep, page.source)


def unusual_supplier(items: Sequence[Item], vat: str) -> list[Item]:
    """One supplier's invoices (same VAT id) whose number and order reference sit under labels no lexicon knows."""
    out = []
    for item in items:
        old = item.fields.get("supplier_vat", "")[2:]
        pages = []
        for page in item.pages:
            words = [replace(w, text=w.text.replace(old, vat[2:])) if old and old in w.text else w for w in page.words]
            page = PageWords(page.page, page.width, page.height, words, page.source)
            page = _relabel(page, item.fields.get("invoice_number", "\0"), "Pratica:")
            page = _relabel(page, item.fields.get("order_reference", "\0"), "Commessa:")
            pages.append(page)
        fields = {**item.fields, "supplier_vat": vat}
        out.append(Item(item.name, pages, item.doc_type, fields, item.level, item.language, item.layout))
    return out


MEMORY_LAYOUTS = ("classic", "modern", "compact")
MEMORY_LANGUAGES = ("it", "en", "de", "fr", "es")


@dataclass
class MemoryRun:
    """One unusual supplier (a layout and a language) before and after one corrected, approved document."""

    layout: str
    language: str
    before: list[Outcome]
    after: list[Outcome]
    usual: list[Outcome]
    corrected: int
    confirmed: int
    shown: frozenset[str]  # the fields the corrected document prints: what one correction can teach


def memory_run(params: RouteParams, layout: str, language: str) -> MemoryRun:
    """Accuracy on an unusual supplier's documents before and after one reviewer correction."""
    # One supplier prints in one layout; the documents are laid out, not scanned (no OCR cost).
    template: dict[str, str] = {}  # the supplier's own label spellings, the same on each of its documents
    drawn_docs = (drawn("invoice", language, layout, seed=MEMORY_SEED + i, labels=template) for i in range(20))
    base = [d for d in drawn_docs if d.fields.get("supplier_vat")][:9]  # memory is keyed by the VAT id
    docs = unusual_supplier(base, base[0].fields["supplier_vat"])

    def wrong(item: Item) -> list[str]:
        got = extract(item.pages).fields
        return [n for n, want in item.fields.items() if not same_value(n, getattr(got.get(n), "value", None), want)]

    # The reviewer corrects the first of the supplier's documents that the machine got wrong, then approves it.
    first = next((d for d in docs if wrong(d)), docs[0])
    rest = [d for d in docs if d is not first]
    memory = DictMemory()
    taught = wrong(first)
    for name in taught:  # what PATCH /api/records/{id}/fields teaches, without the database
        hint = hint_from_page(first.pages, name, first.fields[name])
        if hint is not None:
            memory.remember(first.fields["supplier_vat"], hint)
    confirmed = confirmed_hints(first.pages, first.fields, set(taught))
    for hint in confirmed:  # what approving it then teaches
        memory.remember(first.fields["supplier_vat"], hint)
    usual = [b for b, d in zip(base, docs, strict=True) if d is not first]
    return MemoryRun(layout, language, run(rest, params), run(rest, params, memory=memory), run(usual, params),
                     len(taught), len(confirmed), frozenset(first.fields))


def memory_runs(params: RouteParams) -> list[MemoryRun]:
    return [memory_run(params, layout, language) for layout in MEMORY_LAYOUTS for language in MEMORY_LANGUAGES]


# ---------------------------------------------------------------- report


def _pct(x: float) -> str:
    return f"{x:.3f}"


def field_table(counts: Counts, doc_types: Sequence[str]) -> list[str]:
    lines = ["| doc type | field | precision | recall | F1 | n |", "|---|---|---|---|---|---|"]
    for doc_type in doc_types:
        names = [k[1] for k in counts.c if isinstance(k, tuple) and k[0] == doc_type and k[1] != "all"]
        for name in [*sorted(names), "all"]:
            p, r, f, n = counts.prf((doc_type, name))
            lines.append(f"| {doc_type} | {'**all (micro)**' if name == 'all' else name} | {_pct(p)} | {_pct(r)} | "
                         f"{_pct(f)} | {n} |")
    return lines


def level_table(outcomes: list[Outcome]) -> list[str]:
    """Micro P/R/F1 of the fields per degradation level, and over levels 0–3 (the scans a back office keeps)."""
    by_level = score_fields(outcomes, key=lambda o: ("level", o.item.level))
    out = ["| level | precision | recall | F1 | fields |", "|---|---|---|---|---|"]
    for level in LEVELS:
        p, r, f, n = by_level.prf(("level", level))
        out.append(f"| {level} | {_pct(p)} | {_pct(r)} | {_pct(f)} | {n} |")
    upto3 = Counts()
    for level in LEVELS[:4]:
        for i, v in enumerate(by_level.c[("level", level)]):
            upto3.c["x"][i] += v
    out.append(f"| 0–3 | {' | '.join(_pct(v) for v in upto3.prf('x')[:3])} | {upto3.prf('x')[3]} |")
    return out


def held_out_section(outcomes: list[Outcome]) -> list[str]:
    out = ["## Held-out generated documents (seeds 7349/7350, OCR through the pipeline's pages + ocr stages)", ""]
    out += field_table(score_fields(outcomes), ("invoice", "credit_note", "receipt"))
    out += ["", "### Invoices + credit notes by degradation level (micro F1)", ""]
    out += level_table([o for o in outcomes if o.item.doc_type in ("invoice", "credit_note")])
    by_lang = score_fields([o for o in outcomes if o.item.doc_type in ("invoice", "credit_note")],
                           key=lambda o: ("lang", o.item.language, o.item.layout))
    out += ["", "### Invoices + credit notes by language and layout (micro F1)", "",
            "| language | layout | F1 | fields |", "|---|---|---|---|"]
    for key in sorted(k for k in by_lang.c if isinstance(k, tuple) and k[0] == "lang"):
        _, _, f, n = by_lang.prf(key)
        out.append(f"| {key[1]} | {key[2]} | {_pct(f)} | {n} |")
    return out


def classification_section(outcomes: list[Outcome], sroie_accuracy: float, sroie_n: int) -> list[str]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        per[o.item.doc_type][0] += o.result.doc_type == o.item.doc_type
        per[o.item.doc_type][1] += 1
    right, total = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
    out = ["## Classification", "", "| set | accuracy | n |", "|---|---|---|"]
    out += [f"| generated {t} | {_pct(v[0] / v[1])} | {v[1]} |" for t, v in sorted(per.items())]
    out.append(f"| **generated, all** | **{_pct(right / max(1, total))}** | {total} |")
    out.append(f"| SROIE receipts (real OCR) | {_pct(sroie_accuracy)} | {sroie_n} |")
    return out


def stp_section(outcomes: list[Outcome]) -> list[str]:
    invoices = [o for o in outcomes if o.item.doc_type in ("invoice", "credit_note")]
    auto = [o for o in invoices if not o.reasons]
    right = total = 0
    for o in auto:
        names = SCALAR_FIELDS[o.item.doc_type]
        for name, f in o.result.fields.items():
            if name in names:
                total += 1
                right += same_value(name, f.value, o.item.fields.get(name, ""))
    reasons: dict[str, int] = defaultdict(int)
    for o in invoices:
        for reason in o.reasons:
            reasons[re.sub(r"\(.*?\)|\d+(\.\d+)?", "…", reason)] += 1
    out = ["## Straight-through processing (route rules of the `auto` pipeline)", "",
           "| measure | value |", "|---|---|",
           f"| invoices + credit notes auto-validated | {_pct(len(auto) / max(1, len(invoices)))} "
           f"({len(auto)}/{len(invoices)}) |",
           f"| field precision in auto-validated records | {_pct(right / max(1, total))} ({right}/{total}) |",
           "", "Most frequent review reasons:", ""]
    out += [f"- {n}× {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:8]]
    return out


def calibration_section(pairs: list[tuple[float, bool]], sroie_pairs: list[tuple[float, bool]]) -> list[str]:
    error, table = ece(pairs)
    out = ["## Calibration (fields of held-out generated documents; fitted on seed 5151)", "",
           f"ECE (10 bins): **{error:.3f}** over {len(pairs)} fields; SROIE real OCR: {ece(sroie_pairs)[0]:.3f} "
           f"over {len(sroie_pairs)} fields", "", "| confidence | fields | mean confidence | accuracy |",
           "|---|---|---|---|"]
    out += [f"| {r} | {n} | {c:.3f} | {a:.3f} |" for r, n, c, a in table]
    return out


def sroie_section(real: Counts, gt: Counts, n: int) -> list[str]:
    out = [f"## SROIE receipts ({n}; company→supplier_name, address→supplier_address, date, total)", "",
           "| field | real OCR P | R | F1 | F1 tuning half | F1 held-out half | ground-truth OCR F1 |",
           "|---|---|---|---|---|---|---|"]
    for name in ("supplier_name", "supplier_address", "issue_date", "total_amount", "all"):
        p, r, f, _ = real.prf(name)
        halves = " | ".join(_pct(real.prf((half, name))[2]) for half in ("tuning", "held-out"))
        out.append(f"| {name} | {_pct(p)} | {_pct(r)} | {_pct(f)} | {halves} | {_pct(gt.prf(name)[2])} |")
    sizes = [real.prf((half, "all"))[3] for half in ("tuning", "held-out")]
    out += ["", f"Halves by a hash of the file name ({sizes[0]} / {sizes[1]} fields): the receipt header rules "
            "were tuned on the tuning half only."]
    return out


def _only(outcomes: list[Outcome], names: frozenset[str]) -> list[Outcome]:
    """The outcomes scored on the named fields alone."""
    return [replace(o, item=replace(o.item, fields={k: v for k, v in o.item.fields.items() if k in names}),
                    result=replace(o.result, fields={k: v for k, v in o.result.fields.items() if k in names}))
            for o in outcomes]


def memory_section(runs: list[MemoryRun]) -> list[str]:
    def f1(outcomes: list[Outcome]) -> float:
        return score_fields(outcomes).prf(("invoice", "all"))[2]

    def pooled(pick: Callable[[MemoryRun], list[Outcome]], chosen: Sequence[MemoryRun]) -> str:
        return _pct(f1([o for r in chosen for o in pick(r)]))

    out = ["## Supplier memory (one supplier per layout and language, invoice number and order reference under"
           " labels no lexicon knows)", "",
           "Each supplier's first misread document is corrected (PATCH) and approved; field F1 on its other"
           " 8 documents.", "",
           "| suppliers | before | after one corrected document | same documents in the usual layout | after,"
           " fields the corrected document prints | usual layout, same fields |",
           "|---|---|---|---|---|---|"]

    def row(name: str, chosen: list[MemoryRun]) -> str:
        return (f"| {name} | {pooled(lambda r: r.before, chosen)} | {pooled(lambda r: r.after, chosen)} |"
                f" {pooled(lambda r: r.usual, chosen)} | {pooled(lambda r: _only(r.after, r.shown), chosen)} |"
                f" {pooled(lambda r: _only(r.usual, r.shown), chosen)} |")

    for layout in MEMORY_LAYOUTS:
        chosen = [r for r in runs if r.layout == layout]
        out.append(row(f"{layout} ({len(chosen)} languages)", chosen))
    out.append(row(f"**all {len(runs)}**", runs))
    worse = [f"{r.layout}/{r.language}" for r in runs if f1(r.after) < f1(r.before)]
    out += ["", f"Fields taught: {sum(r.corrected for r in runs)} corrected, {sum(r.confirmed for r in runs)} labels"
            f" confirmed by approval. Suppliers worse after the correction: {', '.join(worse) or 'none'}."]
    return out


COURTESY_HEADING = "## Courtesy copies of issued invoices, as degraded scans"


def courtesy_section(outcomes: list[Outcome]) -> list[str]:
    """Our own outgoing invoices read back: exact truth from the request each was issued from."""
    right = sum(o.result.doc_type == "invoice" for o in outcomes)
    auto = sum(not o.reasons for o in outcomes)
    out = [COURTESY_HEADING, "",
           f"{len(outcomes)} outgoing invoices (QUINTE_BENCH_COURTESY={len(outcomes)}, seed {courtesy_scans.SEED}) "
           "issued from generated requests (a generated Italian company billing a generated customer, catalogue "
           "lines, exemptions with their Natura) through the same `active_invoice` + `courtesy_pdf` path as "
           "`issue_invoice`; each courtesy PDF rendered to 300 dpi page images with pdf2image, degraded with the "
           "sample generator's levels 0–4 in turn, OCR'd by the pipeline's pages + ocr stages and extracted and "
           "routed as above. Truth: the request's values, canonical (`benchmarks/courtesy_scans.py`).", "",
           f"Classified as invoice: {right}/{len(outcomes)}; auto-validated by the `auto` route rules: "
           f"{auto}/{len(outcomes)}.", ""]
    out += field_table(score_fields(outcomes), ("invoice",))
    out += ["", "### By degradation level (micro F1)", ""]
    out += level_table(outcomes)
    return out


def courtesy_outcomes(params: RouteParams) -> list[Outcome]:
    count = int(os.environ.get("QUINTE_BENCH_COURTESY", "5") or 5)
    return run(courtesy_scans.courtesy_items(count), params)


def replace_section(report: str, heading: str, section: str) -> str:
    """The report with one section (from its heading to the next one) replaced, or added before the timing."""
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |^\(took |\Z)", re.S | re.M)
    if pattern.search(report):
        return pattern.sub(lambda _: section + "\n\n", report, count=1)
    tail = report.rfind("\n(took ")
    if tail < 0:
        return report + "\n" + section + "\n"
    return report[:tail].rstrip("\n") + "\n\n" + section + "\n\n" + report[tail + 1:]


def main(only: Sequence[str] = ()) -> None:
    """Every section, or (``python -m benchmarks.accuracy courtesy``) the courtesy-copy set alone, which then
    replaces its section of the last full report."""
    if list(only) == ["courtesy"]:
        text = "\n".join(courtesy_section(courtesy_outcomes(route_params())))
        print(text)
        old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(replace_section(old, COURTESY_HEADING, text), encoding="utf-8")
        return
    started = time.perf_counter()
    params = route_params()
    items = [i for seed, count, kinds in HELD_OUT for i in generated(seed, count, kinds=kinds)]
    outcomes = run(items, params)
    sroie_real = sroie_items(real_ocr=True)
    real_counts, sroie_acc, sroie_pairs = sroie_scores(sroie_real, classify=True)
    gt_counts, _, _ = sroie_scores(sroie_items(real_ocr=False), classify=False)
    memory = memory_runs(params)
    sections = [
        f"# Extraction accuracy\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); "
        f"`make bench BENCH=accuracy`, OCR cached under benchmarks/out/accuracy/.",
        "\n".join(held_out_section(outcomes)),
        "\n".join(classification_section(outcomes, sroie_acc, len(sroie_real))),
        "\n".join(stp_section(outcomes)),
        "\n".join(calibration_section(calibration_pairs(outcomes), sroie_pairs)),
        "\n".join(sroie_section(real_counts, gt_counts, len(sroie_real))),
        "\n".join(memory_section(memory)),
        "\n".join(courtesy_section(courtesy_outcomes(params))),
        f"(took {time.perf_counter() - started:.0f} s)",
    ]
    text = "\n\n".join(sections) + "\n"
    print(text)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
