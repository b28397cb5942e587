"""The ``webhooks:`` and ``exports:`` sections of pipelines.yaml, validated here (core.config only reserves them)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.config import ConfigError, PipelinesConfig

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class WebhooksConfig(BaseModel):
    """How the dispatcher paces itself and when it gives up on a delivery."""

    model_config = ConfigDict(extra="forbid")

    # Seconds between two passes of `quinte webhooks dispatch`; also how soon the actor looks again at events held
    # back behind a transaction that has not committed yet.
    interval_seconds: float = Field(2.0, gt=0, le=3600)
    # Seconds between two safety messages to the dispatch actor (commits and backoff wake it; this catches a lost
    # message), which also run the scheduled exports that are due.
    tick_seconds: float = Field(60.0, gt=0, le=3600)
    # A delivery not accepted this long after it was created is dead-lettered (default: three days).
    dead_after_seconds: float = Field(3 * 24 * 3600, gt=0)
    backoff_base_seconds: float = Field(5.0, gt=0)
    backoff_max_seconds: float = Field(3600.0, gt=0)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    batch_size: int = Field(50, ge=1, le=1000)
    # Upper bound on how long an id gap (PostgreSQL: a transaction not yet committed) holds the cursor back.
    gap_grace_seconds: float = Field(300.0, ge=0)
    # A claimed delivery whose sender died is retried after this long.
    claim_seconds: float = Field(120.0, gt=0)

    @model_validator(mode="after")
    def _claim_outlasts_a_request(self) -> WebhooksConfig:
        # A sender stops before its claim runs out; a claim shorter than one request would never send anything.
        if self.claim_seconds <= self.timeout_seconds:
            raise ValueError("claim_seconds must be longer than timeout_seconds")
        return self


class ExportConfig(BaseModel):
    """A scheduled export: records updated since the last run, written as one file per run."""

    model_config = ConfigDict(extra="forbid")

    name: str
    pipeline: str | None = None
    format: Literal["csv", "jsonl"] = "jsonl"
    every_minutes: float = Field(60.0, gt=0)
    # A folder on this machine, or a key prefix in the object store (QUINTE_STORAGE_URL).
    folder: str | None = None
    object_prefix: str | None = None

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lower-case letters, digits, _ or -")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> ExportConfig:
        if (self.folder is None) == (self.object_prefix is None):
            raise ValueError("give exactly one of folder or object_prefix")
        return self


def webhooks_config(config: PipelinesConfig) -> WebhooksConfig:
    try:
        return WebhooksConfig.model_validate(config.webhooks)
    except ValidationError as exc:
        raise ConfigError([f"pipelines.yaml: webhooks: {_describe(exc)}"]) from None


def exports_config(config: PipelinesConfig) -> list[ExportConfig]:
    try:
        exports = [ExportConfig.model_validate(item) for item in config.exports]
    except ValidationError as exc:
        raise ConfigError([f"pipelines.yaml: exports: {_describe(exc)}"]) from None
    names = [export.name for export in exports]
    problems = [f"pipelines.yaml: exports: {name!r} is listed twice" for name in set(names) if names.count(name) > 1]
    problems += [f"pipelines.yaml: exports: {export.name!r}: unknown pipeline {export.pipeline!r}"
                 for export in exports if export.pipeline and export.pipeline not in config.pipelines]
    if problems:
        raise ConfigError(problems)
    return exports


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
