"""Every route by every role against a written table; session fixation; traversal through download paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from starlette.routing import Mount

from core.runtime import Runtime
from storage.models import Document
from tests.e2e.review_seed import PASSWORD, seed_record
from tests.integration.test_tokens import every_route
from tests.unit.test_ui_modules import USERS, Site, make_site, sign_in

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "operator", "reviewer", "approver", "protocol_admin", "admin", "retired")
USER_OF = {role: name for name, role in USERS}  # "retired": a role left over from an older release grants nothing

# Who may call what, written out by hand: a new route, or a route whose guard changed, fails the test until this
# table says who may use it. Everything not listed as allowed must refuse: 401 for anonymous, 403 for the others.
PUBLIC = frozenset(ROLES)
SIGNED_IN = frozenset(ROLES) - {ANONYMOUS}
READ = frozenset({"operator", "reviewer", "approver", "protocol_admin", "admin"})
WRITE = frozenset({"operator", "reviewer", "approver", "admin"})
REVIEW = frozenset({"reviewer", "approver", "admin"})
INVOICING = frozenset({"approver", "admin"})
PROTOCOL = frozenset({"protocol_admin", "admin"})
ADMIN = frozenset({"admin"})
EXPECTED: dict[str, frozenset[str]] = {
    # health, sign-in, documentation and static files
    "GET /healthz": PUBLIC, "GET /metrics": PUBLIC, "GET /readyz": PUBLIC,
    "GET /openapi.json": PUBLIC, "HEAD /openapi.json": PUBLIC, "GET /docs": PUBLIC, "HEAD /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC, "HEAD /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC, "HEAD /redoc": PUBLIC, "GET /static": PUBLIC,
    "POST /api/token": PUBLIC, "GET /": PUBLIC, "GET /login": PUBLIC, "POST /login": PUBLIC,
    "POST /logout": PUBLIC, "GET /invoicing": PUBLIC,  # a redirect to the payables page, which is guarded
    # the account of whoever is signed in
    "GET /account": SIGNED_IN, "POST /account/password": SIGNED_IN,
    # records and review
    "POST /api/documents": WRITE, "GET /api/records": READ, "GET /api/records/{record_id}": READ,
    "GET /api/records/{record_id}/pages/{number}/image": READ, "PATCH /api/records/{record_id}/fields": REVIEW,
    "POST /api/records/{record_id}/approve": REVIEW, "POST /api/records/{record_id}/reject": REVIEW,
    "GET /api/records/{record_id}/history": READ, "GET /api/records/{record_id}/matching": READ,
    "GET /api/records/{record_id}/archive.pdf": READ, "GET /api/records/{record_id}/pages/{number}/words": READ,
    "GET /api/records/{record_id}/original": READ, "PATCH /api/records/{record_id}/lines": REVIEW,
    "GET /api/records/{record_id}/lock": READ, "POST /api/records/{record_id}/lock": REVIEW,
    "DELETE /api/records/{record_id}/lock": REVIEW,
    "GET /intake": WRITE, "GET /queue": REVIEW, "POST /queue/next": REVIEW, "GET /records/{record_id}": REVIEW,
    "POST /records/{record_id}/lease": REVIEW, "POST /records/{record_id}/release": REVIEW,
    "POST /records/{record_id}/lock/break": ADMIN, "GET /records/{record_id}/history": REVIEW,
    "POST /records/{record_id}/doctype": REVIEW,
    # protocol register
    "GET /api/protocol/entries": READ, "GET /api/protocol/entries/{entry_id}": READ,
    "GET /api/protocol/entries/{entry_id}/segnatura.xml": READ,
    "GET /api/protocol/entries/{entry_id}/stamped.pdf": READ,
    "POST /api/protocol/entries/{entry_id}/annul": PROTOCOL, "PATCH /api/protocol/entries/{entry_id}": PROTOCOL,
    "POST /api/protocol/registrations": PROTOCOL, "GET /api/protocol/export.csv": READ,
    "GET /protocol": READ, "GET /protocol/{entry_id}": READ, "POST /protocol/{entry_id}/annul": PROTOCOL,
    # invoicing
    "GET /api/suppliers": INVOICING, "GET /api/suppliers/{supplier_id}": INVOICING, "GET /api/payables": INVOICING,
    "GET /api/payables/{payable_id}": INVOICING, "POST /api/payables/{payable_id}/hold": INVOICING,
    "POST /api/payables/{payable_id}/release": INVOICING, "POST /api/payment-runs": INVOICING,
    "GET /api/payment-runs": INVOICING, "GET /api/payment-runs/{run_id}": INVOICING,
    "GET /api/payment-runs/{run_id}/pain001": INVOICING, "POST /api/payment-runs/{run_id}/approve": INVOICING,
    "POST /api/payment-runs/{run_id}/execute": INVOICING, "POST /api/payment-runs/{run_id}/cancel": INVOICING,
    "POST /api/outgoing-invoices": INVOICING, "GET /api/outgoing-invoices": INVOICING,
    "GET /api/outgoing-invoices/{invoice_id}": INVOICING, "GET /api/outgoing-invoices/{invoice_id}/xml": INVOICING,
    "GET /api/outgoing-invoices/{invoice_id}/pdf": INVOICING,
    "POST /api/outgoing-invoices/from-order/{order_id}": INVOICING,
    "POST /api/outgoing-invoices/from-contract/{contract_id}": INVOICING,
    "GET /invoicing/payables": INVOICING, "POST /invoicing/payables/{payable_id}/{action}": INVOICING,
    "POST /invoicing/runs": INVOICING, "GET /invoicing/runs/{run_id}": INVOICING,
    "POST /invoicing/runs/{run_id}/{action}": INVOICING, "GET /invoicing/invoices": INVOICING,
    "GET /invoicing/invoices/new": INVOICING, "POST /invoicing/invoices": INVOICING,
    "GET /invoicing/invoices/{invoice_id}": INVOICING, "GET /invoicing/sources": INVOICING,
    "GET /invoicing/sources/{kind}/{source_id}": INVOICING, "POST /invoicing/sources/{kind}/{source_id}": INVOICING,
    # supplier memory: reviewers see what was taught, administrators make quinte forget it
    "GET /api/supplier-memory/{vat}": REVIEW, "DELETE /api/supplier-memory/{vat}": ADMIN,
    # contracts and orders
    "GET /api/contracts": READ, "GET /api/contracts/deadlines": READ, "GET /api/contracts/{contract_id}": READ,
    "POST /api/orders": REVIEW, "GET /api/orders": READ, "GET /contracts": READ, "GET /contracts/deadlines": READ,
    # administration: tokens, users, webhooks; exports are reads
    "POST /api/tokens": ADMIN, "GET /api/tokens": ADMIN, "DELETE /api/tokens/{token_id}": ADMIN,
    "GET /api/users": ADMIN, "POST /api/users": ADMIN, "POST /api/users/{user_id}/deactivate": ADMIN,
    "POST /api/users/{user_id}/activate": ADMIN, "POST /api/webhooks": ADMIN, "GET /api/webhooks": ADMIN,
    "GET /api/webhooks/{subscription_id}": ADMIN, "PATCH /api/webhooks/{subscription_id}": ADMIN,
    "DELETE /api/webhooks/{subscription_id}": ADMIN, "GET /api/webhooks/{subscription_id}/deliveries": ADMIN,
    "POST /api/webhooks/{subscription_id}/deliveries/{delivery_id}/retry": ADMIN,
    "GET /webhooks": ADMIN, "GET /webhooks/{subscription_id}": ADMIN,
    "POST /webhooks/{subscription_id}/deliveries/{delivery_id}/retry": ADMIN,
    "GET /api/exports/records.csv": READ, "GET /api/exports/records.jsonl": READ,
}
# A made-up id for every path parameter: "allowed" means the guard let the call through to a 404 or a 422.
MADE_UP = "999999"
# The sign-in form needs real credentials, or it answers 401 for the password rather than for the route.
FORMS = {"POST /login": {"username": "alice", "password": PASSWORD}}


def route_keys(site: Site) -> dict[str, str]:
    """``METHOD path`` of every route the real app serves (API, pages, docs, static), with a URL to call it."""
    app = site.client().app
    found = {}
    for path, route, _extra in every_route(app.routes):
        if isinstance(route, Mount):
            found[f"GET {path}"] = f"{path}/quinte.css"
            continue
        for method in route.methods:  # type: ignore[attr-defined]
            found[f"{method} {path}"] = re.sub(r"\{[^}]+\}", MADE_UP, path)
    return found


def outcome(response: Response) -> str:
    """401 for "sign in first" (pages say it with a redirect to the sign-in form), 403 refused, else allowed."""
    if response.status_code == 401 or (response.status_code == 303 and
                                       response.headers["location"].startswith("/login?next=")):
        return "401"
    return "403" if response.status_code == 403 else "allowed"


def test_every_route_by_every_role_matches_the_table(site: Site) -> None:
    routes = route_keys(site)
    assert set(routes) - set(EXPECTED) == set(), "routes with no entry in EXPECTED: say who may call them"
    assert set(EXPECTED) - set(routes) == set(), "EXPECTED lists routes the app no longer has"
    sessions: dict[str, tuple[TestClient, str]] = {}
    for role in ROLES:
        if role == ANONYMOUS:
            client = site.client()
            sessions[role] = client, re.search(r'name="csrf_token" value="([^"]+)"',
                                               client.get("/login").text).group(1)
        else:
            sessions[role] = sign_in(site, USER_OF[role])
    wrong = []
    for key, url in sorted(routes.items()):
        method = key.split(" ", 1)[0]
        for role in ROLES:
            client, token = sessions[role]
            # A fresh client with a copy of the session cookie: signing in affects only the copy.
            caller = site.client()
            caller.cookies = client.cookies
            response = caller.request(method, url, headers={"X-CSRF-Token": token}, data=FORMS.get(key),
                                      follow_redirects=False)
            expected = "allowed" if role in EXPECTED[key] else "401" if role == ANONYMOUS else "403"
            if outcome(response) != expected:
                wrong.append(f"{key} as {role}: expected {expected}, got {response.status_code}")
            if key == "POST /logout" and role != ANONYMOUS:
                sessions[role] = sign_in(site, USER_OF[role])  # signing out ends every copy of the session
    assert wrong == [], "\n".join(wrong)


def test_signing_in_replaces_the_session_and_a_fixed_cookie_gains_nothing(site: Site) -> None:
    attacker = site.client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', attacker.get("/login").text).group(1)
    planted = attacker.cookies["quinte_session"]
    victim = site.client()
    victim.cookies = attacker.cookies  # a copy: the attacker's session, fixed in the victim's browser
    signed_in = victim.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                            follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert victim.cookies["quinte_session"] != planted
    assert victim.get("/queue").status_code == 200
    # The attacker's copy of the pre-login session is still anonymous: nothing of the sign-in reached it.
    assert attacker.get("/api/records").status_code == 401
    assert attacker.get("/queue", follow_redirects=False).headers["location"] == "/login?next=/queue"
    forged = site.client()
    forged.cookies = victim.cookies
    cookie_domain = next(iter(forged.cookies.jar)).domain
    value = forged.cookies["quinte_session"]
    forged.cookies.set("quinte_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"),
                       domain=cookie_domain)
    assert forged.get("/api/records").status_code == 401, "a tampered session cookie is refused"


@pytest.fixture
def site(runtime: Runtime) -> Site:
    return make_site(runtime)


@pytest.fixture
def secret_outside(tmp_path: Path) -> bytes:
    """A file next to the object store and the app's own code: neither may ever be served."""
    secret = b"SECRET-OUTSIDE-THE-STORE"
    (tmp_path / "secret.txt").write_bytes(secret)
    return secret


