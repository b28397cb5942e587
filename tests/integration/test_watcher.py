"""The watched inbox: slow writers, duplicates, corrupt files, links and pipes; nothing lost, the watcher goes on."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.queue import InlineDispatcher
from core.runtime import Runtime
from ingest.watcher import InboxWatcher
from storage.models import Document, Intake, Record

FAST_PIPELINES = """
default_pipeline: scans
pipelines:
  scans:
    inbox: scans
    intake: {stable_seconds: 2.0}
    stages: [{name: pages, params: {dpi: 100}}]
"""


def png_bytes(seed: int) -> bytes:
    image = Image.new("L", (120, 80), color=255)
    image.putpixel((seed % 120, seed % 80), 0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def fast_runtime(runtime_factory: Callable[..., Runtime], tmp_path: Path) -> Runtime:
    path = tmp_path / "pipelines.yaml"
    path.write_text(FAST_PIPELINES)
    return runtime_factory(pipelines=path)


@pytest.fixture
def watcher(fast_runtime: Runtime) -> InboxWatcher:
    w = InboxWatcher(fast_runtime, InlineDispatcher(fast_runtime), unreadable_grace=0)
    w.ensure_folders()
    return w


def inbox(runtime: Runtime) -> Path:
    return runtime.inbox_dir / "scans"


def test_slowly_written_file_is_taken_only_once_complete(watcher: InboxWatcher, fast_runtime: Runtime) -> None:
    data = png_bytes(1)
    target = inbox(fast_runtime) / "scan.png"
    target.write_bytes(b"")  # scanners often create the file empty first
    assert watcher.scan_once(now=0) == []
    target.write_bytes(data[:40])
    assert watcher.scan_once(now=1.5) == []
    target.write_bytes(data)
    assert watcher.scan_once(now=3.0) == []  # changed again: the clock restarts
    assert watcher.scan_once(now=4.0) == []
    results = watcher.scan_once(now=5.5)
    assert [r.outcome for r in results] == ["accepted"]
    assert not target.exists() and (inbox(fast_runtime) / ".done" / "scan.png").read_bytes() == data
    with fast_runtime.db.session() as session:
        record = session.scalar(select(Record))
        assert record is not None and record.status == "processing"  # pages done; no later stage configured
        assert session.scalar(select(Document.page_count)) == 1


def test_duplicate_is_recorded_not_processed_twice(watcher: InboxWatcher, fast_runtime: Runtime) -> None:
    data = png_bytes(2)
    (inbox(fast_runtime) / "a.png").write_bytes(data)
    (inbox(fast_runtime) / "b.png").write_bytes(data)
    watcher.scan_once(now=0)
    outcomes = sorted(r.outcome for r in watcher.scan_once(now=3))
    assert outcomes == ["accepted", "duplicate"]
    with fast_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        rows = session.scalars(select(Intake).order_by(Intake.id)).all()
        assert [r.outcome for r in rows] == ["accepted", "duplicate"]
        assert rows[0].document_id == rows[1].document_id
    assert sorted(p.name for p in (inbox(fast_runtime) / ".done").iterdir()) == ["a.png", "b.png"]


def test_corrupt_file_is_quarantined_and_the_next_good_one_processed(watcher: InboxWatcher,
                                                                      fast_runtime: Runtime) -> None:
    folder = inbox(fast_runtime)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "good.png").write_bytes(png_bytes(3))
    watcher.scan_once(now=0)
    results = {r.outcome for r in watcher.scan_once(now=3)}
    assert results == {"quarantined", "accepted"}
    quarantine = folder / ".quarantine"
    assert "truncated" in (quarantine / "broken.pdf.reason.txt").read_text()
    assert "empty" in (quarantine / "empty.pdf.reason.txt").read_text()
    assert (quarantine / "broken.pdf").exists()
    with fast_runtime.db.session() as session:
        statuses = sorted(session.scalars(select(Record.status)))
        assert statuses == ["failed", "failed", "processing"]
        reasons = session.scalars(select(Record.error_message).where(Record.status == "failed")).all()
        assert all(reasons)
    assert (folder / ".done" / "good.png").exists()


def test_links_and_pipes_are_moved_aside_unopened(watcher: InboxWatcher, fast_runtime: Runtime,
                                                  tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for quinte")
    folder = inbox(fast_runtime)
    (folder / "link.pdf").symlink_to(secret)
    os.mkfifo(folder / "pipe.pdf")
    results = watcher.scan_once(now=0)
    assert sorted(r.outcome for r in results) == ["quarantined", "quarantined"]
    assert (folder / ".quarantine" / "link.pdf").is_symlink()
    assert "symbolic link" in (folder / ".quarantine" / "link.pdf.reason.txt").read_text()
    assert secret.read_text() == "not for quinte"


def test_real_watch_loop_takes_a_file_written_in_pieces(watcher: InboxWatcher, fast_runtime: Runtime) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), kwargs={"poll_seconds": 0.2})
    thread.start()
    try:
        data = png_bytes(4)
        target = inbox(fast_runtime) / "slow.png"
        with target.open("wb") as handle:
            for start in range(0, len(data), 20):
                handle.write(data[start:start + 20])
                handle.flush()
                time.sleep(0.05)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (inbox(fast_runtime) / ".done" / "slow.png").exists():
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert (inbox(fast_runtime) / ".done" / "slow.png").read_bytes() == data
