"""Shared pieces of the server-rendered pages: the Jinja2 environment, rendering with security headers, helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from review_ui import csrf
from review_ui.auth import Principal

HERE = Path(__file__).resolve().parent
# Autoescaping always on: every value a document or a person typed is escaped on output.
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True))
# Only our own scripts and styles: an injected tag or handler attribute would not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
DOC_TYPES = ("invoice", "credit_note", "receipt", "contract", "order", "delivery_note", "timesheet", "other")


def age(moment: datetime | None) -> str:
    """How long ago, in the largest sensible unit."""
    if moment is None:
        return ""
    seconds = (datetime.now(UTC) - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "just now"


def stamp(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["age"] = age
templates.env.filters["stamp"] = stamp


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           principal: Principal | None = None, status_code: int = 200) -> HTMLResponse:
    """A page or fragment with the caller, the CSRF token and the security headers every page carries."""
    values = {"principal": principal, "csrf_token": csrf.csrf_token(request), **(context or {})}
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def landing(principal: Principal) -> str:
    """Where a person starts: reviewers at the queue, operators at the intake log."""
    if principal.can("review"):
        return "/queue"
    if principal.can("documents:write"):
        return "/intake"
    return "/account"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (an open redirect after login)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