def test_download_paths_cannot_leave_the_store_or_the_static_folder(site: Site, secret_outside: bytes,
                                                                    runtime: Runtime) -> None:
    seeded = seed_record(runtime)
    client, _token = sign_in(site, "root")
    client = TestClient(client.app, cookies=client.cookies, raise_server_exceptions=False)
    attempts = [
        "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/..%5c..%5cpyproject.toml", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
        "/api/records/..%2f..%2fsecret.txt/original", f"/api/records/{seeded.record_id}/pages/..%2f1/image",
        f"/api/records/{seeded.record_id}/pages/1%2f..%2f..%2fsecret.txt/image",
        "/api/protocol/entries/..%2f1/stamped.pdf", "/api/outgoing-invoices/..%2f..%2fsecret.txt/pdf",
    ]
    for url in attempts:
        response = client.get(url)
        assert response.status_code in {400, 404, 422}, (url, response.status_code)
        assert secret_outside not in response.content and b"def create_app" not in response.content, url
        assert b"[project]" not in response.content and b"root:" not in response.content, url
    # Even a stored key gone bad (a bug, or a hand-edited database) is refused by the store, not followed.
    with runtime.db.session() as session:
        session.execute(update(Document).where(Document.id == seeded.document_id)
                        .values(object_key="../secret.txt"))
    response = client.get(f"/api/records/{seeded.record_id}/original")
    assert response.status_code >= 400 and secret_outside not in response.content
