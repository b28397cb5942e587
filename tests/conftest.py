"""Shared fixtures: the shared data folder, SQLite and PostgreSQL databases, an S3 endpoint, runtimes, samples."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.runtime import Runtime, build_runtime
from core.settings import Settings

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("QUINTE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
S3_KEY, S3_SECRET = "quinte-test-key", "quinte-test-secret"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    # A missing shared folder is a broken checkout, not a reason to skip: fail loudly.
    assert SHARED_DATA.is_dir(), f"shared test data not found at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards, so runs never collide."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/quinte.db"
    return request.getfixturevalue("pg_url")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP endpoint (moto's server mode) on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage_url(s3_endpoint: str) -> str:
    return f"s3://quinte-{uuid.uuid4().hex[:10]}?endpoint={s3_endpoint}"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path}/quinte.db",
        "storage_url": f"file://{tmp_path}/objects",
        "inbox_dir": tmp_path / "inbox",
        "var_dir": tmp_path / "var",
        "pipelines": REPO / "pipelines.yaml",
        "broker_url": "memory://",
        "s3_access_key": S3_KEY,
        "s3_secret_key": S3_SECRET,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def runtime_factory(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def build(**overrides: object) -> Runtime:
        runtime = build_runtime(make_settings(tmp_path, **overrides))
        made.append(runtime)
        return runtime

    yield build
    for runtime in made:
        runtime.close()


@pytest.fixture
def runtime(runtime_factory: Callable[..., Runtime]) -> Runtime:
    return runtime_factory()


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small set of generated scans with ground truth, made once per test session."""
    from samples.generate import generate

    out = tmp_path_factory.mktemp("samples")
    generate(out, count=6, seed=11, kinds=["invoice", "receipt", "credit_note"], levels=[0, 1])
    return out
