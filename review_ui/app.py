"""The FastAPI application: health, metrics, the JSON API and the review UI, all behind authentication."""

from __future__ import annotations

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.middleware.sessions import SessionMiddleware

from contracts.api import router as contracts_router
from core.queue import Dispatcher
from core.runtime import Runtime
from extract.api import router as memory_router
from invoicing.api import router as invoicing_router
from ocr.api import router as ocr_router
from protocol.api import router as protocol_router
from review_ui import api, ui
from review_ui.auth import TokenSigner, load_secret_key
from review_ui.metrics import render_metrics
from webhooks import web as integration


def create_app(runtime: Runtime, dispatcher: Dispatcher) -> FastAPI:
    """Build the app around an existing runtime; nothing is created at import time."""
    secret = load_secret_key(
        runtime.settings.secret_key.get_secret_value() if runtime.settings.secret_key else None,
        runtime.settings.var_dir,
    )
    app = FastAPI(title="quinte", version="0.1.0",
                  description="Back-office document capture: records, review, protocol, invoicing.")
    app.state.runtime = runtime
    app.state.dispatcher = dispatcher
    app.state.tokens = TokenSigner(secret)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="quinte_session",
                       same_site="strict", https_only=False, max_age=12 * 3600)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["health"])
    def metrics() -> Response:
        pending = getattr(dispatcher, "pending", lambda: 0)
        return Response(render_metrics(runtime, pending), media_type=CONTENT_TYPE_LATEST)

    app.include_router(api.router)
    app.include_router(protocol_router)
    app.include_router(invoicing_router)
    app.include_router(contracts_router)
    app.include_router(ocr_router)
    app.include_router(memory_router)
    ui.install(app)  # pages, static files, HTML error pages; "/" leads to the queue or sign-in
    integration.install(app)  # tokens, users, webhooks, exports, /readyz; last: wraps the error handlers
    return app
