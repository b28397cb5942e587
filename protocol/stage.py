"""The register stage: validated records of a pipeline with an automatic register are protocolled at once."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field

from core.after_validation import Validated, run_for_validated_records
from core.context import StageContext
from core.errors import PermanentError
from protocol.config import registers_of
from protocol.models import ProtocolEntry
from protocol.service import DayClosed, register_record
from protocol.stamp import archive_stamped_copy

log = logging.getLogger("quinte.protocol")


class RegisterParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # None: the automatic register pipelines.yaml assigns to the record's pipeline and document type.
    # Spelled `register` in pipelines.yaml; the attribute name avoids shadowing pydantic's own.
    register_code: str | None = Field(None, alias="register")
    # Also archive the stamped PDF copy right away (otherwise it is made on first request).
    stamp: bool = True


def register_validated(validated: Validated, params: RegisterParams) -> ProtocolEntry | None:
    """Protocol one validated record in the caller's transaction; at most once per register."""
    return register_record(validated.session, validated.record_id, validated.actor,
                           config=validated.runtime.config, register_code=params.register_code)


def register_stage(ctx: StageContext, params: RegisterParams) -> None:
    """Register every validated record of the document; records waiting for review are registered on approval."""
    try:
        entries = run_for_validated_records(ctx, "register")
    except DayClosed as exc:
        raise PermanentError(str(exc), code="protocol_day_closed") from exc
    for entry in entries.values():
        if isinstance(entry, ProtocolEntry) and params.stamp:
            _stamp(ctx, entry)


def _stamp(ctx: StageContext, entry: ProtocolEntry) -> None:
    register = registers_of(ctx.runtime.config).get(entry.register)
    with ctx.session() as session:
        archive_stamped_copy(session, ctx.store, entry, register.administration_name if register else "")
