"""The bad-input corpus through the watcher and the upload API: a defined outcome each, nothing lost, service up."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from sqlalchemy import func, select

from core.queue import InlineDispatcher
from core.runtime import Runtime
from ingest.watcher import InboxWatcher
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Document, Intake, Record

HOSTILE_PIPELINES = """
default_pipeline: scans
pipelines:
  scans:
    inbox: scans
    intake: {stable_seconds: 2.0, max_pages: 50, max_bytes: 3000000}
    stages: [{name: pages, params: {dpi: 100}}, {name: fatturapa}, {name: route}]
"""
PASSWORD = "correct horse battery"
FATTURAPA_NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"


# --------------------------------------------------------------------------- generated inputs

def png(seed: int, size: tuple[int, int] = (300, 200)) -> bytes:
    image = Image.new("L", size, color=255)
    image.putpixel((seed % size[0], seed % size[1]), 0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_bomb(width: int = 200_000, height: int = 200_000) -> bytes:
    """A PNG declaring 40 gigapixels in a few hundred bytes: only the header and a tiny IDAT."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
            + chunk(b"IEND", b""))


def pdf(pages: int = 1, *, seed: int = 0) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595 + seed, height=842 if seed < 1000 else 595 + seed)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(user_password: str, seed: int) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=600 + seed, height=842)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def active_pdf(canary: Path) -> bytes:
    """JavaScript on open that would create ``canary``, plus an embedded executable: neither may ever run."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    script = f'var f = "{canary}"; this.exportDataObject({{cName: "run.sh", nLaunch: 2}}); app.launchURL(f);'
    writer.add_open_action(JavaScript(script))
    writer.add_attachment("run.sh", f"#!/bin/sh\ntouch {canary}\n".encode())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def corrupt_tiff() -> bytes:
    frames = [Image.new("L", (400, 300), color=shade) for shade in (40, 120, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    data = buffer.getvalue()
    return data[: len(data) // 2]  # the later frames' offsets point past the end


def fatturapa_xml(doctype: str, body: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<p:FatturaElettronica xmlns:p="{FATTURAPA_NS}" versione="FPR12">'
            f"{body}</p:FatturaElettronica>").encode()


def xxe(secret: Path) -> bytes:
    return fatturapa_xml(f'<!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>', "&x;")


def billion_laughs() -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    return fatturapa_xml(f"<!DOCTYPE p [{entities}]>", "&a9;")


# --------------------------------------------------------------------------- the corpus and its outcomes

@dataclass(frozen=True, slots=True)
class Case:
    """One hostile input: its file name, bytes, and what must become of it."""

    name: str | bytes  # bytes: an os-level name that is not valid UTF-8
    data: bytes
    outcome: str  # accepted | quarantined | duplicate
    reason: str = ""  # words the operator's reason must contain (quarantine or record failure)
    status: str | None = None  # final record status for accepted inputs


def corpus(shared_data: Path, canary: Path, secret: Path) -> list[Case]:
    scans = shared_data / "scans"
    return [
        Case("zero.pdf", b"", "quarantined", "empty"),
        Case("truncated.pdf", pdf(2, seed=1)[:400], "quarantined", "truncated"),
        Case("not-a-pdf.pdf", b"MZ\x90\x00 this is a Windows executable, not a scan" * 20, "quarantined",
             "not a PDF, TIFF"),
        Case("invalid.pdf", (scans / "invalid.pdf").read_bytes(), "quarantined", "damaged"),
        Case("locked.pdf", encrypted_pdf("user-secret", 2), "quarantined", "encrypted with a password"),
        Case("owner-only.pdf", encrypted_pdf("", 3), "accepted", status="needs_review"),
        Case("active.pdf", active_pdf(canary), "accepted", status="needs_review"),
        Case("hugemono.pdf", (scans / "hugemono.pdf").read_bytes(), "accepted", status="needs_review"),
        # 30 × 30 inches: rendered at the resolution that fits the pixel budget.
        Case("enormous.pdf", (scans / "enormous.pdf").read_bytes(), "accepted", status="needs_review"),
        # 5 × 5 metres: no readable resolution fits, so the record fails with the page size named.
        Case("giant-page.pdf", pdf(1, seed=14400 - 595), "accepted", "too large to render", status="failed"),
        Case("bomb.png", png_bomb(), "quarantined", "too large to process safely"),
        Case("thousands.pdf", pdf(3000, seed=4), "quarantined", "3000 pages; this pipeline accepts at most 50"),
        Case("broken.tif", corrupt_tiff(), "quarantined", "damaged"),
        Case("really-a-png.pdf", png(5), "accepted", status="needs_review"),
        Case("x..y..png", png(6), "accepted", status="needs_review"),
        Case("bell\x07\x1b[31mred\nline.png", png(7), "accepted", status="needs_review"),
        Case(b"caf\xe9-\xff\xfe.png", png(8), "accepted", status="needs_review"),
        Case("first.png", png(9), "accepted", status="needs_review"),
        Case("second-copy.png", png(9), "duplicate"),
        Case("xxe.xml", xxe(secret), "accepted", "DOCTYPE", status="failed"),
        Case("laughs.xml", billion_laughs(), "accepted", "DOCTYPE", status="failed"),
    ]


@pytest.fixture
def hostile_runtime(runtime_factory: Callable[..., Runtime], tmp_path: Path) -> Runtime:
    path = tmp_path / "pipelines.yaml"
    path.write_text(HOSTILE_PIPELINES)
    return runtime_factory(pipelines=path)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside every data folder, which no input may read into a record, change or remove."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("TOP-SECRET-CONTENT")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def fsname(name: str | bytes) -> str:
    return os.fsdecode(name) if isinstance(name, bytes) else name


def assert_nothing_leaked(runtime: Runtime, outside: Path, before: dict[str, tuple[int, int]],
                          canary: Path) -> None:
    assert snapshot(outside) == before, "a file outside the data folders changed"
    assert not canary.exists(), "active content in a PDF was executed"
    allowed = [runtime.inbox_dir, runtime.settings.var_dir, outside, outside.parent / "objects"]
    for path in outside.parent.iterdir():
        if path.name.startswith("quinte.db") or path.name == "pipelines.yaml":
            continue
        assert any(path == root or root in path.parents for root in allowed), f"unexpected file {path}"
    with runtime.db.session() as session:
        texts = session.scalars(select(Record.error_message)).all()
    assert not any("TOP-SECRET" in (text or "") for text in texts), "an external entity was resolved"


# --------------------------------------------------------------------------- through the watcher

def test_hostile_inbox_files_each_get_a_defined_outcome(hostile_runtime: Runtime, shared_data: Path,
                                                         outside: Path, tmp_path: Path) -> None:
    canary = tmp_path / "canary-js-ran"
    cases = corpus(shared_data, canary, outside / "secret.txt")
    before = snapshot(outside)
    watcher = InboxWatcher(hostile_runtime, InlineDispatcher(hostile_runtime), unreadable_grace=0)
    watcher.ensure_folders()
    folder = hostile_runtime.inbox_dir / "scans"
    for case in cases:
        (folder / fsname(case.name)).write_bytes(case.data)
    (folder / "link.pdf").symlink_to(outside / "secret.txt")
    (folder / "dir-link").symlink_to(outside)
    os.mkfifo(folder / "pipe.pdf")

    assert [r.outcome for r in watcher.scan_once(now=0)] == ["quarantined"] * 3  # links and pipes: at once
    results = watcher.scan_once(now=3)
    assert len(results) == len(cases)
    assert watcher.scan_once(now=6) == []
    assert sorted(p.name for p in folder.iterdir()) == [".done", ".quarantine"], "an input was left behind"

    with hostile_runtime.db.session() as session:
        intakes = session.scalars(select(Intake).order_by(Intake.id)).all()
        assert len(intakes) == len(cases) + 3, "every input has exactly one intake row"
        for case in cases:
            _assert_case(session, folder, case)
        refused = [i for i in intakes if i.document_id is None]
        assert sorted(i.original_name for i in refused) == ["dir-link", "link.pdf", "pipe.pdf"]
    assert "symbolic link" in (folder / ".quarantine" / "dir-link.reason.txt").read_text()
    assert (outside / "secret.txt").read_text() == "TOP-SECRET-CONTENT"
    assert_nothing_leaked(hostile_runtime, outside, before, canary)
    _assert_still_serving(watcher, folder)


def _assert_case(session, folder: Path, case: Case) -> None:  # type: ignore[no-untyped-def]
    name = fsname(case.name)
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    intake = session.scalar(select(Intake).where(Intake.source.endswith(_safe_tail(shown))))
    assert intake is not None, f"{name!r}: no intake row"
    assert intake.outcome == case.outcome, (name, intake.outcome, intake.reason)
    assert all(ch.isprintable() for ch in intake.original_name), intake.original_name
    if case.outcome == "quarantined":
        reason_file = folder / ".quarantine" / f"{name}.reason.txt"
        assert case.reason in reason_file.read_text(), (name, reason_file.read_text())
        assert (folder / ".quarantine" / name).read_bytes() == case.data, "the quarantined original is kept"
        return
    assert (folder / ".done" / name).read_bytes() == case.data
    if case.status is not None:
        record = session.scalar(select(Record).where(Record.document_id == intake.document_id))
        assert record.status == case.status, (name, record.status, record.error_message)
        if case.reason:
            assert case.reason in (record.error_message or ""), (name, record.error_message)
    elif case.reason:
        record = session.scalar(select(Record).where(Record.document_id == intake.document_id))
        assert record.status == "failed" and case.reason in (record.error_message or ""), record.error_message


def _safe_tail(shown: str) -> str:
    """The sanitised stored name ends with the name's last printable characters."""
    return "".join(ch for ch in shown if ch.isprintable())[-6:]


