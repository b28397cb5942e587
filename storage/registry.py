"""The one list of modules that define tables, so Alembic and create_all see every model."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("storage.models", "review_ui.models", "protocol.models", "invoicing.models", "webhooks.models",
                 "contracts.models", "extract.models")


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
