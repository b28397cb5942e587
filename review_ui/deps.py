"""FastAPI dependencies: the runtime, a database session, and the caller with a permission check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from core.runtime import Runtime
from review_ui import csrf
from review_ui.auth import Principal, principal_for, session_principal
from storage.models import User
from webhooks.tokens import is_api_token, principal_for_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.db.session() as session:
        yield session


# Function scope: the unit of work commits before the response is sent, so a client never reads ahead of it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_principal(request: Request, runtime: RuntimeDep,
                      token: Annotated[str | None, Depends(oauth2_scheme)],
                      _csrf: Annotated[None, Depends(csrf.check_cookie_session)]) -> Principal:
    """The caller from a bearer token or, for people in the browser, the signed session cookie.

    Unsafe calls made with the cookie must carry the session's CSRF token (checked by ``_csrf``).
    """
    user_id = None
    if token and is_api_token(token):
        # A long-lived API token: its scopes narrow its creator's role; a revoked one is simply unknown.
        principal = principal_for_token(runtime.db, token)
        if principal is not None:
            return principal
    elif token:
        user_id = request.app.state.tokens.user_id(token)
    elif "user_id" in request.session:
        principal = session_principal(runtime.db, request.session)
        if principal is not None:
            return principal
    if user_id is not None:
        with runtime.db.session() as session:
            user = session.get(User, user_id)
            if user is not None and user.active:
                return principal_for(user)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required",
                        headers={"WWW-Authenticate": "Bearer"})


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that lets the call through only when the caller holds ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"your role ({principal.role}) may not do this")
        return principal

    return check
