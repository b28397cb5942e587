"""The register stage: validated records of a pipeline with an automatic register are protocolled at once."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.context import StageContext
from core.errors import PermanentError
from protocol.config import registers_of
from protocol.models import ProtocolEntry
from protocol.service import DayClosed, register_record
from protocol.stamp import archive_stamped_copy
from storage.models import Record

log = logging.getLogger("quinte.protocol")


class RegisterParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # None: the automatic register pipelines.yaml assigns to the record's pipeline and document type.
    # Spelled `register` in pipelines.yaml; the attribute name avoids shadowing pydantic's own.
    register_code: str | None = Field(None, alias="register")
    # Also archive the stamped PDF copy right away (otherwise it is made on first request).
    stamp: bool = True


def register_stage(ctx: StageContext, params: RegisterParams) -> None:
    """Register every validated record of the document; records waiting for review are registered on approval."""
    with ctx.session() as session:
        record_ids = list(session.scalars(select(Record.id).where(Record.document_id == ctx.document_id,
                                                                  Record.status == "validated")))
    for record_id in record_ids:
        try:
            entry = register_record(ctx.runtime, record_id, "system", register_code=params.register_code)
        except DayClosed as exc:
            raise PermanentError(str(exc), code="protocol_day_closed") from exc
        if entry is not None and params.stamp:
            _stamp(ctx, entry)


def _stamp(ctx: StageContext, entry: ProtocolEntry) -> None:
    register = registers_of(ctx.runtime.config).get(entry.register)
    with ctx.session() as session:
        archive_stamped_copy(session, ctx.store, entry, register.administration_name if register else "")
