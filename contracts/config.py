"""The `contracts:` section of pipelines.yaml: deadline warnings and matching tolerances."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config import ConfigError, PipelinesConfig


class Tolerances(BaseModel):
    """How far an invoice line may differ from the order (or DDT) line and still match."""

    model_config = ConfigDict(extra="forbid")

    quantity_pct: Decimal = Field(Decimal("0"), ge=0, description="quantity difference, % of the ordered quantity")
    price_pct: Decimal = Field(Decimal("0"), ge=0, description="unit price difference, % of the ordered price")
    price_abs: Decimal = Field(Decimal("0.01"), ge=0, description="unit price difference, currency units")


class ContractsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A deadline event is emitted this many days before each deadline.
    days_before: int = Field(30, ge=0, le=365)
    # A contract whose notice date is this close is `expiring`.
    expiring_days: int = Field(60, ge=0, le=730)
    tolerances: Tolerances = Field(default_factory=Tolerances)
    # Per pipeline overrides of the tolerances, e.g. {passive_invoices: {price_pct: 2}}.
    pipeline_tolerances: dict[str, Tolerances] = Field(default_factory=dict)

    def tolerances_for(self, pipeline: str | None) -> Tolerances:
        return self.pipeline_tolerances.get(pipeline or "", self.tolerances)


def contracts_config(config: PipelinesConfig | None) -> ContractsConfig:
    """Validate the free-form section; every problem reported at once as a ConfigError."""
    try:
        return ContractsConfig.model_validate((config.contracts if config else None) or {})
    except ValidationError as exc:
        raise ConfigError([f"pipelines.yaml: contracts: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                           for e in exc.errors()]) from exc
