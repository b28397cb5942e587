"""The stage registry: stage names mapped to small functions and their typed parameter models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from core.after_validation import Validated
    from core.context import StageContext


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


StageFunction = Callable[["StageContext", Any], None]
# A post-validation stage's effect on one validated record, inside the caller's transaction (core/after_validation.py).
ValidatedEffect = Callable[["Validated", Any], object]


@dataclass(frozen=True, slots=True)
class StageSpec:
    """A stage: what it is called, what it runs, which parameters it takes, which queue it runs on."""

    name: str
    run: StageFunction
    params: type[BaseModel]
    queue: str = "default"
    description: str = ""
    # Set for stages that act on validated records (register, payable, contracts): the one place their effect is
    # written, run by the stage for records validated automatically and by approval for the others.
    on_validated: ValidatedEffect | None = None


class StageRegistry:
    """Stages are registered explicitly by name; nothing is discovered by magic."""

    def __init__(self) -> None:
        self._stages: dict[str, StageSpec] = {}

    def register(self, spec: StageSpec) -> StageSpec:
        if spec.name in self._stages:
            raise ValueError(f"stage {spec.name!r} registered twice")
        self._stages[spec.name] = spec
        return spec

    def get(self, name: str) -> StageSpec | None:
        return self._stages.get(name)

    def __getitem__(self, name: str) -> StageSpec:
        return self._stages[name]

    def names(self) -> list[str]:
        return sorted(self._stages)

    def queues(self) -> set[str]:
        return {spec.queue for spec in self._stages.values()}
