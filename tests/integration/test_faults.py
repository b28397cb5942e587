"""Faults with real processes: workers killed, broker, database and S3 cut and restored; nothing lost or doubled."""

from __future__ import annotations

import contextlib
import io
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import func
from sqlalchemy import select as sql_select

from core.context import StageContext
from core.fault_hooks import ENV as HOLD_ENV
from core.queue import DramatiqDispatcher, make_broker
from core.runner import first_unfinished_stage
from core.runtime import Runtime, build_runtime
from extract.routing import RouteParams, route_stage
from ingest.intake import accept_file
from invoicing.models import Payable
from protocol.models import ProtocolEntry
from storage.models import Event, FieldRow, Record, StageRun
from tests.conftest import REPO, S3_KEY, S3_SECRET, free_port, make_settings
from tests.integration.protocol_helpers import stored_record

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own: other suites flush 7
XML_SAMPLES = ["invoice-b2g.xml", "invoice-credit-note.xml", "invoice-despatch.xml", "invoice-hotel-complex.xml"]
LIGHT_PIPELINES = """
default_pipeline: scans
pipelines:
  scans:
    inbox: scans
    stages: [{name: pages, params: {dpi: 100}}, {name: route}]
"""


# --------------------------------------------------------------------------- a TCP proxy we can cut

class Proxy:
    """Forwards 127.0.0.1:port to a target; ``cut`` drops every connection and refuses new ones until ``restore``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        assert self._listener is not None
        _close(self._listener)  # shutdown first: a bare close leaves a blocked accept() taking one more client
        self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            _close(a)
            _close(b)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# --------------------------------------------------------------------------- processes and waiting

@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def base_env(tmp_path: Path, pg_url: str, s3_storage_url: str, redis_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUINTE_")}
    env.update({
        "QUINTE_DATABASE_URL": pg_url, "QUINTE_STORAGE_URL": s3_storage_url, "QUINTE_BROKER_URL": redis_url,
        "QUINTE_S3_ACCESS_KEY": S3_KEY, "QUINTE_S3_SECRET_KEY": S3_SECRET,
        "QUINTE_PIPELINES": str(REPO / "pipelines.yaml"), "QUINTE_VAR_DIR": str(tmp_path / "var"),
        "QUINTE_INBOX_DIR": str(tmp_path / "inbox"), "OMP_THREAD_LIMIT": "1",
    })
    return env


class Processes:
    """Started ``python -m core`` processes, their logs in files (a full pipe would block them), stopped at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        log = self.log_dir / f"{args[0]}-{len(self.started)}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen([sys.executable, "-m", "core", *args], cwd=REPO, env=env,
                                       stdout=handle, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return next(path for p, path in self.started if p is process).read_text(errors="replace")

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    made = Processes(tmp_path)
    yield made
    made.stop_all()


@pytest.fixture
def runtime_for(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Runtime]]:
    made: list[Runtime] = []

    def build(env: dict[str, str]) -> Runtime:
        settings = make_settings(tmp_path, database_url=env["QUINTE_DATABASE_URL"],
                                 storage_url=env["QUINTE_STORAGE_URL"], broker_url=env["QUINTE_BROKER_URL"],
                                 pipelines=Path(env["QUINTE_PIPELINES"]))
        made.append(build_runtime(settings))
        return made[-1]

    yield build
    for runtime in made:
        runtime.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def statuses(runtime: Runtime, document_ids: list[str]) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(sql_select(Record.status).where(Record.document_id.in_(document_ids))))


def finished(runtime: Runtime, document_ids: list[str]) -> set[str]:
    """The documents that failed or ran their last stage (a record is ``validated`` before register and payable)."""
    with runtime.db.session() as session:
        rows = session.execute(sql_select(Record.document_id, Record.status)
                               .where(Record.document_id.in_(document_ids))).all()
    with_records = {document_id for document_id, _ in rows}
    processing = {document_id for document_id, status in rows if status == "processing"}
    failed = {document_id for document_id, status in rows if status == "failed"}
    return {d for d in with_records - processing if d in failed or first_unfinished_stage(runtime, d) is None}


def all_finished(runtime: Runtime, document_ids: list[str]) -> bool:
    return finished(runtime, document_ids) == set(document_ids)


def submit_files(runtime: Runtime, pipeline: str, files: list[tuple[str, bytes]]) -> list[str]:
    dispatcher = DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
    ids = []
    for name, data in files:
        result = accept_file(runtime, pipeline, data, source=f"test/{name}", original_name=name)
        assert result.outcome == "accepted" and result.document_id and result.first_stage, result
        dispatcher.submit(result.document_id, result.first_stage)
        ids.append(result.document_id)
    dispatcher.broker.close()
    return ids