def _assert_still_serving(watcher: InboxWatcher, folder: Path) -> None:
    (folder / "after.png").write_bytes(png(99))
    watcher.scan_once(now=10)
    assert [r.outcome for r in watcher.scan_once(now=13)] == ["accepted"]


def test_file_written_slowly_with_pauses_is_taken_once_complete(hostile_runtime: Runtime) -> None:
    """A scanner writing a PDF for a minute, pausing longer than stable_seconds midway: one intake, complete."""
    watcher = InboxWatcher(hostile_runtime, InlineDispatcher(hostile_runtime), unreadable_grace=10)
    watcher.ensure_folders()
    data = pdf(3, seed=11)
    target = hostile_runtime.inbox_dir / "scans" / "slow.pdf"
    step = len(data) // 20
    for second in range(0, 60, 3):
        target.write_bytes(data[: step * (second // 3 + 1)])
        assert watcher.scan_once(now=second) == []
        # A pause of 2.5 s (past stable_seconds) with a still-incomplete PDF: the grace period keeps it waiting.
        assert watcher.scan_once(now=second + 2.5) == []
    target.write_bytes(data)
    assert watcher.scan_once(now=61) == []
    results = watcher.scan_once(now=64)
    assert [r.outcome for r in results] == ["accepted"]
    with hostile_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Intake)) == 1
        assert session.scalar(select(Document.page_count)) == 3


def test_same_name_arriving_twice_is_a_duplicate_and_both_copies_are_kept(hostile_runtime: Runtime) -> None:
    watcher = InboxWatcher(hostile_runtime, InlineDispatcher(hostile_runtime), unreadable_grace=0)
    watcher.ensure_folders()
    folder = hostile_runtime.inbox_dir / "scans"
    outcomes = []
    for round_ in range(2):
        (folder / "scan.png").write_bytes(png(42))
        watcher.scan_once(now=round_ * 10)
        outcomes += [r.outcome for r in watcher.scan_once(now=round_ * 10 + 3)]
    assert outcomes == ["accepted", "duplicate"]
    assert sorted(p.name for p in (folder / ".done").iterdir()) == ["scan-1.png", "scan.png"]


# --------------------------------------------------------------------------- through the upload API

@pytest.fixture
def client(hostile_runtime: Runtime) -> TestClient:
    create_user(hostile_runtime.db, "olga", PASSWORD, "operator")
    return TestClient(create_app(hostile_runtime, InlineDispatcher(hostile_runtime)))


def _headers(client: TestClient) -> dict[str, str]:
    response = client.post("/api/token", data={"username": "olga", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


UPLOAD_NAMES = ["../../outside/evil.png", "..", "a/b\\c.png", "/etc/passwd", "con\x00trol\r\n.png",
                "invoice\u202egnp.exe", "x" * 600 + ".png"]


def test_hostile_uploads_each_get_a_defined_outcome(client: TestClient, hostile_runtime: Runtime,
                                                     shared_data: Path, outside: Path, tmp_path: Path) -> None:
    canary = tmp_path / "canary-js-ran"
    cases = corpus(shared_data, canary, outside / "secret.txt")
    before = snapshot(outside)
    headers = _headers(client)
    for case in cases:
        response = client.post("/api/documents", headers=headers,
                               files={"file": ("upload.bin", case.data, "application/octet-stream")})
        assert response.status_code == 201, (case.name, response.text)
        body = response.json()
        assert body["outcome"] == case.outcome, (case.name, body)
        if case.outcome == "quarantined":
            assert case.reason in body["reason"], (case.name, body)
        assert client.get("/healthz").json() == {"status": "ok"}
    for index, name in enumerate(UPLOAD_NAMES):
        response = client.post("/api/documents", headers=headers,
                               files={"file": (name, png(200 + index), "image/png")})
        assert response.status_code == 201, (name, response.text)
        assert response.json()["outcome"] == "accepted"
    with hostile_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Intake)) == len(cases) + len(UPLOAD_NAMES)
        names = session.scalars(select(Document.original_name)).all()
    assert all("/" not in n and "\\" not in n and n.isprintable() and len(n) <= 255 for n in names), names
    assert_nothing_leaked(hostile_runtime, outside, before, canary)


def test_oversized_upload_is_refused_with_413_and_the_service_goes_on(client: TestClient) -> None:
    headers = _headers(client)
    too_big = b"%PDF-1.4\n" + b"0" * 3_000_001
    response = client.post("/api/documents", headers=headers, files={"file": ("big.pdf", too_big, "application/pdf")})
    assert response.status_code == 413
    assert "larger than this pipeline accepts" in response.json()["detail"]
    ok = client.post("/api/documents", headers=headers, files={"file": ("ok.png", png(300), "image/png")})
    assert ok.status_code == 201 and ok.json()["outcome"] == "accepted"


def test_oversized_inbox_file_is_quarantined_unread(hostile_runtime: Runtime) -> None:
    watcher = InboxWatcher(hostile_runtime, InlineDispatcher(hostile_runtime), unreadable_grace=0)
    watcher.ensure_folders()
    folder = hostile_runtime.inbox_dir / "scans"
    with (folder / "huge.pdf").open("wb") as handle:
        handle.truncate(3_000_001)  # sparse: costs no disk
    watcher.scan_once(now=0)
    assert [r.outcome for r in watcher.scan_once(now=3)] == ["quarantined"]
    assert "accepts at most 3.0 MB" in (folder / ".quarantine" / "huge.pdf.reason.txt").read_text()
    with hostile_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0  # never stored nor read
        assert session.scalar(select(Intake.outcome)) == "quarantined"
