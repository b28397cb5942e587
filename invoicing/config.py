"""The `invoicing:` section of pipelines.yaml: our company, its bank account, the FatturaPA schema, payment defaults."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core.config import ConfigError, PipelinesConfig
from invoicing.fatturapa_out import Address
from invoicing.values import compact_id

if TYPE_CHECKING:
    from core.runtime import Runtime

DEFAULT_SCHEMA = Path("../shared/data/fatturapa/FatturaPA_v1.2.2.xsd")


class BankAccount(BaseModel):
    """The company's account: the debtor of payment runs and the IBAN printed on our invoices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=70)
    iban: str
    bic: str | None = None

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        try:
            # validate_bban also checks the Italian CIN, which the mod-97 check alone misses.
            return IBAN(compact_id(value), validate_bban=True).compact
        except SchwiftyException as exc:
            raise ValueError(f"invalid IBAN {value!r}: {exc}") from exc

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(BIC(compact_id(value)))
        except SchwiftyException as exc:
            raise ValueError(f"invalid BIC {value!r}: {exc}") from exc


class Company(BaseModel):
    """Who we are on outgoing invoices (CedentePrestatore)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    vat_id: str
    tax_code: str | None = None
    regime_fiscale: str = "RF01"
    address: Address


class InvoicingConfig(BaseModel):
    """Validated `invoicing:` section; every key has an embedded default except the company and the account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fatturapa_schema: Path = DEFAULT_SCHEMA
    company: Company | None = None
    bank_account: BankAccount | None = None
    # Series of outgoing invoice numbers; the first is used when a request names none.
    series: list[str] = Field(default_factory=lambda: ["A"], min_length=1)
    # Register outgoing invoices in this protocol register (None: no outgoing registration).
    outgoing_register: str | None = None
    # Italian law (D.Lgs. 231/2002) presumes 30 days when an invoice states no term.
    default_payment_days: int = Field(30, ge=0, le=365)

    @field_validator("series")
    @classmethod
    def _series(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.isalnum() or len(name) > 6:
                raise ValueError(f"series {name!r} must be 1-6 letters or digits")
        return value


def parse_invoicing(config: PipelinesConfig, *, origin: str = "pipelines.yaml") -> InvoicingConfig:
    try:
        return InvoicingConfig.model_validate(config.invoicing or {})
    except ValidationError as exc:
        raise ConfigError([f"{origin}: invoicing: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                           for e in exc.errors()]) from None


# Keyed by id() with the config kept beside it, so a recycled id never returns another config's section.
_CACHE: dict[int, tuple[PipelinesConfig, InvoicingConfig]] = {}


def invoicing_of(config: PipelinesConfig) -> InvoicingConfig:
    """The validated invoicing section of a loaded configuration (validated once, then cached)."""
    cached = _CACHE.get(id(config))
    if cached is None or cached[0] is not config:
        cached = (config, parse_invoicing(config))
        _CACHE[id(config)] = cached
    return cached[1]


def schema_path(runtime: Runtime) -> Path:
    """The FatturaPA XSD: a relative path is taken from pipelines.yaml's folder, else from the working folder."""
    path = invoicing_of(runtime.config).fatturapa_schema
    if path.is_absolute():
        return path
    beside = Path(runtime.settings.pipelines).parent / path
    return beside if beside.exists() else path
