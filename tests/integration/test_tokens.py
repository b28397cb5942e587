"""API tokens with scopes: made and revoked by an admin, stored hashed, and refused on every endpoint they lack."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import BaseRoute

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user
from tests.integration.test_watcher import FAST_PIPELINES
from webhooks.models import ApiToken
from webhooks.tokens import SCOPES

PASSWORD = "correct horse battery"
# What a route's require(...) asks for, mapped to the token scope that grants it.
SCOPE_OF = {"approve": "review"}


@pytest.fixture
def app(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str) -> FastAPI:
    path = tmp_path / "pipelines.yaml"
    path.write_text(FAST_PIPELINES)
    runtime = runtime_factory(pipelines=path, database_url=database_url)
    create_user(runtime.db, "ada", PASSWORD, "admin")
    create_user(runtime.db, "rita", PASSWORD, "reviewer")
    return create_app(runtime, InlineDispatcher(runtime))


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_token(client: TestClient, admin: dict[str, str], scopes: list[str], name: str = "erp") -> str:
    response = client.post("/api/tokens", json={"name": name, "scopes": scopes}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_lifecycle_hashed_scoped_revoked(app: FastAPI) -> None:
    client = TestClient(app)
    admin = login(client, "ada")
    assert client.post("/api/tokens", json={"name": "x", "scopes": ["records:read"]},
                       headers=login(client, "rita")).status_code == 403
    assert client.post("/api/tokens", json={"name": "x", "scopes": ["everything"]}, headers=admin).status_code == 422
    token = make_token(client, admin, ["records:read"])
    assert token.startswith("qt_") and len(token) > 40
    runtime = app.state.runtime
    with runtime.db.session() as session:
        row = session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([row.token_hash, row.prefix, row.name])  # only the hash is kept

    assert client.get("/api/records", headers=bearer(token)).status_code == 200
    refused = client.post("/api/documents", headers=bearer(token), files={"file": ("a.png", b"x", "image/png")})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.get("/api/records", headers=bearer(token[:-2] + "xx")).status_code == 401

    listed = client.get("/api/tokens", headers=admin).json()
    assert listed[0]["scopes"] == ["records:read"] and "token" not in listed[0] and listed[0]["user"] == "ada"
    assert client.delete(f"/api/tokens/{listed[0]['id']}", headers=admin).status_code == 204
    revoked = client.get("/api/records", headers=bearer(token))
    assert revoked.status_code == 401 and revoked.json()["code"] == "unauthorized"
    assert client.get("/api/tokens", headers=admin).json()[0]["revoked_at"] is not None
    assert client.get("/api/records", headers=admin).status_code == 200  # the short-lived login token still works


def test_users_api_and_a_deactivated_creator_disables_tokens(app: FastAPI) -> None:
    client = TestClient(app)
    admin = login(client, "ada")
    created = client.post("/api/users", json={"username": "bea", "password": PASSWORD, "role": "admin"},
                          headers=admin)
    assert created.status_code == 201 and created.json()["role"] == "admin"
    assert client.post("/api/users", json={"username": "bea", "password": PASSWORD, "role": "admin"},
                       headers=admin).status_code == 409
    assert client.post("/api/users", json={"username": "cy", "password": "short", "role": "admin"},
                       headers=admin).status_code == 422
    bea = login(client, "bea")
    token = make_token(client, bea, list(SCOPES))
    assert client.get("/api/users", headers=bearer(token)).status_code == 200
    user_id = created.json()["id"]
    assert client.post(f"/api/users/{user_id}/deactivate", headers=admin).json()["active"] is False
    assert client.get("/api/records", headers=bearer(token)).status_code == 401
    assert client.post("/api/token", data={"username": "bea", "password": PASSWORD}).status_code == 401
    assert [u["username"] for u in client.get("/api/users", headers=admin).json()] == ["ada", "rita", "bea"]


def _permission_of(call: object) -> set[str]:
    if getattr(call, "__qualname__", "").startswith("require.") and getattr(call, "__closure__", None):
        return {cell.cell_contents for cell in call.__closure__ if isinstance(cell.cell_contents, str)}
    return set()


def _required_permissions(route: APIRoute, extra: list[Any]) -> set[str]:
    """The permissions the route's ``require(...)`` dependencies ask for, found by walking its dependency tree."""
    found: set[str] = set()
    for depends in extra:  # dependencies given to include_router
        found |= _permission_of(depends.dependency)
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        found |= _permission_of(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def every_route(routes: list[Any], prefix: str = "",
                extra: tuple[Any, ...] = ()) -> Iterator[tuple[str, BaseRoute, list[Any]]]:
    """Every route and mount with its full path, also inside routers FastAPI includes lazily (``original_router``)."""
    for route in routes:
        if hasattr(route, "original_router"):
            context = route.include_context
            yield from every_route(route.original_router.routes, prefix + context.prefix,
                                   (*extra, *context.dependencies))
        else:
            yield prefix + route.path, route, list(extra)


def api_routes(routes: list[Any]) -> Iterator[tuple[str, APIRoute, list[Any]]]:
    """Every APIRoute with its full path and the dependencies its routers were included with."""
    for path, route, extra in every_route(routes):
        if isinstance(route, APIRoute):
            yield path, route, extra


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_endpoint_refuses_a_token_without_its_scope(app: FastAPI) -> None:
    client = TestClient(app)
    admin = login(client, "ada")
    tokens = {scope: make_token(client, admin, [s for s in SCOPES if s != scope], f"no-{scope}") for scope in SCOPES}
    routes = [(path, route, extra) for path, route, extra in api_routes(app.routes)
              if path.startswith("/api/") and path != "/api/token"]
    documented = {path for path in app.openapi()["paths"] if path.startswith("/api/")} - {"/api/token"}
    assert documented <= {path for path, _route, _extra in routes}  # the walk saw every documented endpoint
    checked = 0
    for path, route, extra in routes:
        needed = {SCOPE_OF.get(p, p) for p in _required_permissions(route, extra)}
        for method in route.methods - {"HEAD", "OPTIONS"}:
            url = re.sub(r"\{[^}]+\}", "1", path)
            anonymous = client.request(method, url)
            assert anonymous.status_code == 401, f"{method} {path} answers without a token"
            assert needed, f"{method} {path} needs a login but no permission: give it a require(...)"
            for scope in needed:
                response = client.request(method, url, headers=bearer(tokens[scope]))
                assert response.status_code == 403, f"{method} {path} without {scope}: {response.status_code}"
                checked += 1
    assert checked >= 25
