"""The command line end to end: `quinte process` writes valid records; `quinte up` turns a dropped scan into one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.conftest import REPO, free_port

SCHEMA = json.loads((REPO / "core" / "record.schema.json").read_text())


def quinte(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUINTE_")}
    env.update({"QUINTE_VAR_DIR": str(tmp_path / "var"), "QUINTE_DATABASE_URL": f"sqlite:///{tmp_path}/q.db",
                "QUINTE_STORAGE_URL": f"file://{tmp_path}/objects", "QUINTE_INBOX_DIR": str(tmp_path / "inbox"),
                "OMP_THREAD_LIMIT": "1"})
    return env


def test_process_writes_valid_records_and_error_files(tmp_path: Path, sample_dir: Path, shared_data: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    documents = sorted(p for p in sample_dir.iterdir() if not p.name.endswith(".json"))
    for path in documents:
        shutil.copy(path, inputs / path.name)
    shutil.copy(shared_data / "scans" / "invalid.pdf", inputs / "invalid.pdf")
    (inputs / "empty.png").write_bytes(b"")
    out = tmp_path / "out"
    result = quinte("process", str(inputs), "--out", str(out), "--jobs", "2", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for path in documents:
        record = json.loads((out / f"{path.stem}.json").read_text())
        jsonschema.validate(record, SCHEMA)
        truth = json.loads(path.with_name(path.stem + ".truth.json").read_text())
        assert record["status"] in {"validated", "needs_review"}
        assert record["doc_type"] == truth["doc_type"], path.name
        assert record["text"].strip()
    for name in ("invalid", "empty"):
        error = json.loads((out / f"{name}.error.json").read_text())
        assert set(error) == {"source", "code", "message"} and error["message"]
    assert {p.name for p in out.iterdir()} >= {f"{p.stem}.json" for p in documents}


def test_process_refuses_unknown_pipeline_with_a_usage_error(tmp_path: Path, sample_dir: Path) -> None:
    one = next(p for p in sample_dir.iterdir() if not p.name.endswith(".json"))
    result = quinte("process", str(one), "--out", str(tmp_path / "o"), "--pipeline", "nope", env=clean_env(tmp_path))
    assert result.returncode == 2 and "unknown pipeline 'nope'" in result.stderr


def test_check_reports_services(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert quinte("check", env=env).returncode == 0
    env["QUINTE_BROKER_URL"] = "redis://127.0.0.1:1/0"
    failed = quinte("check", env=env)
    assert failed.returncode == 1 and "FAIL" in failed.stdout + failed.stderr


@pytest.mark.slow
def test_up_turns_a_dropped_pdf_into_a_record_within_30_seconds(tmp_path: Path, sample_dir: Path) -> None:
    env = clean_env(tmp_path)
    port = free_port()
    env["QUINTE_PORT"] = str(port)
    process = subprocess.Popen([sys.executable, "-m", "core", "up", "--threads", "2"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        password = _read_admin_password(process)
        # Keep draining the output so the server never blocks on a full pipe.
        drain = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
        drain.start()
        base = f"http://127.0.0.1:{port}"
        _wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200, 60)
        token = httpx.post(f"{base}/api/token", data={"username": "admin", "password": password}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        pdf = next(p for p in sorted(sample_dir.iterdir()) if p.suffix == ".pdf")
        staging = tmp_path / "inbox" / "invoices" / ".incoming.pdf"
        shutil.copy(pdf, staging)
        started = time.monotonic()
        staging.rename(staging.with_name("dropped.pdf"))
        _wait_until(lambda: _finished(httpx.get(f"{base}/api/records", headers=headers).json()), 30)
        elapsed = time.monotonic() - started
        assert elapsed < 30
        assert (tmp_path / "inbox" / "invoices" / ".done" / "dropped.pdf").exists()
    finally:
        process.terminate()
        process.wait(timeout=30)
    output = "".join(lines)
    assert process.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def _finished(listing: dict) -> bool:
    return any(item["status"] in {"validated", "needs_review"} for item in listing["items"])


def _read_admin_password(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.match(r"admin password: (\S+)", line)
        if match:
            return match.group(1)
        if not line and process.poll() is not None:
            break
    raise AssertionError("quinte up did not print the admin password")


def _wait_until(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"condition not met within {timeout} s")