def xml_files(shared_data: Path, copies: int = 1) -> list[tuple[str, bytes]]:
    """The e-invoice samples; each further copy differs by a trailing comment, so it is a document of its own."""
    samples = [(name, (shared_data / "fatturapa" / "samples" / name).read_bytes()) for name in XML_SAMPLES]
    return [(f"{copy}-{name}" if copy else name, data + (f"\n<!-- copy {copy} -->\n".encode() if copy else b""))
            for copy in range(copies) for name, data in samples]


def png(seed: int, size: tuple[int, int] = (300, 200), mode: str = "L") -> bytes:
    image = Image.new(mode, size, color=255 if mode == "L" else (255, 255, 255))
    image.putpixel((seed % size[0], seed % size[1]), 0 if mode == "L" else (seed % 256, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def assert_no_effect_twice(runtime: Runtime, document_ids: list[str]) -> None:
    """One protocol number, one payable, one set of fields and one validation event per record."""
    with runtime.db.session() as session:
        records = session.scalars(sql_select(Record).where(Record.document_id.in_(document_ids))).all()
        record_ids = [r.id for r in records]
        validated = {r.id for r in records if r.status == "validated"}
        protocol = session.execute(sql_select(ProtocolEntry.record_id, func.count())
                                   .where(ProtocolEntry.record_id.in_(record_ids))
                                   .group_by(ProtocolEntry.record_id)).all()
        payables = session.execute(sql_select(Payable.record_id, func.count()).where(Payable.record_id.in_(record_ids))
                                   .group_by(Payable.record_id)).all()
        # Every event a webhook would deliver (record.validated, protocol.registered, payable.created, …) once.
        repeated = session.execute(sql_select(Event.record_id, Event.kind, func.count())
                                   .where(Event.record_id.in_(record_ids)).group_by(Event.record_id, Event.kind)
                                   .having(func.count() > 1)).all()
        validated_events = set(session.scalars(sql_select(Event.record_id).where(
            Event.record_id.in_(record_ids), Event.kind == "record.validated")))
        fields = session.execute(sql_select(FieldRow.record_id, FieldRow.name, func.count())
                                 .where(FieldRow.record_id.in_(record_ids))
                                 .group_by(FieldRow.record_id, FieldRow.name)).all()
        numbers = session.execute(sql_select(ProtocolEntry.register, ProtocolEntry.year, ProtocolEntry.number,
                                             func.count()).group_by(ProtocolEntry.register, ProtocolEntry.year,
                                                                    ProtocolEntry.number)).all()
    assert all(count == 1 for _, count in protocol), protocol
    assert all(count == 1 for *_, count in numbers), f"a protocol number was given twice: {numbers}"
    assert all(count == 1 for _, count in payables), payables
    assert repeated == [], f"events written twice: {repeated}"
    assert validated_events == validated
    assert all(count == 1 for *_, count in fields), fields
    assert {record_id for record_id, _ in protocol} == validated, "every validated invoice is protocolled once"
    assert {record_id for record_id, _ in payables} == validated


# --------------------------------------------------------------------------- the tests

@pytest.mark.slow
def test_worker_killed_mid_ocr_is_replaced_and_every_document_completes_once(
        base_env: dict[str, str], processes: Processes, runtime_for: Callable[[dict[str, str]], Runtime],
        shared_data: Path) -> None:
    runtime = runtime_for(base_env)
    slow = ("multipage.pdf", (shared_data / "scans" / "multipage.pdf").read_bytes())  # 6 scanned pages
    first = processes.start(base_env, "worker", "--threads", "2")
    ids = submit_files(runtime, "passive_invoices", [slow, *xml_files(shared_data)])

    def ocr_running() -> bool:
        with runtime.db.session() as session:
            return bool(session.scalar(sql_select(func.count()).select_from(StageRun)
                                       .where(StageRun.stage == "ocr", StageRun.status == "running")))

    wait_until(ocr_running, 120, "OCR to start")
    time.sleep(1.0)  # well inside the page loop
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert "processing" in statuses(runtime, ids[:1]), "the slow document finished before the kill"

    second = processes.start(base_env, "worker", "--threads", "2")
    # The dead worker's message returns once its heartbeat is 30 s old; OCR of 6 pages follows.
    wait_until(lambda: all_finished(runtime, ids), 240, "every document to finish after the restart")
    assert second.poll() is None
    assert "failed" not in statuses(runtime, ids), statuses(runtime, ids)
    assert statuses(runtime, ids).count("validated") >= len(XML_SAMPLES)
    assert_no_effect_twice(runtime, ids)


def invoice_pdf(number: str) -> bytes:
    """A born-digital invoice: its text layer spares an OCR run, so extraction starts within seconds."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(595, 842))
    sheet.setFont("Helvetica", 12)
    lines = ["Acme S.r.l.", "Via Roma 1, 20100 Milano", "P.IVA IT01234567897", f"Fattura n. {number}",
             "Data 14/03/2026", "Imponibile 1.000,00", "IVA 22% 220,00", "Totale EUR 1.220,00"]
    for index, line in enumerate(lines):
        sheet.drawString(72, 760 - 22 * index, line)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def running_in(runtime: Runtime, stage: str) -> list[str]:
    """Documents with a run of ``stage`` started and not finished (held, or orphaned by a killed worker)."""
    with runtime.db.session() as session:
        return list(session.scalars(sql_select(StageRun.document_id)
                                    .where(StageRun.stage == stage, StageRun.status == "running")))


@pytest.mark.slow
def test_worker_killed_inside_extraction_and_registration_then_every_document_completes_once(
        base_env: dict[str, str], processes: Processes, runtime_for: Callable[[dict[str, str]], Runtime],
        shared_data: Path) -> None:
    runtime = runtime_for(base_env)
    # The documented test hook holds the first extraction and the first registration after their work is
    # committed and before the run is recorded done: a restarted worker runs both again over their own effects.
    first = processes.start(dict(base_env, **{HOLD_ENV: "extract,register"}), "worker", "--threads", "2")
    scanned = submit_files(runtime, "passive_invoices", [("fattura-5573.pdf", invoice_pdf("5573"))])
    wait_until(lambda: "holding extract" in processes.log(first), 120, "the extraction to be held")
    assert running_in(runtime, "extract") == scanned
    e_invoices = submit_files(runtime, "passive_invoices", xml_files(shared_data))  # the worker's other thread
    wait_until(lambda: "holding register" in processes.log(first), 120, "a registration to be held")
    registering = running_in(runtime, "register")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with runtime.db.session() as session:
        extracted = session.scalar(sql_select(func.count()).select_from(FieldRow).join(Record)
                                   .where(Record.document_id == scanned[0]))
        registered = session.scalar(sql_select(func.count()).select_from(ProtocolEntry)
                                    .where(ProtocolEntry.document_id.in_(registering)))
    assert extracted and registered == 1, "the held stages had not written their effects"

    ids = scanned + e_invoices
    second = processes.start(base_env, "worker", "--threads", "2")
    # The dead worker's messages return once its heartbeat is 30 s old.
    wait_until(lambda: all_finished(runtime, ids), 240, "every document to finish after the restart")
    assert second.poll() is None
    assert "failed" not in statuses(runtime, ids), statuses(runtime, ids)
    assert_no_effect_twice(runtime, ids)
    with runtime.db.session() as session:
        for stage, document_id in (("extract", scanned[0]), ("register", registering[0])):
            runs = sorted(session.scalars(sql_select(StageRun.status).where(StageRun.document_id == document_id,
                                                                            StageRun.stage == stage)))
            assert runs == ["done", "running"], f"{stage} was not run again after the kill: {runs}"


def test_a_repeated_route_run_changes_nothing_and_says_nothing_twice(
        runtime_factory: Callable[..., Runtime]) -> None:
    """What a redelivered or re-sent route message does: the record is routed once, with one event for webhooks."""
    runtime = runtime_factory()
    record_id = stored_record(runtime.db, status="processing")
    with runtime.db.session() as session:
        document_id = session.get(Record, record_id).document_id  # type: ignore[union-attr]
    context = StageContext(runtime=runtime, document_id=document_id,
                           pipeline=runtime.config.pipeline("passive_invoices"))
    params = RouteParams(required={"invoice": ["iban"]})  # a reason to stop for review: no IBAN was read
    for _ in range(2):
        route_stage(context, params)
    with runtime.db.session() as session:
        record = session.get(Record, record_id)
        kinds = session.scalars(sql_select(Event.kind).where(Event.record_id == record_id)).all()
        assert record is not None and (record.status, record.reasons) == ("needs_review", ["iban was not found"])
        assert record.version == 2, "the repeated run changed the record again"
    assert kinds == ["record.needs_review"]


def test_worker_with_a_memory_limit_fails_a_bomb_and_stays_up(
        base_env: dict[str, str], processes: Processes, runtime_for: Callable[[dict[str, str]], Runtime],
        tmp_path: Path) -> None:
    pipelines = tmp_path / "light.yaml"
    pipelines.write_text(LIGHT_PIPELINES)
    env = dict(base_env, QUINTE_PIPELINES=str(pipelines), QUINTE_WORKER_MAX_MEMORY_MB="1400")
    runtime = runtime_for(env)
    worker = processes.start(env, "worker", "--threads", "1")
    # 100 megapixels of RGB: under the intake's pixel budget, but 300 MB per decoded copy in the worker.
    bomb = png(1, size=(10_000, 10_000), mode="RGB")
    ids = submit_files(runtime, "scans", [("bomb.png", bomb)])
    wait_until(lambda: all_finished(runtime, ids), 90, "the bomb to be failed")
    good = submit_files(runtime, "scans", [("good.png", png(2))])
    wait_until(lambda: all_finished(runtime, good), 60, "the next document after the bomb")
    assert worker.poll() is None, "the worker died"
    with runtime.db.session() as session:
        bad = session.scalar(sql_select(Record).where(Record.document_id == ids[0]))
        assert bad is not None and bad.status == "failed" and bad.error_code == "too_large", bad.error_message
        assert "more memory than this worker may use" in (bad.error_message or "")
        runs = session.scalars(sql_select(StageRun.status).where(StageRun.document_id == ids[0])).all()
    assert runs == ["failed"], "an out-of-memory stage is not retried"
    assert statuses(runtime, good) == ["needs_review"]


def test_broker_connection_lost_and_restored(base_env: dict[str, str], processes: Processes,
                                             runtime_for: Callable[[dict[str, str]], Runtime],
                                             shared_data: Path, tmp_path: Path) -> None:
    proxy = Proxy(6379)
    env = dict(base_env, QUINTE_BROKER_URL=f"redis://127.0.0.1:{proxy.port}/11")
    runtime = runtime_for(base_env)  # the sender talks to Redis directly; only the worker's link is cut
    worker = processes.start(env, "worker", "--threads", "2")
    files = xml_files(shared_data)
    ids = submit_files(runtime, "passive_invoices", files[:2])
    wait_until(lambda: all_finished(runtime, ids), 90, "the first documents")
    proxy.cut()
    later = submit_files(runtime, "passive_invoices", files[2:])
    time.sleep(8)
    assert statuses(runtime, later) == ["processing"] * len(later), "work continued without a broker?"
    assert worker.poll() is None, "the worker died when the broker went away"
    proxy.restore()
    wait_until(lambda: all_finished(runtime, later), 120, "work to resume once the broker is back")
    assert worker.poll() is None
    assert "failed" not in statuses(runtime, ids + later)
    assert_no_effect_twice(runtime, ids + later)


def test_database_connections_dropped_and_restored(base_env: dict[str, str], processes: Processes,
                                                   runtime_for: Callable[[dict[str, str]], Runtime],
                                                   tmp_path: Path) -> None:
    proxy = Proxy(5432)
    pipelines = tmp_path / "light.yaml"
    pipelines.write_text(LIGHT_PIPELINES)
    env = dict(base_env, QUINTE_PIPELINES=str(pipelines))
    worker_env = dict(env, QUINTE_DATABASE_URL=env["QUINTE_DATABASE_URL"].replace(":5432/", f":{proxy.port}/"))
    runtime = runtime_for(env)
    worker = processes.start(worker_env, "worker", "--threads", "2")
    ids = submit_files(runtime, "scans", [(f"a{n}.png", png(n)) for n in range(2)])
    wait_until(lambda: all_finished(runtime, ids), 90, "the first documents")
    proxy.cut()
    later = submit_files(runtime, "scans", [(f"b{n}.png", png(10 + n)) for n in range(4)])
    time.sleep(5)  # the worker's stages fail to reach the database and are retried with backoff
    assert statuses(runtime, later) == ["processing"] * len(later)
    assert worker.poll() is None, "the worker died when the database went away"
    proxy.restore()
    wait_until(lambda: all_finished(runtime, later), 120, "work to resume once the database is back")
    assert statuses(runtime, later) == ["needs_review"] * len(later)


def test_s3_endpoint_down_and_back(base_env: dict[str, str], processes: Processes,
                                   runtime_for: Callable[[dict[str, str]], Runtime], tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    pipelines = tmp_path / "light.yaml"
    pipelines.write_text(LIGHT_PIPELINES)
    env = dict(base_env, QUINTE_PIPELINES=str(pipelines),
               QUINTE_STORAGE_URL=f"s3://quinte-{uuid.uuid4().hex[:10]}?endpoint=http://127.0.0.1:{port}")
    runtime = runtime_for(env)
    worker = processes.start(env, "worker", "--threads", "2")
    try:
        ids = submit_files(runtime, "scans", [(f"a{n}.png", png(20 + n)) for n in range(2)])
        wait_until(lambda: all_finished(runtime, ids), 90, "the first documents")
        dispatcher = DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
        later = []
        for n in range(3):  # stored while S3 is up; processed while it is down
            result = accept_file(runtime, "scans", png(30 + n), source=f"test/b{n}.png", original_name=f"b{n}.png")
            assert result.document_id
            later.append(result.document_id)
        server.stop()
        for document_id in later:
            dispatcher.submit(document_id, "pages")
        dispatcher.broker.close()
        time.sleep(5)
        assert statuses(runtime, later) == ["processing"] * len(later)
        assert worker.poll() is None, "the worker died when S3 went away"
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()  # moto keeps its buckets in this process, so the objects are still there
        wait_until(lambda: all_finished(runtime, later), 120, "work to resume once S3 is back")
        assert statuses(runtime, later) == ["needs_review"] * len(later)
    finally:
        server.stop()


@pytest.mark.slow
def test_in_process_mode_killed_and_restarted_picks_up_unfinished_documents(
        tmp_path: Path, processes: Processes, shared_data: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUINTE_")}
    env.update({"QUINTE_DATABASE_URL": f"sqlite:///{tmp_path}/up.db", "QUINTE_STORAGE_URL": f"file://{tmp_path}/obj",
                "QUINTE_BROKER_URL": "memory://", "QUINTE_PIPELINES": str(REPO / "pipelines.yaml"),
                "QUINTE_INBOX_DIR": str(tmp_path / "inbox"), "QUINTE_VAR_DIR": str(tmp_path / "var"),
                "QUINTE_PORT": str(free_port()), "QUINTE_ADMIN_PASSWORD": "a-long-admin-password",
                "OMP_THREAD_LIMIT": "1"})
    runtime = build_runtime(make_settings(tmp_path, database_url=env["QUINTE_DATABASE_URL"],
                                          storage_url=env["QUINTE_STORAGE_URL"]))
    try:
        first = processes.start(env, "up", "--threads", "1")
        inbox = tmp_path / "inbox" / "invoices"
        wait_until(inbox.is_dir, 60, "the inboxes")
        (inbox / "multipage.pdf").write_bytes((shared_data / "scans" / "multipage.pdf").read_bytes())
        for name, data in xml_files(shared_data)[:2]:
            (inbox / name).write_bytes(data)

        def ocr_running() -> bool:
            with runtime.db.session() as session:
                return bool(session.scalar(sql_select(func.count()).select_from(StageRun)
                                           .where(StageRun.stage == "ocr", StageRun.status == "running")))

        wait_until(ocr_running, 120, "OCR to start in the in-process mode")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        with runtime.db.session() as session:
            ids = list(session.scalars(sql_select(Record.document_id)))
        assert "processing" in statuses(runtime, ids)
        second = processes.start(env, "up", "--threads", "1")

        def all_three_finished() -> bool:
            # A file the watcher had not taken yet when the process died is taken after the restart.
            with runtime.db.session() as session:
                ids[:] = session.scalars(sql_select(Record.document_id)).all()
            return len(ids) == 3 and all_finished(runtime, ids)

        wait_until(all_three_finished, 240, "the restarted process to finish what was left")
        assert second.poll() is None
        assert "re-enqueued" in processes.log(second)
        assert "failed" not in statuses(runtime, ids)
        assert_no_effect_twice(runtime, ids)
        assert len(ids) == 3 and not any(p.is_file() for p in inbox.iterdir()), "every inbox file taken once"
    finally:
        runtime.close()


# --------------------------------------------------------------------------- the machine's brokers restarted
# This machine and CI each have their own Redis and RabbitMQ, so these tests stop and start the real services. They
# keep each outage to seconds and always leave the service answering, since the rest of the suite needs it.

REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
# The sweeper (`quinte watch`) re-sends a document idle this long; longer than any queue wait of these small batches.
STALL_ENV = {"QUINTE_STALL_SECONDS": "20", "QUINTE_SWEEP_SECONDS": "2"}


def redis_answers() -> bool:
    try:
        return bool(redis.Redis(port=6379, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def restart_redis(while_down: Callable[[], None]) -> None:
    """Stop Redis, which keeps nothing on disk here (every queued message is lost), and start it again."""
    try:
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=30)
        wait_until(lambda: not redis_answers(), 15, "Redis to stop")
        while_down()
    finally:
        if not redis_answers():
            subprocess.run(REDIS_START, capture_output=True, timeout=30, check=True)
        wait_until(redis_answers, 30, "Redis to answer again")


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=180)


def restart_rabbitmq(while_down: Callable[[], None]) -> None:
    """Stop the RabbitMQ application (durable queues and persistent messages survive) and start it again."""
    try:
        stopped = rabbitmqctl("stop_app")
        assert stopped.returncode == 0, stopped.stderr
        while_down()
    finally:
        if rabbitmqctl("start_app").returncode != 0:  # the node itself went away: start it from scratch
            rabbitmqctl("stop")
            subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, timeout=60)
        waited = rabbitmqctl("await_startup")
        assert waited.returncode == 0, waited.stderr


@pytest.fixture
def amqp_url() -> Iterator[str]:
    """A virtual host of its own: other suites purge the default one's queues, and stray messages stay out."""
    vhost = f"quinte-faults-{uuid.uuid4().hex[:8]}"
    for command in (("add_vhost", vhost), ("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")):
        done = rabbitmqctl(*command)
        assert done.returncode == 0, done.stderr
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    rabbitmqctl("delete_vhost", vhost)


def under_way(runtime: Runtime, document_ids: list[str]) -> bool:
    """An e-invoice has been read: the batch has started and most of its stage messages are yet to come."""
    with runtime.db.session() as session:
        return bool(session.scalar(sql_select(func.count()).select_from(StageRun).where(
            StageRun.document_id.in_(document_ids), StageRun.stage == "fatturapa", StageRun.status == "done")))


def run_batch_through_a_broker_restart(env: dict[str, str], processes: Processes, runtime: Runtime,
                                       shared_data: Path,
                                       restart: Callable[[Callable[[], None]], None],
                                       copies: int = 3) -> tuple[list[str], str]:
    """A worker and the sweeper on a batch of e-invoices; the broker restarts once the batch is under way.

    Returns the documents and the sweeper's log, after asserting every document completed exactly once.
    """
    worker = processes.start(env, "worker", "--threads", "2")
    watcher = processes.start(env, "watch")
    ids = submit_files(runtime, "passive_invoices", xml_files(shared_data, copies=copies))
    wait_until(lambda: under_way(runtime, ids), 120, "the batch to be under way")

    def while_down() -> None:
        time.sleep(2)
        assert not all_finished(runtime, ids), "the batch finished before the broker went down"

    restart(while_down)
    wait_until(lambda: all_finished(runtime, ids), 180, "every document to finish after the broker restart")
    assert worker.poll() is None and watcher.poll() is None, "a process died with the broker"
    assert "failed" not in statuses(runtime, ids), statuses(runtime, ids)
    assert "validated" in statuses(runtime, ids)  # registered and booked: the whole chain ran
    assert_no_effect_twice(runtime, ids)
    return ids, processes.log(watcher)


@pytest.mark.slow
def test_redis_restarted_mid_batch_the_sweeper_resends_what_was_lost(
        base_env: dict[str, str], processes: Processes, runtime_for: Callable[[dict[str, str]], Runtime],
        shared_data: Path) -> None:
    env = dict(base_env, **STALL_ENV)
    runtime = runtime_for(env)
    _ids, sweeper_log = run_batch_through_a_broker_restart(env, processes, runtime, shared_data, restart_redis)
    assert "made no progress" in sweeper_log, "nothing was lost with the queue? then this tests nothing"


@pytest.mark.slow
def test_rabbitmq_restarted_mid_batch(base_env: dict[str, str], amqp_url: str, processes: Processes,
                                      runtime_for: Callable[[dict[str, str]], Runtime], shared_data: Path) -> None:
    env = dict(base_env, QUINTE_BROKER_URL=amqp_url, **STALL_ENV)
    runtime = runtime_for(env)
    # A bigger batch than Redis's: stopping RabbitMQ takes seconds, and on a quiet machine a small batch of
    # e-invoices was already done by the time the broker was down.
    run_batch_through_a_broker_restart(env, processes, runtime, shared_data, restart_rabbitmq, copies=10)
