"""The same pipeline on every queue: in-process, and real `quinte worker` processes over Redis and RabbitMQ."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
import redis
from sqlalchemy import delete, select

from core.queue import DramatiqDispatcher, make_broker
from core.runner import first_unfinished_stage
from core.runtime import Runtime, build_runtime
from ingest.intake import accept_file
from storage.models import Record, StageRun
from tests.conftest import REPO, S3_KEY, S3_SECRET, make_settings

REDIS_URL = "redis://127.0.0.1:6379/7"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def wait_for_records(runtime: Runtime, document_ids: list[str], timeout: float = 180) -> list[Record]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            records = session.scalars(select(Record).where(Record.document_id.in_(document_ids))).all()
            # The route stage commits the record's status a moment before its own run is marked done.
            routed = set(session.scalars(select(StageRun.document_id).where(
                StageRun.document_id.in_(document_ids), StageRun.stage == "route", StageRun.status == "done")))
            settled = [r for r in records
                       if r.status == "failed" or (r.status != "processing" and r.document_id in routed)]
            if records and len(settled) == len(records):
                return list(records)
        time.sleep(0.5)
    raise AssertionError(f"documents still processing after {timeout} s")


def feed_samples(runtime: Runtime, sample_dir: Path, count: int) -> list[str]:
    ids = []
    for path in sorted(p for p in sample_dir.iterdir() if not p.name.endswith(".json"))[:count]:
        result = accept_file(runtime, "auto", path.read_bytes(), source=f"test/{path.name}", original_name=path.name)
        assert result.outcome == "accepted", result
        assert result.document_id
        ids.append(result.document_id)
    return ids


def assert_processed(runtime: Runtime, records: list[Record]) -> None:
    for record in records:
        assert record.status in {"validated", "needs_review"}, (record.status, record.error_message)
        assert record.doc_type in {"invoice", "credit_note", "receipt"}
    with runtime.db.session() as session:
        stages = set(session.scalars(select(StageRun.stage).where(StageRun.status == "done")))
    assert {"pages", "ocr", "extract", "route"} <= stages


@pytest.fixture
def purge_brokers() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    for queue in (name + suffix for name in ("default", "ocr", "webhooks") for suffix in ("", ".DQ", ".XQ")):
        channel.queue_delete(queue=queue)
    connection.close()


@pytest.fixture
def worker_env(tmp_path: Path, pg_url: str, s3_storage_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUINTE_")}
    env.update({
        "QUINTE_DATABASE_URL": pg_url,
        "QUINTE_STORAGE_URL": s3_storage_url,
        "QUINTE_S3_ACCESS_KEY": S3_KEY,
        "QUINTE_S3_SECRET_KEY": S3_SECRET,
        "QUINTE_PIPELINES": str(REPO / "pipelines.yaml"),
        "QUINTE_VAR_DIR": str(tmp_path / "var"),
        "QUINTE_INBOX_DIR": str(tmp_path / "inbox"),
        "OMP_THREAD_LIMIT": "1",
    })
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "core", "worker", "--threads", "2"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(params=[REDIS_URL, AMQP_URL], ids=["redis", "rabbitmq"])
def remote_runtime(request: pytest.FixtureRequest, purge_brokers: None, worker_env: dict[str, str],
                   tmp_path: Path) -> Iterator[tuple[Runtime, subprocess.Popen[bytes]]]:
    env = dict(worker_env, QUINTE_BROKER_URL=request.param)
    settings = make_settings(tmp_path, database_url=env["QUINTE_DATABASE_URL"],
                             storage_url=env["QUINTE_STORAGE_URL"], broker_url=request.param)
    runtime = build_runtime(settings)
    worker = start_worker(env)
    yield runtime, worker
    worker.terminate()
    try:
        _, stderr = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        _, stderr = worker.communicate()
    runtime.close()
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-3000:]


def test_pipeline_through_a_real_worker_process(remote_runtime: tuple[Runtime, subprocess.Popen[bytes]],
                                                sample_dir: Path) -> None:
    runtime, worker = remote_runtime
    dispatcher = DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
    ids = feed_samples(runtime, sample_dir, 2)
    for document_id in ids:
        dispatcher.submit(document_id, "pages")
    records = wait_for_records(runtime, ids)
    assert worker.poll() is None, "the worker died"
    assert_processed(runtime, records)
    dispatcher.broker.close()


def test_pipeline_on_the_in_process_queue(runtime: Runtime, sample_dir: Path) -> None:
    dispatcher = DramatiqDispatcher(runtime, make_broker("memory://"))
    worker = dispatcher.worker(threads=2)
    worker.start()
    try:
        ids = feed_samples(runtime, sample_dir, 2)
        for document_id in ids:
            dispatcher.submit(document_id, "pages")
        assert_processed(runtime, wait_for_records(runtime, ids))
    finally:
        worker.stop()


def test_unfinished_documents_are_picked_up_after_a_restart(runtime: Runtime, sample_dir: Path) -> None:
    """The in-process queue loses its messages on a crash; start-up re-sends what was left unfinished."""
    from core.services import recover_unfinished

    ids = feed_samples(runtime, sample_dir, 1)  # accepted, never dispatched: as if the process died here
    dispatcher = DramatiqDispatcher(runtime, make_broker("memory://"))
    worker = dispatcher.worker(threads=1)
    worker.start()
    try:
        assert recover_unfinished(runtime, dispatcher) == 1
        assert_processed(runtime, wait_for_records(runtime, ids))
    finally:
        worker.stop()


def test_documents_idle_too_long_are_sent_again(runtime: Runtime, sample_dir: Path) -> None:
    """A lost message (not a crash of the whole process) is found by the sweep of `quinte watch`."""
    from core.services import recover_stalled

    ids = feed_samples(runtime, sample_dir, 1)
    dispatcher = DramatiqDispatcher(runtime, make_broker("memory://"))
    assert recover_stalled(runtime, dispatcher, idle_seconds=3600) == 0  # young documents are left alone
    worker = dispatcher.worker(threads=1)
    worker.start()
    try:
        assert recover_stalled(runtime, dispatcher, idle_seconds=0) == 1
        assert_processed(runtime, wait_for_records(runtime, ids))
        dispatcher.broker.join("default")  # register and payable run after the record leaves `processing`
        assert recover_stalled(runtime, dispatcher, idle_seconds=0) == 0  # finished documents are not re-sent
        with runtime.db.session() as session:  # as if the last stage's message was lost after route had run
            session.execute(delete(StageRun).where(StageRun.document_id == ids[0], StageRun.stage == "payable"))
        assert recover_stalled(runtime, dispatcher, idle_seconds=0) == 1
        dispatcher.broker.join("default")
        assert first_unfinished_stage(runtime, ids[0]) is None
    finally:
        worker.stop()
