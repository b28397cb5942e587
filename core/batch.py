"""Batch mode (``quinte process``): files through the automatic stages into one JSON per input, no server."""

from __future__ import annotations

import json
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from core.records import record_json
from core.runner import run_document_inline
from core.runtime import Runtime, build_runtime
from core.settings import Settings
from ingest.intake import accept_file
from storage.models import Record


@dataclass(slots=True)
class BatchSummary:
    records: int = 0
    errors: int = 0


def collect_inputs(paths: list[Path]) -> list[Path]:
    """Every file named, and every file under every folder named, sorted; hidden files skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            found.append(path)
    return found


class _Names:
    """Output stems, unique even when two inputs in different folders share a name."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, stem: str) -> str:
        with self._lock:
            candidate, counter = stem, 1
            while candidate in self._used:
                counter += 1
                candidate = f"{stem}-{counter}"
            self._used.add(candidate)
            return candidate


def _process_one(runtime: Runtime, path: Path, pipeline: str, out: Path, stem: str) -> bool:
    """Write the record (True) or an error file (False) for one input."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        _write(out / f"{stem}.error.json", {"source": str(path), "code": "unreadable", "message": str(exc)})
        return False
    result = accept_file(runtime, pipeline, data, source=str(path), original_name=path.name)
    if result.outcome == "accepted" and result.document_id:
        run_document_inline(runtime, result.document_id, result.first_stage)
    if result.document_id is None:
        _write(out / f"{stem}.error.json", {"source": str(path), "code": "rejected", "message": result.reason})
        return False
    with runtime.db.session() as session:
        records = session.scalars(select(Record).where(Record.document_id == result.document_id)
                                  .order_by(Record.body_index)).all()
        bodies = [record_json(record, record.document) for record in records]
    for index, body in enumerate(bodies):
        body["source"] = str(path)
        name = stem if index == 0 else f"{stem}.{index + 1}"
        if body["status"] == "failed":
            error = body.get("error") or {}
            _write(out / f"{name}.error.json", {"source": str(path), "code": error.get("code"),
                                                 "message": error.get("message")})
        _write(out / f"{name}.json", body)
    return all(body["status"] != "failed" for body in bodies)


def _write(path: Path, body: dict) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")


def run_batch(settings: Settings, inputs: list[Path], out: Path, *, pipeline: str | None, jobs: int,
              progress: bool, console: Console) -> BatchSummary:
    """Process in a private workspace (its own SQLite and object folder) so batch runs never touch a service."""
    out.mkdir(parents=True, exist_ok=True)
    summary = BatchSummary()
    names = _Names()
    with tempfile.TemporaryDirectory(prefix="quinte-batch-") as workspace:
        runtime = build_runtime(settings.model_copy(update={
            "database_url": f"sqlite:///{workspace}/batch.db",
            "storage_url": f"file://{workspace}/objects",
        }))
        chosen = pipeline or runtime.config.default_pipeline
        runtime.config.pipeline(chosen)
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=console, disable=not progress)
        with bar, ThreadPoolExecutor(max_workers=jobs) as pool:
            task = bar.add_task("processing", total=len(inputs))
            futures = [pool.submit(_process_one, runtime, path, chosen, out, names.claim(path.stem))
                       for path in inputs]
            for future in futures:
                if future.result():
                    summary.records += 1
                else:
                    summary.errors += 1
                bar.advance(task)
        runtime.close()
    return summary
