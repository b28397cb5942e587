"""After validation: the effects of the pipeline's post-route stages on one validated record, in stage order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.counters import take_write_lock
from storage.models import Record

if TYPE_CHECKING:
    from core.context import StageContext
    from core.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Validated:
    """What a post-validation effect receives: the caller's transaction, the record, and who validated it."""

    session: Session
    runtime: Runtime
    record_id: str
    actor: str


def after_validation(session: Session, runtime: Runtime, record_id: str, actor: str, *,
                     only: str | None = None) -> dict[str, object]:
    """Run the ``on_validated`` effect of each stage of the record's pipeline, in the pipeline's order.

    Everything happens in ``session``, so approval and its effects commit or fail together. Every effect is
    idempotent (a rerun after a crash finds its earlier work and changes nothing). An effect may send the record
    back to review (order matching does): the later effects then wait for the next approval. ``only`` runs one
    stage's effect (the runner, one stage at a time). Returns each effect's result by stage name.
    """
    record = session.get(Record, record_id)
    if record is None:
        return {}
    pipeline = runtime.config.pipeline(record.pipeline)
    results: dict[str, object] = {}
    for name in pipeline.stage_names:
        spec = runtime.registry[name]
        if spec.on_validated is None or (only is not None and name != only):
            continue
        if record.status != "validated":
            break
        results[name] = spec.on_validated(Validated(session, runtime, record_id, actor), pipeline.params(name))
    return results


def run_for_validated_records(ctx: StageContext, stage_name: str) -> dict[str, object]:
    """The runner's side of one post-validation stage: its effect on each validated record, one transaction each.

    Records waiting for review are left alone; approval runs the same effects through ``after_validation``.
    """
    with ctx.session() as session:
        record_ids = list(session.scalars(select(Record.id).where(
            Record.document_id == ctx.document_id, Record.status == "validated").order_by(Record.created_at,
                                                                                          Record.id)))
    results: dict[str, object] = {}
    for record_id in record_ids:
        with ctx.session() as session:
            take_write_lock(session)  # SQLite: an effect may number a register, and the lock must be taken first
            results[record_id] = after_validation(session, ctx.runtime, record_id, "system",
                                                  only=stage_name).get(stage_name)
    return results
