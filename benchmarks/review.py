"""Review UI benchmark: server time of the queue page, the record view and a field save over 10,000 records."""

from __future__ import annotations

import io
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

PG_ADMIN_URL = os.environ.get("QUINTE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RECORDS = 10_000
SAMPLES = 200
TARGET_MS = 100.0
PASSWORD = "benchmark-password"
REASONS = ["total_amount is uncertain (0.61 < 0.90)", "invoice_number was not found",
           "check failed: net 100.00 + VAT 22.00 ≠ total 120.00", "unsure of the document type (invoice, 0.55)",
           "page 1: the page is almost blank", "supplier_vat is uncertain (0.72 < 0.90)"]
PIPELINES = """version: 1
default_pipeline: passive_invoices
pipelines:
  passive_invoices:
    inbox: invoices
    stages: [{name: extract}, {name: route}]
"""
FIELDS = ("supplier_name", "supplier_vat", "invoice_number", "issue_date", "due_date", "currency", "net_amount",
          "vat_amount", "vat_rate", "total_amount", "iban", "customer_name")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def _rows(rng: random.Random, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Ten thousand documents with one page and one record each; four in five wait for review."""
    tables: dict[str, list[dict[str, Any]]] = {"documents": [], "pages": [], "records": [], "fields": []}
    for n in range(RECORDS):
        doc_id, rec_id = uuid.uuid4().hex, uuid.uuid4().hex
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
        supplier = f"Supplier {rng.randint(1, 300):03d} S.r.l."
        tables["documents"].append({"id": doc_id, "sha256": f"{n:064x}", "pipeline": "passive_invoices",
                                    "source": f"inbox/invoices/scan-{n:05d}.pdf", "original_name": f"scan-{n:05d}.pdf",
                                    "media_type": "application/pdf", "size": 1000, "object_key": "bench/page.png",
                                    "page_count": 1, "created_at": created})
        tables["pages"].append({"document_id": doc_id, "number": 1, "width": 1240, "height": 1754,
                                "image_key": "bench/page.png", "cleanup": {}})
        waiting = rng.random() < 0.8
        tables["records"].append({"id": rec_id, "document_id": doc_id, "body_index": 0, "pipeline": "passive_invoices",
                                  "doc_type": rng.choice(["invoice", "invoice", "credit_note"]),
                                  "doc_type_confidence": 0.9, "doc_type_by_human": False,
                                  "status": "needs_review" if waiting else "validated", "version": 1, "text": "",
                                  "lines": [], "checks": [],
                                  "reasons": rng.sample(REASONS, rng.randint(1, 3)) if waiting else [],
                                  "created_at": created, "updated_at": created})
        for name in FIELDS:
            value = supplier if name == "supplier_name" else f"{name}-{n}"
            tables["fields"].append({"record_id": rec_id, "name": name, "value": value, "machine_value": value,
                                     "confidence": round(rng.uniform(0.5, 1.0), 2), "page": 1,
                                     "bbox": [100, 100, 300, 140], "source": "rules"})
    return tables


def _seed(runtime: Any) -> list[str]:
    from review_ui.auth import create_user
    from storage.models import Document, FieldRow, Page, Record

    runtime.store.put("bench/page.png", _png(), content_type="image/png")
    tables = _rows(random.Random(5), datetime.now(UTC))
    with runtime.db.session() as session:
        for model, key in ((Document, "documents"), (Page, "pages"), (Record, "records"), (FieldRow, "fields")):
            for start in range(0, len(tables[key]), 5000):
                session.execute(insert(model), tables[key][start:start + 5000])
    with runtime.db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    create_user(runtime.db, "bench", PASSWORD, "reviewer")
    return [row["id"] for row in tables["records"] if row["status"] == "needs_review"]


def _time(call: Callable[[], Any], samples: int) -> tuple[float, float]:
    for _ in range(5):  # warm caches and pools, as a running server has them
        call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def _measure(runtime: Any, waiting: list[str]) -> list[tuple[str, float, float]]:
    from fastapi.testclient import TestClient

    from core.queue import InlineDispatcher
    from review_ui.app import create_app

    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account").text).group(1)
    views, saves = iter(waiting), iter(waiting[len(waiting) // 2:])

    def ok(response: Any) -> None:
        assert response.status_code == 200, (response.status_code, response.text[:300])

    def save() -> None:
        record_id = next(saves)
        ok(client.patch(f"/api/records/{record_id}/fields", json={"version": 1, "fields": {"total_amount": "1.00"}},
                        headers={"X-CSRF-Token": token, "X-Quinte-Via": "ui"}))

    cases = [
        ("queue page (oldest 50, counts per reason)", lambda: ok(client.get("/queue"))),
        ("queue page, filtered (supplier + reason)",
         lambda: ok(client.get("/queue?supplier=supplier 042&reason=check"))),
        ("record view (claims the lease)", lambda: ok(client.get(f"/records/{next(views)}"))),
        ("field save (PATCH, version + lease checked)", save),
    ]
    return [(name, *_time(call, SAMPLES)) for name, call in cases]


def main() -> None:
    from core.runtime import build_runtime
    from core.settings import Settings

    schema = f"bench_review_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # A pipeline of its own: the benchmark measures the UI, not whatever pipelines.yaml holds today.
            pipelines = Path(tmp) / "pipelines.yaml"
            pipelines.write_text(PIPELINES)
            settings = Settings(database_url=f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}",
                                storage_url=f"file://{tmp}/objects", var_dir=Path(tmp) / "var",
                                inbox_dir=Path(tmp) / "inbox", pipelines=pipelines)
            runtime = build_runtime(settings)
            try:
                started = time.perf_counter()
                waiting = _seed(runtime)
                print(f"{RECORDS:,} records in PostgreSQL ({len(waiting):,} waiting for review), "
                      f"seeded in {time.perf_counter() - started:.1f} s; {SAMPLES} requests each, in-process server "
                      "time (TestClient: routing, auth, CSRF, queries, templates)\n")
                results = _measure(runtime, waiting)
            finally:
                runtime.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(f"| {'request':<46} | median ms | p95 ms | p95 < {TARGET_MS:.0f} ms |")
    print(f"|{'-' * 48}|-----------|--------|-------------|")
    for name, median, p95 in results:
        print(f"| {name:<46} | {median:9.1f} | {p95:6.1f} | {'yes' if p95 < TARGET_MS else 'NO':<11} |")


if __name__ == "__main__":
    main()
