"""The review UI without a browser: CSRF, roles, leases, the queue, lines, history, type change, downloads."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.api_review import content_disposition
from review_ui.app import create_app
from review_ui.models import RecordLock
from storage.models import Event, FieldRow, Record
from tests.e2e.review_seed import PASSWORD, make_users, seed_record

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def site(runtime_factory: Callable[..., Runtime]) -> tuple[Runtime, Callable[[], TestClient]]:
    runtime = runtime_factory()
    make_users(runtime)
    app = create_app(runtime, InlineDispatcher(runtime))
    return runtime, lambda: TestClient(app)


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; returns the new session's CSRF token."""
    token = CSRF_FIELD.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    return CSRF_META.search(client.get("/account").text).group(1)


def test_login_needs_the_csrf_token_and_starts_a_new_session(site) -> None:
    _runtime, make_client = site
    client = make_client()
    before = CSRF_FIELD.search(client.get("/login").text).group(1)
    refused = client.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403
    wrong = client.post("/login", data={"username": "alice", "password": "nope", "csrf_token": before})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    after = sign_in(client, "alice")
    assert after != before  # the pre-login token (and anything else planted in the session) is gone
    assert client.post("/logout", data={"csrf_token": before}).status_code == 403
    out = client.post("/logout", data={"csrf_token": after}, follow_redirects=False)
    assert out.status_code == 303 and client.get("/queue", follow_redirects=False).status_code == 303


