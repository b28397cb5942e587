"""The contracts stage: validated contracts, orders and DDTs enter the register; other records are left alone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from contracts.config import contracts_config
from contracts.register import register_contract
from core.context import StageContext
from storage.models import Record


class ContractsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def contracts_stage(ctx: StageContext, params: ContractsParams) -> None:
    """Register every validated record of the document; records waiting for review are registered on approval."""
    expiring = contracts_config(ctx.runtime.config).expiring_days
    with ctx.session() as session:
        ids = list(session.scalars(select(Record.id).where(Record.document_id == ctx.document_id,
                                                           Record.status == "validated")))
        for record_id in ids:
            register_contract(session, record_id, expiring_days=expiring)
