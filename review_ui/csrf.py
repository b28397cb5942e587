"""CSRF protection for cookie sessions: a per-session token sent back in a form field or the X-CSRF-Token header."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, status

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (also before login, so the login form is protected too)."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def rotate(request: Request) -> str:
    """A fresh token, for a new session after login."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return request.session[SESSION_KEY]


def _has_bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


async def _sent_token(request: Request) -> str | None:
    token = request.headers.get(HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        # Starlette caches the parsed form, so the endpoint still gets its fields and files.
        value = (await request.form()).get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or wrong, whatever the session holds."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = await _sent_token(request)
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or invalid CSRF token; reload the page and retry")


async def check_cookie_session(request: Request) -> None:
    """The API's rule: cookie-session callers need the token; bearer callers are exempt (browsers never add one)."""
    if _has_bearer(request) or "user_id" not in request.session:
        return
    await check(request)
