"""Consistent error bodies for the API: ``{"detail": …, "code": …}``, where ``code`` is stable for programs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/api"
Handler = Callable[[Request, Exception], Awaitable[Response]]


def error_code(status_code: int) -> str:
    """``not_found``, ``conflict``, ``unprocessable_content``…: the HTTP reason phrase as an identifier."""
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return f"http_{status_code}"
    return "".join(c if c.isalnum() else "_" for c in phrase.lower())


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
