"""pipelines.yaml: the pipelines, their inboxes, stages and typed stage parameters, validated with clear messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from core.document import check_doc_types
from core.registry import StageRegistry

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ConfigError(ValueError):
    """pipelines.yaml is wrong; the message lists every problem with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class StageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class IntakeConfig(BaseModel):
    """How files are taken from the inbox."""

    model_config = ConfigDict(extra="forbid")

    # A file is taken once its size and mtime have not changed for this long (scanners write slowly).
    stable_seconds: float = Field(2.0, ge=0.1, le=3600)
    # What happens to the inbox file once its original is safely stored.
    after: Literal["move", "delete"] = "move"
    max_bytes: int = Field(200 * 1024 * 1024, ge=1)
    max_pages: int = Field(500, ge=1)


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    inbox: str | None = None
    doc_types: list[str] | None = None
    stages: list[StageConfig]
    intake: IntakeConfig = Field(default_factory=IntakeConfig)

    _params: list[BaseModel] = PrivateAttr(default_factory=list)

    @field_validator("doc_types")
    @classmethod
    def _known_types(cls, value: list[str] | None) -> list[str] | None:
        return check_doc_types(value)

    @property
    def inbox_folder(self) -> str:
        return self.inbox or self.name

    @property
    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def params(self, stage_name: str) -> BaseModel:
        """The validated parameters of a stage of this pipeline."""
        return self._params[self.stage_names.index(stage_name)]

    def next_stage(self, stage_name: str) -> str | None:
        index = self.stage_names.index(stage_name)
        return self.stage_names[index + 1] if index + 1 < len(self.stages) else None


class PipelinesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    default_pipeline: str = "auto"
    pipelines: dict[str, PipelineConfig]
    # Sections owned by other modules (protocol registers, invoicing, contracts), validated by them.
    registers: dict[str, Any] = Field(default_factory=dict)
    invoicing: dict[str, Any] = Field(default_factory=dict)
    contracts: dict[str, Any] = Field(default_factory=dict)
    webhooks: dict[str, Any] = Field(default_factory=dict)
    exports: list[dict[str, Any]] = Field(default_factory=list)

    def pipeline(self, name: str) -> PipelineConfig:
        try:
            return self.pipelines[name]
        except KeyError:
            raise ConfigError([f"unknown pipeline {name!r} (known: {', '.join(self.pipelines)})"]) from None


def _format_error(where: str, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        problems.append(f"{where}{': ' + location if location else ''}: {item['msg']}")
    return problems


def parse_pipelines(data: Any, registry: StageRegistry, *, origin: str = "pipelines.yaml") -> PipelinesConfig:
    """Validate parsed YAML against the schema and every stage's parameter model."""
    if not isinstance(data, dict):
        raise ConfigError([f"{origin}: expected a mapping with a 'pipelines' key"])
    try:
        config = PipelinesConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(origin, exc)) from None
    problems: list[str] = []
    folders: dict[str, str] = {}
    for name, pipeline in config.pipelines.items():
        pipeline.name = name
        where = f"{origin}: pipeline {name!r}"
        if not _NAME.match(name):
            problems.append(f"{where}: name must be lower-case letters, digits and _")
        if pipeline.inbox_folder in folders:
            other = folders[pipeline.inbox_folder]
            problems.append(f"{where}: inbox {pipeline.inbox_folder!r} is also used by {other!r}")
        folders[pipeline.inbox_folder] = name
        if not _NAME.match(pipeline.inbox_folder):
            problems.append(f"{where}: inbox must be a simple folder name (letters, digits, _)")
        if not pipeline.stages:
            problems.append(f"{where}: needs at least one stage")
        params: list[BaseModel] = []
        for position, stage in enumerate(pipeline.stages, start=1):
            stage_where = f"{where}, stage {position} {stage.name!r}"
            spec = registry.get(stage.name)
            if spec is None:
                problems.append(f"{stage_where}: unknown stage (known: {', '.join(registry.names())})")
                continue
            try:
                params.append(spec.params.model_validate(stage.params))
            except ValidationError as exc:
                problems.extend(_format_error(stage_where, exc))
        if len(set(pipeline.stage_names)) != len(pipeline.stage_names):
            problems.append(f"{where}: a stage is listed twice")
        pipeline._params = params
    if config.default_pipeline not in config.pipelines:
        problems.append(f"{origin}: default_pipeline {config.default_pipeline!r} is not defined")
    if problems:
        raise ConfigError(problems)
    return config


def load_pipelines(path: Path, registry: StageRegistry) -> PipelinesConfig:
    """Read and validate pipelines.yaml; every problem is reported at once with its location."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        where = "" if path.is_absolute() else f" (looked in {path.resolve().parent}; QUINTE_PIPELINES sets its path)"
        raise ConfigError([f"{path}: cannot read: {exc.strerror}{where}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    return parse_pipelines(data, registry, origin=str(path))
