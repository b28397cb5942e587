"""Schemathesis against the OpenAPI schema with an all-scopes API token: no 5xx, every response matches the schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user
from tests.integration.test_watcher import FAST_PIPELINES
from tests.integration.test_webhooks import add_event, add_record

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

PASSWORD = "correct horse battery"
EXAMPLES_PER_OPERATION = 4


def test_api_conforms_to_its_schema(runtime_factory: Callable[..., Runtime], tmp_path: Path) -> None:
    path = tmp_path / "pipelines.yaml"
    path.write_text(FAST_PIPELINES)
    runtime = runtime_factory(pipelines=path)
    create_user(runtime.db, "ada", PASSWORD, "admin")
    app = create_app(runtime, InlineDispatcher(runtime))
    from fastapi.testclient import TestClient

    client = TestClient(app)
    login = client.post("/api/token", data={"username": "ada", "password": PASSWORD}).json()["access_token"]
    token = client.post("/api/tokens", headers={"Authorization": f"Bearer {login}"},
                        json={"name": "fuzz", "scopes": ["records:read", "documents:write", "review", "protocol",
                                                         "invoicing", "admin"]}).json()["token"]
    for _ in range(2):
        add_event(runtime, "record.validated", add_record(runtime))
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: object) -> None:
            case.call_and_validate(headers=headers,  # type: ignore[attr-defined]
                                   checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
