"""Exports (CSV, JSON Lines, scheduled to a folder and to the object store), /readyz, the integration metrics."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Event, Record, StageRun
from tests.integration.test_webhooks import PASSWORD, add_record, make_runtime
from webhooks.loop import IntegrationLoop

EXPORTS = """
exports:
  - {name: daily-folder, format: csv, every_minutes: 1440, folder: "{folder}"}
  - {name: store-lines, pipeline: scans, format: jsonl, every_minutes: 1440, object_prefix: exports/scans}
"""


@pytest.fixture
def export_runtime(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str) -> Runtime:
    return make_runtime(runtime_factory, tmp_path, database_url,
                        EXPORTS.replace("{folder}", str(tmp_path / "exports")))


def client_for(runtime: Runtime) -> tuple[TestClient, dict[str, str]]:
    create_user(runtime.db, "olga", PASSWORD, "operator")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    token = client.post("/api/token", data={"username": "olga", "password": PASSWORD}).json()["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


def test_exports_by_pipeline_and_day(export_runtime: Runtime) -> None:
    old = add_record(export_runtime, fields={"invoice_number": "=HYPERLINK(1)", "total_amount": "-25.00"})
    new = add_record(export_runtime, fields={"supplier_name": "ACME, \"Milano\""})
    with export_runtime.db.session() as session:
        session.get(Record, old).created_at = datetime(2026, 1, 10, 9, tzinfo=UTC)
    client, headers = client_for(export_runtime)

    lines = client.get("/api/exports/records.jsonl?pipeline=scans", headers=headers)
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line)["id"] for line in lines.text.splitlines()] == [old, new]
    january = client.get("/api/exports/records.jsonl?from=2026-01-10&to=2026-01-10", headers=headers)
    assert [json.loads(line)["id"] for line in january.text.splitlines()] == [old]

    table = client.get("/api/exports/records.csv?from=2026-01-01", headers=headers)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["id"] for row in rows] == [old, new]
    assert rows[0]["invoice_number"] == "'=HYPERLINK(1)"  # a spreadsheet must not run OCR text as a formula
    assert rows[0]["total_amount"] == "-25.00" and rows[1]["supplier_name"] == 'ACME, "Milano"'
    assert client.get("/api/exports/records.csv?pipeline=nope", headers=headers).status_code == 422
    backwards = client.get("/api/exports/records.csv?from=2026-02-01&to=2026-01-01", headers=headers)
    assert backwards.status_code == 422 and backwards.json()["code"] == "unprocessable"
    assert client.get("/api/exports/records.csv").status_code == 401


def test_scheduled_exports_write_each_change_once(export_runtime: Runtime, tmp_path: Path) -> None:
    first = add_record(export_runtime)
    loop = IntegrationLoop(export_runtime)
    loop.run_once()
    [written] = sorted((tmp_path / "exports").glob("daily-folder-*.csv"))
    assert first in written.read_text()
    listed = export_runtime.store  # the JSON Lines copy went to the object store
    assert any(first in listed.get(key).decode() for key in _keys(export_runtime, "exports/scans"))
    loop.run_once()  # not due again for a day
    assert len(list((tmp_path / "exports").glob("*.csv"))) == 1
    from webhooks.exports import run_export

    second = add_record(export_runtime)
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    target = run_export(export_runtime, loop.exports[0], now=later)
    assert target is not None
    text = Path(target).read_text()
    assert second in text and first not in text  # only what changed since the last run


def _keys(runtime: Runtime, prefix: str) -> list[str]:
    root = Path(runtime.settings.storage_url.removeprefix("file://")) / prefix
    return [str(path.relative_to(root.parents[len(Path(prefix).parts) - 1])) for path in root.glob("*.jsonl")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_readyz_and_metrics(export_runtime: Runtime) -> None:
    client, _headers = client_for(export_runtime)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "objects": "ok"}}
    export_runtime.settings.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    failing = client.get("/readyz")
    assert failing.status_code == 503 and failing.json()["checks"]["broker"] == "fail"
    assert "127.0.0.1" not in failing.text  # no details for an unauthenticated caller

    record_id = add_record(export_runtime)
    with export_runtime.db.session() as session:
        document_id = session.get(Record, record_id).document_id
        session.add_all([StageRun(document_id=document_id, stage="ocr", status="done", duration_ms=ms)
                         for ms in (80, 400, 7000)])
        session.add_all([Event(kind="record.validated", record_id=record_id),
                         Event(kind="record.needs_review", record_id=record_id),
                         Event(kind="record.validated", actor="rita", record_id=record_id)])
    text = client.get("/metrics").text
    assert 'quinte_stage_duration_seconds_bucket{le="0.1",stage="ocr"} 1.0' in text
    assert 'quinte_stage_duration_seconds_bucket{le="0.5",stage="ocr"} 2.0' in text
    assert 'quinte_stage_duration_seconds_bucket{le="+Inf",stage="ocr"} 3.0' in text
    assert "quinte_stage_duration_seconds_count{stage=\"ocr\"} 3.0" in text
    assert "quinte_auto_validation_ratio 0.5" in text
    assert 'quinte_webhook_deliveries{status="dead"} 0.0' in text
