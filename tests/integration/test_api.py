"""The JSON API: authentication, roles, upload to record, corrections with versions, decisions, metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user, ensure_admin
from tests.integration.test_watcher import FAST_PIPELINES, png_bytes

PASSWORD = "correct horse battery"


@pytest.fixture
def client(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str) -> TestClient:
    path = tmp_path / "pipelines.yaml"
    path.write_text(FAST_PIPELINES.replace("stages: [{name: pages, params: {dpi: 100}}]",
                                           "stages: [{name: pages, params: {dpi: 100}}, {name: route}]"))
    runtime = runtime_factory(pipelines=path, database_url=database_url)
    for name, role in [("olga", "operator"), ("rita", "reviewer"), ("aldo", "approver")]:
        create_user(runtime.db, name, PASSWORD, role)
    return TestClient(create_app(runtime, InlineDispatcher(runtime)))


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "scan.png") -> dict:
    response = client.post("/api/documents", headers=headers, files={"file": (name, data, "image/png")})
    assert response.status_code == 201, response.text
    return response.json()


def test_health_and_metrics_are_open_everything_else_needs_auth(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert "quinte_records" in client.get("/metrics").text
    for method, url in [("get", "/api/records"), ("get", "/api/records/x"), ("post", "/api/documents"),
                        ("patch", "/api/records/x/fields"), ("post", "/api/records/x/approve")]:
        assert getattr(client, method)(url).status_code == 401, url
    bad = client.post("/api/token", data={"username": "rita", "password": "wrong password!"})
    assert bad.status_code == 401
    assert client.get("/api/records", headers={"Authorization": "Bearer forged.token"}).status_code == 401


def test_upload_becomes_a_record_with_review_flow(client: TestClient) -> None:
    operator, reviewer = token(client, "olga"), token(client, "rita")
    created = upload(client, operator, png_bytes(7))
    assert created["outcome"] == "accepted"
    record = client.get(f"/api/records/{created['id']}", headers=operator).json()
    assert record["status"] == "needs_review" and record["pages"] == 1
    image = client.get(f"/api/records/{created['id']}/pages/1/image", headers=operator)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    listed = client.get("/api/records?status=needs_review", headers=operator).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]

    patch = {"version": record["version"], "fields": {"invoice_number": "A-17", "total_amount": "12.50"}}
    assert client.patch(f"/api/records/{created['id']}/fields", json=patch, headers=operator).status_code == 403
    corrected = client.patch(f"/api/records/{created['id']}/fields", json=patch, headers=reviewer)
    assert corrected.status_code == 200
    body = corrected.json()
    assert body["fields"]["invoice_number"] == {"value": "A-17", "confidence": 1.0, "page": None, "bbox": None,
                                                "source": "human"}
    assert body["version"] == record["version"] + 1
    stale = client.patch(f"/api/records/{created['id']}/fields", json=patch, headers=reviewer)
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]

    assert client.post(f"/api/records/{created['id']}/reject", json={"version": body["version"]},
                       headers=reviewer).status_code == 422  # a rejection needs a reason
    approved = client.post(f"/api/records/{created['id']}/approve", json={"version": body["version"]},
                           headers=reviewer)
    assert approved.status_code == 200 and approved.json()["status"] == "validated"
    history = client.get(f"/api/records/{created['id']}/history", headers=operator).json()
    kinds = [event["kind"] for event in history]
    assert kinds.count("field.corrected") == 2 and kinds[-1] == "record.validated"
    assert {event["actor"] for event in history if event["kind"] == "field.corrected"} == {"rita"}


def test_duplicate_upload_and_quarantine_reason(client: TestClient) -> None:
    operator = token(client, "olga")
    first = upload(client, operator, png_bytes(8), "a.png")
    again = upload(client, operator, png_bytes(8), "b.png")
    assert again["outcome"] == "duplicate" and again["id"] == first["id"]
    broken = upload(client, operator, b"%PDF-1.7 not really", "../../etc/passwd.pdf")
    assert broken["outcome"] == "quarantined" and "truncated" in broken["reason"]
    record = client.get(f"/api/records/{broken['id']}", headers=operator).json()
    assert record["status"] == "failed" and record["source"] == "upload/.._.._etc_passwd.pdf"


def test_incremental_sync_with_cursor(client: TestClient) -> None:
    operator = token(client, "olga")
    ids = {upload(client, operator, png_bytes(20 + n), f"s{n}.png")["id"] for n in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/records?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=operator).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert client.get("/api/records?cursor=garbage", headers=operator).status_code == 400


def test_first_start_creates_admin_once(runtime: Runtime) -> None:
    generated = ensure_admin(runtime.db, None)
    assert generated and len(generated) >= 16
    assert ensure_admin(runtime.db, None) is None


def test_amounts_above_the_pipeline_limit_need_an_approver(runtime_factory: Callable[..., Runtime],
                                                             tmp_path: Path) -> None:
    path = tmp_path / "limited.yaml"
    path.write_text(FAST_PIPELINES.replace("stages: [{name: pages, params: {dpi: 100}}]",
                                           "stages: [{name: pages, params: {dpi: 100}},"
                                           " {name: route, params: {approval_limit: 1000}}]"))
    runtime = runtime_factory(pipelines=path)
    create_user(runtime.db, "rita", PASSWORD, "reviewer")
    create_user(runtime.db, "aldo", PASSWORD, "approver")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    reviewer, approver = token(client, "rita"), token(client, "aldo")
    created = upload(client, reviewer, png_bytes(31))
    record = client.get(f"/api/records/{created['id']}", headers=reviewer).json()
    record = client.patch(f"/api/records/{created['id']}/fields", headers=reviewer,
                          json={"version": record["version"], "fields": {"total_amount": "1500.00"}}).json()
    refused = client.post(f"/api/records/{created['id']}/approve", json={"version": record["version"]},
                          headers=reviewer)
    assert refused.status_code == 403 and "approver" in refused.json()["detail"]
    approved = client.post(f"/api/records/{created['id']}/approve", json={"version": record["version"]},
                           headers=approver)
    assert approved.status_code == 200 and approved.json()["status"] == "validated"


def test_a_scan_page_not_yet_cleaned_is_served_as_its_own_jpeg(client: TestClient) -> None:
    import io

    from PIL import Image

    scan = io.BytesIO()
    Image.new("L", (827, 1169), 255).save(scan, format="PDF", resolution=100)  # one JPEG page, the pipeline's dpi
    operator = token(client, "olga")
    response = client.post("/api/documents", headers=operator, files={"file": ("scan.pdf", scan.getvalue(),
                                                                               "application/pdf")})
    assert response.status_code == 201, response.text
    image = client.get(f"/api/records/{response.json()['id']}/pages/1/image", headers=operator)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
