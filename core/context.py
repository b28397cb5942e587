"""What a stage function receives: the document it works on, its pipeline, and handles to the stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from core.config import PipelineConfig
    from core.runtime import Runtime
    from storage.objects import ObjectStore


@dataclass(frozen=True, slots=True)
class StageContext:
    """A stage's view of the world; stages never read settings themselves."""

    runtime: Runtime
    document_id: str
    pipeline: PipelineConfig

    @property
    def store(self) -> ObjectStore:
        return self.runtime.store

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.runtime.db.session() as session:
            yield session
