"""The runner: runs one stage of one document, records the run, and decides what comes next or why it failed."""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime

from sqlalchemy import select

from core.context import StageContext
from core.errors import PermanentError
from core.fault_hooks import hold_after
from core.runtime import Runtime
from storage.models import Document, Event, Record, StageRun

log = logging.getLogger("quinte.runner")
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


class DocumentGone(PermanentError):
    code = "document_missing"


def run_stage(runtime: Runtime, document_id: str, stage_name: str, *, attempt: int = 1,
              final_attempt: bool = True) -> str | None:
    """Run one stage; return the next stage's name, or None when the document is finished or failed.

    A non-permanent exception on a non-final attempt is re-raised so the queue retries it with backoff.
    """
    with runtime.db.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise DocumentGone(f"document {document_id} does not exist")
        pipeline = runtime.config.pipeline(document.pipeline)
        run = StageRun(document_id=document_id, stage=stage_name, attempt=attempt, status="running",
                       worker=WORKER_NAME)
        session.add(run)
        session.flush()
        run_id = run.id
    spec = runtime.registry[stage_name]
    context = StageContext(runtime=runtime, document_id=document_id, pipeline=pipeline)
    started = time.perf_counter()
    extra = {"document_id": document_id, "stage": stage_name, "attempt": attempt}
    out_of_memory = False
    try:
        spec.run(context, pipeline.params(stage_name))
    except MemoryError:
        # Handled below: leaving this block drops the traceback, and with it the buffers that filled memory.
        out_of_memory = True
    except PermanentError as exc:
        log.warning("stage failed permanently: %s", exc, extra=extra)
        _finish(runtime, run_id, started, "failed", str(exc))
        fail_document(runtime, document_id, exc.code, str(exc))
        return None
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if not final_attempt:
            log.info("stage will be retried: %s", message, extra=extra)
            _finish(runtime, run_id, started, "retrying", message)
            raise
        log.exception("stage failed after %d attempts", attempt, extra=extra)
        _finish(runtime, run_id, started, "failed", message)
        fail_document(runtime, document_id, "stage_failed", f"{stage_name} failed after {attempt} attempts: {message}")
        return None
    if out_of_memory:
        _fail_out_of_memory(runtime, run_id, started, document_id, stage_name)
        return None
    hold_after(stage_name, document_id)  # a no-op unless a fault test asks for it (core/fault_hooks.py)
    _finish(runtime, run_id, started, "done", None)
    return pipeline.next_stage(stage_name)


def _fail_out_of_memory(runtime: Runtime, run_id: int, started: float, document_id: str, stage_name: str) -> None:
    """A stage that hit the worker's memory limit would hit it again: a permanent failure, never a retry."""
    message = (f"{stage_name} needed more memory than this worker may use; the document is too large "
               "to process safely (split it, or scan at a lower resolution)")
    log.warning("stage ran out of memory", extra={"document_id": document_id, "stage": stage_name})
    _finish(runtime, run_id, started, "failed", message)
    fail_document(runtime, document_id, "too_large", message)


def _finish(runtime: Runtime, run_id: int, started: float, status: str, error: str | None) -> None:
    with runtime.db.session() as session:
        run = session.get(StageRun, run_id)
        if run is None:
            return
        run.status = status
        run.error = error
        run.finished_at = datetime.now(UTC)
        run.duration_ms = int((time.perf_counter() - started) * 1000)


def fail_document(runtime: Runtime, document_id: str, code: str, message: str) -> None:
    """Mark every record of the document failed with a reason an operator can read."""
    with runtime.db.session() as session:
        records = session.scalars(select(Record).where(Record.document_id == document_id)).all()
        for record in records:
            if record.status in {"validated", "rejected"}:
                continue  # a person's decision stands; a late machine failure does not undo it
            record.status = "failed"
            record.error_code = code
            record.error_message = message
            record.version += 1
            record.updated_at = datetime.now(UTC)
        session.add(Event(kind="document.failed", document_id=document_id, data={"code": code, "message": message}))


def first_unfinished_stage(runtime: Runtime, document_id: str) -> str | None:
    """The first stage of the document's pipeline with no successful run (for recovery after a crash)."""
    with runtime.db.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            return None
        done = set(session.scalars(
            select(StageRun.stage).where(StageRun.document_id == document_id, StageRun.status == "done")
        ))
        for name in runtime.config.pipeline(document.pipeline).stage_names:
            if name not in done:
                return name
    return None


def run_document_inline(runtime: Runtime, document_id: str, first_stage: str | None = None,
                        *, attempts: int = 3, backoff: float = 0.5) -> None:
    """Run every remaining stage in this thread, retrying transient failures (batch mode and tests)."""
    stage = first_stage or first_unfinished_stage(runtime, document_id)
    while stage is not None:
        for attempt in range(1, attempts + 1):
            try:
                stage = run_stage(runtime, document_id, stage, attempt=attempt, final_attempt=attempt == attempts)
                break
            except Exception:
                time.sleep(backoff * 2 ** (attempt - 1))
