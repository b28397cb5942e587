"""The register end to end: the stage, approval, the /api/protocol resources and `quinte protocol`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import text
from typer.testing import CliRunner

from core.cli import app as cli_app
from core.context import StageContext
from core.runtime import Runtime
from protocol.stage import RegisterParams, register_stage
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Record
from tests.conftest import REPO
from tests.integration.protocol_helpers import stored_record

PASSWORD = "a-long-password-123"


class _NoDispatch:
    def submit(self, document_id: str, stage: str) -> None:  # pragma: no cover - nothing is uploaded here
        raise AssertionError("no stage should be dispatched")


def _pdf() -> bytes:
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.drawString(72, 720, "FATTURA 5573")
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def _token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _validated_and_registered(runtime: Runtime) -> str:
    original = _pdf()
    runtime.store.put("documents/p1/original.pdf", original)
    record_id = stored_record(runtime.db, content=original, object_key="documents/p1/original.pdf")
    with runtime.db.session() as session:
        document_id = session.get(Record, record_id).document_id  # type: ignore[union-attr]
    context = StageContext(runtime=runtime, document_id=document_id,
                           pipeline=runtime.config.pipeline("passive_invoices"))
    register_stage(context, RegisterParams())
    register_stage(context, RegisterParams())  # a retried stage registers nothing twice
    assert runtime.store.get("documents/p1/original.pdf") == original  # the original is untouched
    return record_id


def test_register_api_end_to_end(runtime_factory: Callable[..., Runtime], tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime = runtime_factory()
    for name, role in (("pa", "protocol_admin"), ("rev", "reviewer")):
        create_user(runtime.db, name, PASSWORD, role)
    _validated_and_registered(runtime)
    waiting = stored_record(runtime.db, status="needs_review")
    client = TestClient(create_app(runtime, _NoDispatch()))
    admin, reviewer = _token(client, "pa"), _token(client, "rev")

    approved = client.post(f"/api/records/{waiting}/approve", json={"version": 1}, headers=reviewer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["protocol"]["number"] == "0000002"

    year = datetime.now(UTC).astimezone(ZoneInfo("Europe/Rome")).year
    listed = client.get("/api/protocol/entries", params={"correspondent": "acme", "year": year}, headers=reviewer)
    assert listed.json()["total"] == 2
    first = client.get("/api/protocol/entries", params={"number": 1}, headers=reviewer).json()["items"][0]
    assert first["fingerprint"]["algorithm"] == "SHA-256" and first["sender_number"] == "5573"

    changed = client.patch(f"/api/protocol/entries/{first['id']}", json={"classification": "VI.3"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["classification"] == "VI.3"
    detail = client.get(f"/api/protocol/entries/{first['id']}", headers=reviewer).json()
    assert detail["history"][0]["new"] == "VI.3" and "<prot:CodiceFlat>VI.3</prot:CodiceFlat>" in detail["segnatura"]
    assert client.get(f"/api/protocol/entries/{first['id']}/segnatura.xml", headers=reviewer).status_code == 200

    stamped = client.get(f"/api/protocol/entries/{first['id']}/stamped.pdf", headers=reviewer)
    page = PdfReader(io.BytesIO(stamped.content)).pages[0].extract_text()
    assert "N. 0000001" in page and "FATTURA 5573" in page

    body = {"reason": "duplicate", "authorizing_act": "determina 12/2026"}
    assert client.post(f"/api/protocol/entries/{first['id']}/annul", json=body, headers=reviewer).status_code == 403
    annulled = client.post(f"/api/protocol/entries/{first['id']}/annul", json=body, headers=admin)
    assert annulled.status_code == 200 and annulled.json()["annulment"]["by"] == "pa"
    assert client.post(f"/api/protocol/entries/{first['id']}/annul", json=body, headers=admin).status_code == 409
    only_annulled = client.get("/api/protocol/entries", params={"annulled": True}, headers=reviewer).json()
    assert [item["number"] for item in only_annulled["items"]] == ["0000001"]

    exported = client.get("/api/protocol/export.csv", headers=reviewer)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["number"], row["annulled"]) for row in rows] == [("0000001", "yes"), ("0000002", "no")]
    _cli(runtime, tmp_path)


def _cli(runtime: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"QUINTE_DATABASE_URL": runtime.settings.database_url, "QUINTE_STORAGE_URL": runtime.settings.storage_url,
           "QUINTE_PIPELINES": str(REPO / "pipelines.yaml"), "QUINTE_VAR_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    assert runner.invoke(cli_app, ["protocol", "verify"], env=env).exit_code == 0
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Rome")).date().isoformat()
    made = runner.invoke(cli_app, ["protocol", "daily", "--date", today], env=env)
    assert made.exit_code == 0 and "generale" in made.stdout and "2 entries" in made.stdout, made.output
    with runtime.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER protocol_entries_immutable"))
        conn.execute(text("UPDATE protocol_entries SET subject = 'altro' WHERE number = 2"))
    tampered = runner.invoke(cli_app, ["protocol", "verify"], env=env)
    assert tampered.exit_code == 1 and "0000002" in tampered.output
