"""Evaluation corpora: generated documents through the real OCR stages (cached by file hash), truth words, scoring."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import random
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.document import PageWords, Word
from extract.checks import to_decimal

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO / "benchmarks" / "out" / "accuracy"
OCR_STAGES_END = "extract"  # the OCR cache stops before extraction so extraction changes need no re-OCR
SCALAR_FIELDS = {
    "invoice": (
        "supplier_name", "supplier_vat", "supplier_tax_code", "supplier_address", "customer_name", "customer_vat",
        "customer_tax_code", "invoice_number", "issue_date", "due_date", "currency", "net_amount", "vat_amount",
        "vat_rate", "total_amount", "iban", "payment_terms", "order_reference",
    ),
    "receipt": ("supplier_name", "supplier_address", "supplier_vat", "issue_date", "total_amount", "currency"),
}
SCALAR_FIELDS["credit_note"] = SCALAR_FIELDS["invoice"]


@dataclass(slots=True)
class Item:
    """One evaluation document: its words (OCR'd or truth), its true type and its true canonical fields."""

    name: str
    pages: list[PageWords]
    doc_type: str
    fields: dict[str, str]
    level: int = 0
    language: str = ""
    layout: str = ""


# ---------------------------------------------------------------- words


def words_to_json(pages: Sequence[PageWords]) -> list[dict[str, Any]]:
    return [
        {"page": p.page, "width": p.width, "height": p.height, "source": p.source,
         "words": [[w.text, *w.bbox, round(w.confidence, 4), w.block, w.line] for w in p.words]}
        for p in pages
    ]


def words_from_json(data: list[dict[str, Any]]) -> list[PageWords]:
    return [
        PageWords(p["page"], p["width"], p["height"],
                  [Word(t, (x0, y0, x1, y1), c, p["page"], b, ln) for t, x0, y0, x1, y1, c, b, ln in p["words"]],
                  source=p.get("source", "ocr"))
        for p in data
    ]


def truth_pages(truth: dict[str, Any], confidence: float = 0.95) -> list[PageWords]:
    """The generator's words as PageWords, one line key per truth reading-order line (no OCR cost)."""
    pages = []
    for entry in truth["pages"]:
        words, line, last_top = [], 0, None
        for item in entry["words"]:
            box = tuple(item["bbox"])
            if last_top is not None and abs(box[1] - last_top) > 12:
                line += 1
            last_top = box[1]
            words.append(Word(item["text"], box, confidence, entry["page"], 0, line))
        pages.append(PageWords(entry["page"], entry["width"], entry["height"], words))
    return pages


# ---------------------------------------------------------------- OCR through the real pipeline, cached


@contextmanager
def private_runtime() -> Iterator[Any]:
    """A throw-away runtime (own SQLite, own object folder) on the repository's pipelines.yaml."""
    from core.runtime import build_runtime
    from core.settings import Settings

    with tempfile.TemporaryDirectory(prefix="quinte-eval-") as workspace:
        pipelines = Path(workspace) / "pipelines.yaml"
        pipelines.write_text(yaml.safe_dump(_ocr_only_pipelines()), encoding="utf-8")
        settings = Settings(database_url=f"sqlite:///{workspace}/eval.db", storage_url=f"file://{workspace}/objects",
                            inbox_dir=Path(workspace) / "inbox", var_dir=Path(workspace) / "var",
                            pipelines=pipelines, broker_url="memory://")
        runtime = build_runtime(settings)
        try:
            yield runtime
        finally:
            runtime.close()


def _ocr_only_pipelines() -> dict[str, Any]:
    """The repository's pipelines cut to their stages before extraction: the same page and OCR settings, and
    independent of later stages (registers, invoicing) that other work may be changing."""
    data = yaml.safe_load((REPO / "pipelines.yaml").read_text(encoding="utf-8"))
    pipelines = {}
    for name, spec in data["pipelines"].items():
        names = [stage["name"] for stage in spec["stages"]]
        cut = names.index(OCR_STAGES_END) if OCR_STAGES_END in names else len(names)
        stages = [stage for stage in spec["stages"][:cut] if stage["name"] in ("pages", "ocr")]
        pipelines[name] = {"inbox": spec.get("inbox", name), "stages": stages}
    return {"version": data.get("version", 1), "default_pipeline": data.get("default_pipeline", "auto"),
            "pipelines": pipelines}


def _ocr_through_pipeline(runtime: Any, path: Path, pipeline: str) -> list[PageWords]:
    """pages → fatturapa → ocr stages of the pipeline, as the worker runs them; then the stored words."""
    from core.records import load_page_words
    from core.runner import run_stage
    from ingest.intake import accept_file

    result = accept_file(runtime, pipeline, path.read_bytes(), source=str(path), original_name=path.name)
    if result.document_id is None:
        return []
    stage = result.first_stage
    while stage is not None and stage != OCR_STAGES_END:
        stage = run_stage(runtime, result.document_id, stage)
    with runtime.db.session() as session:
        return load_page_words(session, result.document_id)


@functools.cache
def _ocr_version(pipeline: str) -> str:
    """What the cached words depend on besides the file: the pipeline's page and OCR settings and the code of
    the stages that make them. A change to either re-runs OCR instead of scoring stale words."""
    digest = hashlib.sha256(json.dumps(_ocr_only_pipelines()["pipelines"].get(pipeline), sort_keys=True).encode())
    sources = [*(REPO / "ocr").glob("*.py"), *(REPO / "ingest").glob("*.py"), REPO / "core" / "pdf_boxes.py"]
    for source in sorted(sources):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def _cache_path(path: Path, pipeline: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return CACHE_DIR / "ocr" / f"{digest[:32]}-{pipeline}-{_ocr_version(pipeline)}.json"


def ocr_words(paths: Sequence[Path], *, pipeline: str = "auto", jobs: int | None = None) -> list[list[PageWords]]:
    """Words of every file as the pipeline's OCR produces them; reused from the cache when the file is known."""
    cached: dict[Path, Path] = {p: _cache_path(p, pipeline) for p in paths}
    missing = [p for p in paths if not cached[p].exists()]
    if missing:
        logging.getLogger("quinte").setLevel(logging.CRITICAL)
        cached[missing[0]].parent.mkdir(parents=True, exist_ok=True)
        workers = max(1, min(len(missing), jobs or os.cpu_count() or 1))

        def work(runtime: Any, chunk: list[Path]) -> None:
            for path in chunk:
                words = _ocr_through_pipeline(runtime, path, pipeline)
                cached[path].write_text(json.dumps(words_to_json(words)), encoding="utf-8")

        # One runtime (own SQLite file) per worker, made one after another: migrations are not thread-safe and
        # SQLite allows one writer at a time.
        with ExitStack() as stack, ThreadPoolExecutor(max_workers=workers) as pool:
            runtimes = [stack.enter_context(private_runtime()) for _ in range(workers)]
            list(pool.map(work, runtimes, [missing[i::workers] for i in range(workers)]))
    return [words_from_json(json.loads(cached[p].read_text(encoding="utf-8"))) for p in paths]


# ---------------------------------------------------------------- generated corpora


def generated(seed: int, count: int, *, kinds: Sequence[str], levels: Sequence[int] = (0, 1, 2, 3, 4),
              ocr: bool = True, formats: Sequence[str] = ("pdf", "png", "jpg", "tiff")) -> list[Item]:
    """Generated documents (made once into the cache folder), OCR'd through the pipeline or as truth words."""
    from samples.generate import generate

    folder = CACHE_DIR / "generated" / f"s{seed}-n{count}-{'-'.join(kinds)}-L{''.join(map(str, levels))}"
    marker = folder / "done"
    if not marker.exists():
        samples = generate(folder, count=count, seed=seed, kinds=kinds, levels=levels, formats=formats)
        marker.write_text("\n".join(f"{s.path.name}\t{s.truth_path.name}" for s in samples), encoding="utf-8")
    entries = [line.split("\t") for line in marker.read_text(encoding="utf-8").splitlines()]
    truths = [json.loads((folder / t).read_text(encoding="utf-8")) for _, t in entries]
    pages = ocr_words([folder / f for f, _ in entries]) if ocr else [truth_pages(t) for t in truths]
    return [
        Item(f, p, t["doc_type"], canonical_truth(t), t["level"], t["language"], t["layout"])
        for (f, _), p, t in zip(entries, pages, truths, strict=True)
    ]


def canonical_truth(truth: dict[str, Any]) -> dict[str, str]:
    """The truth's scalar fields of the doc type, as strings."""
    names = SCALAR_FIELDS.get(truth["doc_type"], ())
    return {k: str(v) for k, v in truth["fields"].items() if k in names and v not in (None, "")}


def document_texts(seed: int, per_kind: int, kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(text, doc_type) of generated documents laid out but not rasterised: cheap classifier training text."""
    from samples import content
    from samples.generate import draw, reading_order

    out = []
    for kind in kinds:
        for index in range(per_kind):
            rng = random.Random(f"text:{seed}:{kind}:{index}")
            doc = content.build(kind, rng, content.choose_language(rng, kind, None))
            canvas, _ = draw(doc, rng)
            text = "\n".join(" ".join(w.text for w in line) for page in canvas.pages
                             for line in reading_order(page.words))
            out.append((text, doc.doc_type))
    return out


# ---------------------------------------------------------------- scoring


def same_value(name: str, got: object, want: str) -> bool:
    """Exact canonical equality; amounts compare as decimals ("-0.00" is "0.00")."""
    if got is None:
        return False
    if name.endswith("_amount"):
        a, b = to_decimal(got), to_decimal(want)
        return a is not None and a == b
    return str(got) == want


def drawn(kind: str, language: str, layout: str | None, seed: int, *, family: str = "sans",
          labels: dict[str, str] | None = None) -> Item:
    """One generated document laid out (not rasterised) in a chosen invoice layout, as truth words and fields.

    ``labels`` holds label spellings shared between calls (one supplier's template prints the same words on every
    document): spellings already in it are used, new ones are chosen and added.
    """
    from samples import content, layouts
    from samples.generate import RECEIPT_SIZE, reading_order
    from samples.render import A4, Canvas

    rng = random.Random(f"drawn:{seed}:{kind}:{language}:{layout}")
    doc = content.build(kind, rng, language)
    canvas = Canvas(RECEIPT_SIZE if kind == "receipt" else A4, family="mono" if kind == "receipt" else family)
    ctx = layouts.Ctx(doc, rng, canvas)
    if labels is not None:
        ctx._labels = labels
    if kind == "receipt":
        layouts.receipt_layout(ctx)
    else:
        layouts.INVOICE_DRAWERS[layout or "classic"](ctx)
    truth = {"doc_type": doc.doc_type, "fields": doc.fields, "pages": [
        {"page": n, "width": page.width, "height": page.height,
         "words": [{"text": w.text, "bbox": list(w.bbox)} for line in reading_order(page.words) for w in line]}
        for n, page in enumerate(canvas.pages, start=1)
    ]}
    return Item(f"{kind}-{language}-{layout}", truth_pages(truth), doc.doc_type, canonical_truth(truth), 0, language,
                layout or kind)