def test_cookie_api_writes_need_the_token_and_bearer_calls_do_not(site) -> None:
    runtime, make_client = site
    seeded = seed_record(runtime)
    client = make_client()
    token = sign_in(client, "alice")
    url = f"/api/records/{seeded.record_id}/fields"
    body = {"version": 1, "fields": {"total_amount": "1.00"}}
    assert client.patch(url, json=body).status_code == 403
    assert client.patch(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get(f"/api/records/{seeded.record_id}").status_code == 200  # safe methods need no token
    assert client.patch(url, json=body, headers={"X-CSRF-Token": token}).json()["version"] == 2
    system = make_client()
    bearer = system.post("/api/token", data={"username": "bob", "password": PASSWORD}).json()["access_token"]
    ok = system.patch(url, json={"version": 2, "fields": {"total_amount": "2.00"}},
                      headers={"Authorization": f"Bearer {bearer}"})
    assert ok.status_code == 200 and ok.json()["version"] == 3


def test_every_page_checks_the_role(site) -> None:
    runtime, make_client = site
    seeded = seed_record(runtime)
    anonymous = make_client()
    assert anonymous.get("/queue", follow_redirects=False).headers["location"] == "/login?next=/queue"
    assert anonymous.get("/api/records").status_code == 401  # the API keeps answering in JSON
    operator = make_client()
    sign_in(operator, "olga")
    for path in ("/queue", f"/records/{seeded.record_id}"):
        page = operator.get(path)
        assert page.status_code == 403 and "Not allowed" in page.text and "operator" in page.text
    assert operator.get("/intake").status_code == 200
    reviewer = make_client()
    token = sign_in(reviewer, "alice")
    assert reviewer.get("/queue").status_code == 200
    assert reviewer.post(f"/records/{seeded.record_id}/lock/break", headers={"X-CSRF-Token": token}).status_code == 403
    admin = make_client()
    admin_token = sign_in(admin, "root")
    assert admin.post(f"/records/{seeded.record_id}/lock/break",
                      headers={"X-CSRF-Token": admin_token}).status_code == 200



def _lease_expiry(runtime: Runtime, record_id: str, moment: datetime) -> None:
    with runtime.db.session() as session:
        session.execute(update(RecordLock).where(RecordLock.record_id == record_id).values(expires_at=moment))


def test_leases_on_both_databases(runtime_factory: Callable[..., Runtime], database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    make_users(runtime)
    seeded = seed_record(runtime)
    app = create_app(runtime, InlineDispatcher(runtime))
    alice, bob, admin = TestClient(app), TestClient(app), TestClient(app)
    alice_token, bob_token, admin_token = sign_in(alice, "alice"), sign_in(bob, "bob"), sign_in(admin, "root")
    assert 'data-state="mine"' in alice.get(f"/records/{seeded.record_id}").text
    page = bob.get(f"/records/{seeded.record_id}").text
    assert 'data-state="other"' in page and "alice" in page and "Break the lease" not in page
    refused = bob.patch(f"/api/records/{seeded.record_id}/fields", headers={"X-CSRF-Token": bob_token},
                        json={"version": 1, "fields": {"currency": "USD"}})
    assert refused.status_code == 423 and "alice" in refused.json()["detail"]
    assert "alice" in bob.post(f"/records/{seeded.record_id}/lease", headers={"X-CSRF-Token": bob_token}).text
    # An expired lease frees the record: bob's next renewal takes it.
    _lease_expiry(runtime, seeded.record_id, datetime.now(UTC) - timedelta(seconds=1))
    assert 'data-state="mine"' in bob.post(f"/records/{seeded.record_id}/lease",
                                           headers={"X-CSRF-Token": bob_token}).text
    assert 'data-state="other"' in alice.post(f"/records/{seeded.record_id}/lease",
                                              headers={"X-CSRF-Token": alice_token}).text
    # The admin sees the holder, breaks the lease and takes over; the break is audited.
    assert "Break the lease" in admin.get(f"/records/{seeded.record_id}").text
    broken = admin.post(f"/records/{seeded.record_id}/lock/break", headers={"X-CSRF-Token": admin_token})
    assert 'data-state="mine"' in broken.text
    with runtime.db.session() as session:
        kinds = session.scalars(select(Event.kind).where(Event.record_id == seeded.record_id)).all()
    assert "lock.broken" in kinds
    # Deciding releases the lease.
    approved = admin.post(f"/api/records/{seeded.record_id}/approve", headers={"X-CSRF-Token": admin_token},
                          json={"version": 1})
    assert approved.status_code == 200
    with runtime.db.session() as session:
        assert session.get(RecordLock, seeded.record_id) is None


def test_queue_filters_counts_and_next(runtime_factory: Callable[..., Runtime], database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    make_users(runtime)
    oldest = seed_record(runtime, supplier="Acme", age=timedelta(days=10))
    middle = seed_record(runtime, supplier="Borealis", age=timedelta(days=4), low=())
    newest = seed_record(runtime, supplier="Acme Bis", age=timedelta(hours=1), low=("total_amount", "issue_date"))
    app = create_app(runtime, InlineDispatcher(runtime))
    alice, bob = TestClient(app), TestClient(app)
    alice_token, bob_token = sign_in(alice, "alice"), sign_in(bob, "bob")
    page = alice.get("/queue").text
    assert page.index("Acme-5573.png") < page.index("Borealis-5573.png") < page.index("Acme Bis-5573.png")
    assert re.search(r"Uncertain fields <strong>2</strong>", page)
    only_acme = alice.get("/queue?supplier=acme", headers={"HX-Request": "true", "HX-Target": "queue-results"}).text
    assert "Borealis" not in only_acme and only_acme.count("<tr>") == 3  # header + two rows
    assert "Borealis" not in alice.get("/queue?reason=uncertain").text
    assert "Acme Bis" not in alice.get("/queue?age=3d").text
    first = alice.post("/queue/next", data={"csrf_token": alice_token}, follow_redirects=False)
    assert first.headers["location"].startswith(f"/records/{oldest.record_id}")
    second = bob.post("/queue/next", data={"csrf_token": bob_token}, follow_redirects=False)
    assert second.headers["location"].startswith(f"/records/{middle.record_id}")  # the oldest is alice's
    filtered = bob.post("/queue/next", data={"csrf_token": bob_token, "reason": "uncertain"}, follow_redirects=False)
    assert filtered.headers["location"].startswith(f"/records/{newest.record_id}")


def test_lines_history_and_machine_values(site) -> None:
    runtime, make_client = site
    seeded = seed_record(runtime)
    client = make_client()
    token = sign_in(client, "alice")
    headers = {"X-CSRF-Token": token, "X-Quinte-Via": "ui"}
    lines = [{"description": "Consulenza", "quantity": "3", "amount": "1500.00", "junk": "x"}, {"description": ""}]
    saved = client.patch(f"/api/records/{seeded.record_id}/lines", headers=headers, json={"version": 1, "lines": lines})
    assert saved.json()["lines"] == [{"description": "Consulenza", "quantity": "3", "amount": "1500.00"}]
    stale = client.patch(f"/api/records/{seeded.record_id}/lines", headers=headers, json={"version": 1, "lines": []})
    assert stale.status_code == 409
    client.patch(f"/api/records/{seeded.record_id}/fields", headers=headers,
                 json={"version": 2, "fields": {"total_amount": "1230.00"}})
    history = client.get(f"/records/{seeded.record_id}/history").text
    assert "lines.corrected" in history and "field.corrected" in history
    assert re.search(r"<td>ui</td>\s*<td>field.corrected</td>\s*<td>total_amount</td><td>1220.00</td>"
                     r"<td>1230.00</td>\s*<td>1220.00</td>", history)
    view = client.get(f"/records/{seeded.record_id}").text
    assert "machine: 1220.00" in view and "checked by alice" in view


def test_changing_the_type_reruns_extraction_and_keeps_corrections(site) -> None:
    runtime, make_client = site
    seeded = seed_record(runtime)
    client = make_client()
    token = sign_in(client, "alice")
    client.get(f"/records/{seeded.record_id}")
    client.patch(f"/api/records/{seeded.record_id}/fields", headers={"X-CSRF-Token": token},
                 json={"version": 1, "fields": {"supplier_name": "Acme Corrected"}})
    changed = client.post(f"/records/{seeded.record_id}/doctype", follow_redirects=False,
                          data={"csrf_token": token, "doc_type": "receipt", "version": 2})
    assert changed.status_code == 303
    with runtime.db.session() as session:
        record = session.get(Record, seeded.record_id)
        assert (record.doc_type, record.doc_type_by_human) == ("receipt", True)
        assert record.version > 3  # extraction (and routing) ran again
        row = session.scalar(select(FieldRow).where(FieldRow.record_id == record.id,
                                                    FieldRow.name == "supplier_name"))
        assert (row.value, row.corrected_by) == ("Acme Corrected", "alice")


def test_password_change(site) -> None:
    _runtime, make_client = site
    client = make_client()
    token = sign_in(client, "alice")
    form = {"csrf_token": token, "current": PASSWORD, "new": "a-much-longer-secret", "confirm": "a-much-longer-secret"}
    assert client.post("/account/password", data={**form, "current": "wrong"}).status_code == 400
    assert client.post("/account/password", data={**form, "confirm": "different-secret"}).status_code == 400
    assert "Password changed" in client.post("/account/password", data=form).text
    fresh = make_client()
    token = CSRF_FIELD.search(fresh.get("/login").text).group(1)
    ok = fresh.post("/login", data={"username": "alice", "password": "a-much-longer-secret", "csrf_token": token},
                    follow_redirects=False)
    assert ok.status_code == 303


def test_download_names_cannot_break_the_header() -> None:
    header = content_disposition('fattura "n.1"\r\nSet-Cookie: x=1;é.pdf')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and ";" not in fallback
    assert "filename*=UTF-8''fattura%20%22n.1%22Set-Cookie%3A%20x%3D1%3B%C3%A9.pdf" in header


def test_signing_out_ends_every_copy_of_the_session_and_a_new_password_ends_the_others(site) -> None:
    """Session cookies are signed, not stored: a copy taken before sign-out (or before a password change made
    elsewhere) must stop working all the same."""
    _runtime, make_client = site
    client, other = make_client(), make_client()
    token = sign_in(client, "alice")
    sign_in(other, "alice")
    stolen = dict(client.cookies)
    thief = make_client()
    thief.cookies.update(stolen)
    assert thief.get("/api/records").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert thief.get("/api/records").status_code == 401
    assert other.get("/api/records").status_code == 401  # signing out signs out everywhere
    token = sign_in(client, "alice")
    second = make_client()
    sign_in(second, "alice")
    changed = client.post("/account/password", data={"current": PASSWORD, "new": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase", "csrf_token": token})
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert client.get("/api/records").status_code == 200  # the session that changed it goes on
    assert second.get("/api/records").status_code == 401


def test_a_value_read_from_supplier_memory_says_so(site) -> None:
    runtime, make_client = site
    seeded = seed_record(runtime)
    with runtime.db.session() as session:
        session.execute(update(FieldRow).where(FieldRow.record_id == seeded.record_id,
                                               FieldRow.name == "invoice_number").values(source="memory"))
    client = make_client()
    sign_in(client, "alice")
    view = client.get(f"/records/{seeded.record_id}").text
    field = re.search(r'data-field="invoice_number">.*?</div>', view, re.S).group(0)
    assert "from supplier memory" in field
    assert view.count("from supplier memory") == 1  # the rules' own values carry no such note
