"""Plugging the integration module into the FastAPI app: its API, /readyz and the API error bodies."""

from __future__ import annotations

from fastapi import FastAPI

from webhooks import api, health
from webhooks.errors import install_error_bodies


def install(app: FastAPI) -> None:
    """Call last in create_app: the error bodies wrap the handlers installed before."""
    app.include_router(api.router)
    app.include_router(health.router)
    install_error_bodies(app)
