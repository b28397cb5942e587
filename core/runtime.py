"""The process-wide runtime: settings, pipelines, database, object store and stage registry, built in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.config import PipelinesConfig, load_pipelines
from core.registry import StageRegistry
from core.sections import validate_sections
from core.settings import Settings
from core.stages import build_registry
from storage.db import Database
from storage.objects import ObjectStore, open_object_store


@dataclass
class Runtime:
    """Everything a process needs to run stages; built once per process, never at import time."""

    settings: Settings
    config: PipelinesConfig
    registry: StageRegistry
    db: Database
    store: ObjectStore
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def inbox_dir(self) -> Path:
        return self.settings.inbox_dir

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Validate configuration, connect the stores and (by default) bring the schema up to date."""
    registry = build_registry()
    config = load_pipelines(settings.pipelines, registry)
    validate_sections(config)
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    store = open_object_store(
        settings.storage_url,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
    )
    return Runtime(settings=settings, config=config, registry=registry, db=db, store=store)
