"""Consistent error bodies for the API: ``{"detail": …, "code": …}``, where ``code`` is stable for programs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/api"
Handler = Callable[[Request, Exception], Awaitable[Response]]


# Spelled out rather than taken from http.HTTPStatus, whose phrases change between Python versions.
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "too_large", 415: "unsupported_media_type", 422: "unprocessable",
    423: "locked", 429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


def error_code(status_code: int) -> str:
    """A stable identifier for programs: ``not_found``, ``conflict``, ``unprocessable``…"""
    return CODES.get(status_code, f"http_{status_code}")


def install_error_bodies(app: FastAPI) -> None:
    """Wrap whatever handlers are installed (the UI renders HTML errors for pages) so API errors carry a code.

    Call after the other handlers are added: it keeps them for paths outside the API.
    """
    previous_http: Handler = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
    previous_validation: Handler = app.exception_handlers.get(RequestValidationError,
                                                              request_validation_exception_handler)

    async def on_http(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(API_PREFIX) or not isinstance(exc, StarletteHTTPException):
            return await previous_http(request, exc)
        return JSONResponse({"detail": exc.detail, "code": error_code(exc.status_code)}, exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def on_validation(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(API_PREFIX) or not isinstance(exc, RequestValidationError):
            return await previous_validation(request, exc)
        return JSONResponse({"detail": jsonable_encoder(exc.errors()), "code": "invalid_request"}, 422)

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    _document_error_body(app)


def _document_error_body(app: FastAPI) -> None:
    """Say in the OpenAPI schema what a 422 really carries: a list of problems or one message, and the code."""
    build = app.openapi
    patched: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not patched:
            patched.append(True)
            model = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if model is not None:
                listed = {key: value for key, value in model["properties"]["detail"].items() if key != "title"}
                model["properties"]["detail"] = {"title": "Detail", "anyOf": [listed, {"type": "string"}]}
                model["properties"]["code"] = {"title": "Code", "type": "string"}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
