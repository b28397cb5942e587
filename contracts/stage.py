"""The contracts stage: validated contracts, orders and DDTs enter the register; other records are left alone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contracts.config import contracts_config
from contracts.models import ContractEntry, PurchaseDocument
from contracts.register import register_contract
from core.after_validation import Validated, run_for_validated_records
from core.context import StageContext


class ContractsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def register_validated_contract(validated: Validated,
                                params: ContractsParams) -> ContractEntry | PurchaseDocument | None:
    """Enter one validated contract, order or DDT in the register (again on a re-approval: it updates)."""
    expiring = contracts_config(validated.runtime.config).expiring_days
    return register_contract(validated.session, validated.record_id, expiring_days=expiring)


def contracts_stage(ctx: StageContext, params: ContractsParams) -> None:
    """Register every validated record of the document; records waiting for review are registered on approval."""
    run_for_validated_records(ctx, "contracts")
