"""Webhooks through the events outbox: delivery after downtime, no phantom events, signatures, order, dead letter."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Document, Event, Record, new_id
from tests.conftest import free_port
from tests.integration.test_watcher import FAST_PIPELINES
from webhooks.delivery import verify
from webhooks.loop import IntegrationLoop
from webhooks.models import WebhookDelivery, WebhookSubscription

PASSWORD = "correct horse battery"
WEBHOOKS = """
webhooks: {interval_seconds: 0.05, backoff_base_seconds: 0.05, backoff_max_seconds: 0.2, timeout_seconds: 2,
           dead_after_seconds: 3600, gap_grace_seconds: 60}
"""


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers with ``status``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                status = receiver.status  # read once: a test may switch it while this request is answered
                receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(item["body"]) for item in self.requests if item["status"] < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(free_port())
    yield made
    made.stop()


def make_runtime(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str,
                 extra: str = WEBHOOKS) -> Runtime:
    path = tmp_path / "pipelines.yaml"
    path.write_text(FAST_PIPELINES + extra)
    return runtime_factory(pipelines=path, database_url=database_url)


@pytest.fixture
def hook_runtime(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str) -> Runtime:
    return make_runtime(runtime_factory, tmp_path, database_url)


def add_record(runtime: Runtime, *, status: str = "needs_review", pipeline: str = "scans",
               fields: dict[str, Any] | None = None) -> str:
    """A record as the pipeline would leave it, written straight to the database (no OCR needed)."""
    from storage.models import FieldRow

    with runtime.db.session() as session:
        document = Document(sha256=new_id() + new_id(), pipeline=pipeline, source="inbox/scans/x.png",
                            original_name="x.png", media_type="image/png", size=1, object_key="k", page_count=1)
        session.add(document)
        session.flush()
        record = Record(document_id=document.id, pipeline=pipeline, doc_type="invoice", status=status,
                        text="some text")
        record.fields = [FieldRow(name=name, value=value, confidence=0.99, source="rules")
                         for name, value in (fields or {"invoice_number": "A-1", "total_amount": "12.50"}).items()]
        session.add(record)
        session.flush()
        return record.id


def add_event(runtime: Runtime, kind: str, record_id: str | None, **data: Any) -> int:
    with runtime.db.session() as session:
        event = Event(kind=kind, record_id=record_id, data=data)
        session.add(event)
        session.flush()
        return event.id


def subscribe(runtime: Runtime, url: str, kinds: list[str], secret: str = "s3cret-for-tests-0123") -> int:
    from webhooks.outbox import last_event_id

    with runtime.db.session() as session:
        row = WebhookSubscription(url=url, secret=secret, event_types=kinds, created_by="test",
                                  cursor=last_event_id(session))
        session.add(row)
        session.flush()
        return row.id


def deliveries(runtime: Runtime) -> list[WebhookDelivery]:
    with runtime.db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.event_id)))


def pump(loop: IntegrationLoop, until: Callable[[], bool], *, seconds: float = 10.0) -> None:
    """Run passes of the loop until ``until`` holds (the backoff in these tests is tens of milliseconds)."""
    deadline = datetime.now(UTC).timestamp() + seconds
    while not until():
        assert datetime.now(UTC).timestamp() < deadline, "condition not reached in time"
        loop.run_once()
        threading.Event().wait(0.03)


def test_event_is_delivered_after_the_receiver_was_down_and_signature_verifies(
        hook_runtime: Runtime, receiver: Receiver) -> None:
    secret = "a-shared-secret-of-some-length"
    subscribe(hook_runtime, receiver.url, ["record.validated"], secret=secret)
    record_id = add_record(hook_runtime, status="validated")
    event_id = add_event(hook_runtime, "record.validated", record_id, reason=None)
    add_event(hook_runtime, "field.corrected", record_id)  # not subscribed: never sent
    loop = IntegrationLoop(hook_runtime)

    for _ in range(3):  # the receiver is down: attempts fail and are rescheduled, nothing is lost
        loop.run_once()
        threading.Event().wait(0.1)
    [pending] = deliveries(hook_runtime)
    assert pending.status == "pending" and pending.attempts >= 2 and pending.last_status_code is None
    assert "ConnectError" in (pending.last_error or "") and secret not in (pending.last_error or "")

    receiver.start()
    pump(loop, lambda: bool(receiver.events()))
    [request] = [item for item in receiver.requests if item["status"] == 200]
    headers, body = request["headers"], request["body"]
    assert headers["X-Quinte-Event-Id"] == str(event_id)
    assert verify(secret, headers["X-Quinte-Timestamp"], body, headers["X-Quinte-Signature"])
    assert not verify("another secret entirely", headers["X-Quinte-Timestamp"], body, headers["X-Quinte-Signature"])
    assert not verify(secret, headers["X-Quinte-Timestamp"], body.replace("A-1", "A-2"),
                      headers["X-Quinte-Signature"])
    payload = json.loads(body)
    assert payload["id"] == event_id and payload["type"] == "record.validated"
    record = payload["data"]["record"]
    assert record["id"] == record_id and record["status"] == "validated"
    assert record["fields"]["invoice_number"]["value"] == "A-1"
    [done] = deliveries(hook_runtime)
    assert done.status == "delivered" and done.last_status_code == 200
    loop.run_once()  # another pass sends nothing again
    assert len(receiver.events()) == 1


def test_a_rolled_back_change_sends_nothing(hook_runtime: Runtime, receiver: Receiver) -> None:
    receiver.start()
    subscribe(hook_runtime, receiver.url, ["record.rejected", "record.validated"])
    record_id = add_record(hook_runtime)
    with pytest.raises(RuntimeError), hook_runtime.db.session() as session:
        record = session.get(Record, record_id)
        record.status = "rejected"
        session.add(Event(kind="record.rejected", record_id=record_id, data={"reason": "blurred"}))
        session.flush()
        raise RuntimeError("the change fails after its event was written")
    kept = add_event(hook_runtime, "record.validated", record_id)
    loop = IntegrationLoop(hook_runtime)
    pump(loop, lambda: len(receiver.events()) >= 1)
    loop.run_once()
    assert [(event["id"], event["type"]) for event in receiver.events()] == [(kept, "record.validated")]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_event_committed_late_is_not_skipped(hook_runtime: Runtime, receiver: Receiver) -> None:
    """PostgreSQL numbers events before commit: a later id can be visible first; the cursor must wait for it."""
    receiver.start()
    subscribe(hook_runtime, receiver.url, ["record.validated"])
    first, second = add_record(hook_runtime), add_record(hook_runtime)
    loop = IntegrationLoop(hook_runtime)
    with hook_runtime.db.session() as slow:
        early = Event(kind="record.validated", record_id=first)
        slow.add(early)
        slow.flush()  # has its id, not committed yet
        late = add_event(hook_runtime, "record.validated", second)
        assert late > early.id
        loop.run_once()
        assert receiver.events() == []  # the later event waits behind the gap
    pump(loop, lambda: len(receiver.events()) == 2)
    assert [event["id"] for event in receiver.events()] == [early.id, late]


def test_events_of_one_record_arrive_in_order(hook_runtime: Runtime, receiver: Receiver) -> None:
    receiver.start()
    subscribe(hook_runtime, receiver.url, ["record.needs_review", "record.validated", "protocol.registered"])
    one, other = add_record(hook_runtime), add_record(hook_runtime)
    first = add_event(hook_runtime, "record.needs_review", one)
    second = add_event(hook_runtime, "record.validated", one)
    unrelated = add_event(hook_runtime, "record.needs_review", other)
    receiver.status = 503
    loop = IntegrationLoop(hook_runtime)
    loop.run_once()
    attempted = [json.loads(item["body"])["id"] for item in receiver.requests]
    assert first in attempted and unrelated in attempted
    assert second not in attempted  # never overtakes the failed first event of its record
    receiver.status = 200
    third = add_event(hook_runtime, "protocol.registered", one, number="0000001")
    pump(loop, lambda: len(receiver.events()) == 4)
    ids = [event["id"] for event in receiver.events()]
    assert [i for i in ids if i != unrelated] == [first, second, third]


def test_dead_letter_after_the_configured_time_then_retry_from_the_api(
        runtime_factory: Callable[..., Runtime], tmp_path: Path, receiver: Receiver) -> None:
    runtime = make_runtime(runtime_factory, tmp_path, f"sqlite:///{tmp_path}/dead.db", WEBHOOKS.replace(
        "dead_after_seconds: 3600", "dead_after_seconds: 1.5"))  # room for a loaded machine
    receiver.start()
    receiver.status = 500
    subscription_id = subscribe(runtime, receiver.url, ["record.validated"])
    record_id = add_record(runtime)
    first = add_event(runtime, "record.validated", record_id)
    loop = IntegrationLoop(runtime)
    pump(loop, lambda: any(d.status == "dead" for d in deliveries(runtime)))
    dead = deliveries(runtime)[0]
    assert dead.attempts >= 2 and dead.last_status_code == 500 and dead.last_error == "HTTP 500"
    # A dead delivery no longer holds back the record's next event.
    receiver.status = 200
    second = add_event(runtime, "record.validated", record_id)
    pump(loop, lambda: len(receiver.events()) == 1)
    assert receiver.events()[0]["id"] == second

    create_user(runtime.db, "ada", PASSWORD, "admin")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    headers = {"Authorization": "Bearer " + client.post("/api/token", data={"username": "ada", "password": PASSWORD})
               .json()["access_token"]}
    log = client.get(f"/api/webhooks/{subscription_id}/deliveries?status=dead", headers=headers).json()
    assert [item["event_id"] for item in log["items"]] == [first]
    retried = client.post(f"/api/webhooks/{subscription_id}/deliveries/{dead.id}/retry", headers=headers)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    pump(loop, lambda: len(receiver.events()) == 2)
    assert receiver.events()[1]["id"] == first
    metrics = client.get("/metrics").text
    assert 'quinte_webhook_deliveries{status="delivered"} 2.0' in metrics


def test_subscription_api_crud(hook_runtime: Runtime, receiver: Receiver) -> None:
    create_user(hook_runtime.db, "ada", PASSWORD, "admin")
    create_user(hook_runtime.db, "rita", PASSWORD, "reviewer")
    client = TestClient(create_app(hook_runtime, InlineDispatcher(hook_runtime)))

    def login(name: str) -> dict[str, str]:
        token = client.post("/api/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    admin, reviewer = login("ada"), login("rita")
    body = {"url": receiver.url, "event_types": ["record.validated"]}
    assert client.post("/api/webhooks", json=body, headers=reviewer).status_code == 403
    bad = client.post("/api/webhooks", json={**body, "event_types": ["record.deleted"]}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert client.post("/api/webhooks", json={**body, "url": "file:///etc/passwd"}, headers=admin).status_code == 422
    created = client.post("/api/webhooks", json=body, headers=admin)
    assert created.status_code == 201
    sub = created.json()
    assert len(sub["secret"]) >= 32
    listed = client.get("/api/webhooks", headers=admin).json()
    assert [item["id"] for item in listed] == [sub["id"]] and "secret" not in listed[0]
    patched = client.patch(f"/api/webhooks/{sub['id']}", headers=admin,
                           json={"event_types": ["record.rejected", "record.validated"], "active": False})
    assert patched.json()["event_types"] == ["record.rejected", "record.validated"] and not patched.json()["active"]
    missing = client.get("/api/webhooks/999", headers=admin)
    assert missing.status_code == 404 and missing.json() == {"detail": "no such webhook subscription",
                                                             "code": "not_found"}
    assert client.delete(f"/api/webhooks/{sub['id']}", headers=admin).status_code == 204
    assert client.get("/api/webhooks", headers=admin).json() == []
    with hook_runtime.db.session() as session:
        kinds = list(session.scalars(select(Event.kind).where(Event.kind.like("webhook.%")).order_by(Event.id)))
        secrets_in_log = [e for e in session.scalars(select(Event)) if sub["secret"] in json.dumps(e.data)]
    assert kinds == ["webhook.created", "webhook.updated", "webhook.deleted"] and secrets_in_log == []
