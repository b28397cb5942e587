"""The `registers:` section of pipelines.yaml: protocol registers, who registers into them, and how."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.config import ConfigError, PipelinesConfig
from core.document import check_doc_types

Direction = Literal["incoming", "outgoing", "internal"]


class RegisterConfig(BaseModel):
    """One register: a general protocol (TUDA, DPR 445/2000) or a VAT purchase register (protocollo IVA)."""

    model_config = ConfigDict(extra="forbid")

    # The mapping key is the register code (segnatura CodiceRegistro); filled in by load_registers.
    code: str = Field("", pattern=r"^[A-Za-z0-9_.\-]{0,16}$")
    description: str = ""
    administration: str = Field(min_length=1, description="IPA code of the administration (or the company's code)")
    administration_name: str = ""
    aoo: str = Field(min_length=1, description="IPA code of the AOO")
    kind: Literal["tuda", "iva"] = "tuda"
    pipelines: list[str] = Field(default_factory=list)
    # None: every document type of those pipelines.
    doc_types: list[str] | None = None
    # True: the `register` stage registers validated records, and approval registers reviewed ones.
    automatic: bool = False
    direction: Direction = "incoming"

    @field_validator("doc_types")
    @classmethod
    def _known_types(cls, value: list[str] | None) -> list[str] | None:
        return check_doc_types(value)

    def accepts(self, pipeline: str, doc_type: str | None) -> bool:
        return pipeline in self.pipelines and (self.doc_types is None or doc_type in self.doc_types)


def parse_registers(config: PipelinesConfig, *, origin: str = "pipelines.yaml") -> dict[str, RegisterConfig]:
    """Validate the free-form `registers:` section; every problem is reported at once."""
    registers: dict[str, RegisterConfig] = {}
    problems: list[str] = []
    for code, raw in (config.registers or {}).items():
        where = f"{origin}: register {code!r}"
        try:
            register = RegisterConfig.model_validate({**(raw or {}), "code": code})
        except ValidationError as exc:
            problems.extend(f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            continue
        if not register.code:
            problems.append(f"{where}: the code must not be empty")
        problems.extend(f"{where}: unknown pipeline {name!r}" for name in register.pipelines
                        if name not in config.pipelines)
        registers[code] = register
    problems.extend(_overlaps(registers, origin))
    if problems:
        raise ConfigError(problems)
    return registers


def _overlaps(registers: dict[str, RegisterConfig], origin: str) -> list[str]:
    # Two automatic registers of the same kind for one pipeline would register a document twice by accident.
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for register in registers.values():
        if not register.automatic:
            continue
        for pipeline in register.pipelines:
            for doc_type in register.doc_types or ["*"]:
                key = (pipeline, doc_type)
                if key in seen:
                    problems.append(f"{origin}: registers {seen[key]!r} and {register.code!r} both register"
                                    f" {doc_type} of pipeline {pipeline!r} automatically")
                seen[key] = register.code
    return problems


# Keyed by id() with the config kept beside it, so a recycled id never returns another config's registers.
_CACHE: dict[int, tuple[PipelinesConfig, dict[str, RegisterConfig]]] = {}


def registers_of(config: PipelinesConfig) -> dict[str, RegisterConfig]:
    """The validated registers of a loaded configuration (validated once, then cached on it)."""
    cached = _CACHE.get(id(config))
    if cached is None or cached[0] is not config:
        cached = (config, parse_registers(config))
        _CACHE[id(config)] = cached
    return cached[1]


def register_for(config: PipelinesConfig, pipeline: str, doc_type: str | None, *,
                 automatic_only: bool = False) -> RegisterConfig | None:
    """The register a record of this pipeline and type goes into, if any."""
    for register in registers_of(config).values():
        if register.accepts(pipeline, doc_type) and (register.automatic or not automatic_only):
            return register
    return None
