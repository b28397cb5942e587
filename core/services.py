"""``quinte up``: watcher, in-process workers and the web server in one process, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import uvicorn
from sqlalchemy import exists, func, select

from core.queue import DramatiqDispatcher, make_broker
from core.runner import first_unfinished_stage
from core.runtime import Runtime
from ingest.watcher import InboxWatcher
from storage.models import Document, Record, StageRun

log = logging.getLogger("quinte.up")


class GracefulServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after shutting down, which skips our own clean-up; this one just returns."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def serve_app(app: object, host: str, port: int) -> None:
    GracefulServer(uvicorn.Config(app, host=host, port=port, log_level="info")).run()  # type: ignore[arg-type]


def unfinished_documents(runtime: Runtime) -> set[str]:
    """Documents whose pipeline has not yet run its last stage and that did not fail.

    Not only records still ``processing``: a record is ``validated`` or ``needs_review`` once route has run, before
    register and payable, and the messages of those stages can be lost as well (a broker restarted without
    persistence loses every queued and delayed message).
    """
    failed = (exists().where(Record.document_id == Document.id, Record.status == "failed")
              | exists().where(StageRun.document_id == Document.id, StageRun.status == "failed"))
    found: set[str] = set()
    with runtime.db.session() as session:
        for name, pipeline in runtime.config.pipelines.items():
            last_done = exists().where(StageRun.document_id == Document.id, StageRun.status == "done",
                                       StageRun.stage == pipeline.stage_names[-1])
            found.update(session.scalars(select(Document.id).where(Document.pipeline == name, ~last_done, ~failed)))
    return found


def recover_unfinished(runtime: Runtime, dispatcher: DramatiqDispatcher) -> int:
    """Re-send documents a crash left half-done; stages are idempotent, so re-running is safe."""
    document_ids = unfinished_documents(runtime)
    for document_id in sorted(document_ids):
        stage = first_unfinished_stage(runtime, document_id)
        if stage is not None:
            dispatcher.submit(document_id, stage)
    if document_ids:
        log.info("re-enqueued %d unfinished documents", len(document_ids))
    return len(document_ids)


def recover_stalled(runtime: Runtime, dispatcher: DramatiqDispatcher, *, idle_seconds: float,
                    resent_at: dict[str, datetime] | None = None) -> int:
    """Re-send unfinished documents with no stage started for ``idle_seconds`` (a lost message).

    With a real broker messages survive a worker's crash, but a message sent after its stage's last retry can still
    be lost, and a Redis without persistence loses them all on a restart; stages are idempotent, so re-sending a
    document that was merely slow does no harm. ``resent_at`` (kept by the sweeper between calls) counts a re-send
    as activity: a document waiting behind a backlog is sent again once per ``idle_seconds``, not on every sweep.
    """
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=idle_seconds)
    resent_at = {} if resent_at is None else resent_at
    for document_id in [d for d, moment in resent_at.items() if moment < cutoff]:
        del resent_at[document_id]  # old enough not to matter any more
    candidates = unfinished_documents(runtime)
    with runtime.db.session() as session:
        last_activity = dict(session.execute(
            select(StageRun.document_id, func.max(StageRun.started_at))
            .where(StageRun.document_id.in_(candidates)).group_by(StageRun.document_id)
        ).all()) if candidates else {}
        created = dict(session.execute(select(Document.id, Document.created_at)
                                       .where(Document.id.in_(candidates))).all()) if candidates else {}
    resent = 0
    for document_id in sorted(candidates):
        moment = last_activity.get(document_id) or created.get(document_id)
        if moment is None or document_id in resent_at:
            continue
        if (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) < cutoff:
            stage = first_unfinished_stage(runtime, document_id)
            if stage is not None:
                dispatcher.submit(document_id, stage)
                resent_at[document_id] = now
                resent += 1
    if resent:
        log.warning("re-sent %d documents that made no progress for %.0f s", resent, idle_seconds)
    return resent


def sweep_stalled(runtime: Runtime, dispatcher: DramatiqDispatcher, stop: threading.Event, *,
                  idle_seconds: float = 40 * 60, every: float = 300) -> None:
    """Run ``recover_stalled`` now and then until ``stop`` (one sweeper per deployment: ``quinte watch``)."""
    resent_at: dict[str, datetime] = {}
    while not stop.wait(every):
        try:
            recover_stalled(runtime, dispatcher, idle_seconds=idle_seconds, resent_at=resent_at)
        except Exception:
            log.exception("stalled-document sweep failed; will try again")


def start_integration_tick(runtime: Runtime, dispatcher: DramatiqDispatcher, stop: threading.Event, *,
                           queues: Iterable[str] | None = None) -> threading.Thread | None:
    """In a process that consumes the webhooks queue: the actor's slow safety tick and the scheduled exports."""
    from webhooks.loop import IntegrationLoop

    if queues and dispatcher.webhooks.actor.queue_name not in queues:
        return None
    return IntegrationLoop(runtime, wake=dispatcher.webhooks.wake).start(stop)


def drop_samples(runtime: Runtime, count: int) -> None:
    """Generate sample scans into the inboxes of the pipelines that accept their types."""
    from samples.generate import generate

    staging = runtime.settings.var_dir / "samples"
    made = generate(staging, count=count, seed=7)
    by_type = {doc_type: p.inbox_folder for p in runtime.config.pipelines.values() for doc_type in p.doc_types or []}
    fallback = runtime.config.pipeline(runtime.config.default_pipeline).inbox_folder
    for sample in made:
        folder = runtime.inbox_dir / by_type.get(sample.doc_type, fallback)
        folder.mkdir(parents=True, exist_ok=True)
        # Rename into place so the watcher never sees a half-written sample.
        sample.path.replace(folder / sample.path.name)


def run_all_in_one(runtime: Runtime, *, samples: int, threads: int) -> None:
    from contracts.deadlines import run_deadline_scanner
    from core.cli import _print_admin_password
    from protocol.daily import run_daily_scheduler
    from review_ui.app import create_app

    _print_admin_password(runtime)
    dispatcher = DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
    worker = dispatcher.worker(threads=threads)  # the stage queues and the webhook dispatcher's
    worker.start()
    recover_unfinished(runtime, dispatcher)
    stop = threading.Event()
    watcher = InboxWatcher(runtime, dispatcher)
    watcher.ensure_folders()
    watcher_thread = threading.Thread(target=watcher.run, args=(stop,), name="watcher", daemon=True)
    watcher_thread.start()
    integration_thread = start_integration_tick(runtime, dispatcher, stop)
    # The daily protocol register is produced after midnight for every register (catching up on missed days).
    threading.Thread(target=run_daily_scheduler, args=(runtime, stop), name="protocol-daily", daemon=True).start()
    threading.Thread(target=run_deadline_scanner, args=(runtime, stop), name="contract-deadlines", daemon=True).start()
    if samples:
        threading.Thread(target=drop_samples, args=(runtime, samples), name="samples", daemon=True).start()
    app = create_app(runtime, dispatcher)
    print(f"quinte is up: http://{runtime.settings.host}:{runtime.settings.port}/ "
          f"(inboxes under {runtime.inbox_dir.resolve()})", flush=True)
    try:
        serve_app(app, runtime.settings.host, runtime.settings.port)  # returns on Ctrl-C / SIGTERM
    finally:
        stop.set()
        watcher_thread.join(timeout=5)
        if integration_thread is not None:
            integration_thread.join(timeout=15)  # lets a running scheduled export finish
        worker.stop()  # lets an in-flight delivery finish and be recorded
        runtime.close()
