"""The review UI's pages: sign-in, account, intake log; mounts the queue and record views and the static files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from review_ui import api_review, csrf, queue, record_view, ui_contracts, ui_invoicing, ui_protocol, ui_webhooks
from review_ui.auth import (
    Principal,
    authenticate,
    end_sessions,
    hash_password,
    principal_for,
    session_principal,
    start_session,
    verify_password,
)
from review_ui.deps import CurrentPrincipal, RuntimeDep, SessionDep, require
from review_ui.pages import HERE, is_htmx, landing, render, safe_next
from storage.models import Event, Intake, Record, User

router = APIRouter(include_in_schema=False)
Operator = Annotated[Principal, Depends(require("documents:write"))]
NOT_UI = ("/api", "/docs", "/redoc", "/openapi.json", "/healthz", "/metrics", "/static")
INTAKE_PAGE = 50


def install(app: FastAPI) -> None:
    """Add the UI to the app: its routes, its static files and HTML error pages for browser paths."""
    app.include_router(api_review.router)
    app.include_router(router)
    app.include_router(queue.router)
    app.include_router(record_view.router)
    for module in (ui_protocol, ui_invoicing, ui_contracts, ui_webhooks):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(StarletteHTTPException, _errors)


async def _errors(request: Request, exc: Exception) -> Response:
    """JSON for the API as before; for pages, a sign-in redirect on 401 and an HTML page otherwise."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(NOT_UI):
        return await http_exception_handler(request, exc)
    if exc.status_code == status.HTTP_401_UNAUTHORIZED:
        target = f"/login?next={request.url.path}"
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                  status_code=exc.status_code)


def _optional_principal(request: Request, runtime: RuntimeDep) -> Principal | None:
    return session_principal(runtime.db, request.session)


@router.get("/")
def home(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    principal = _optional_principal(request, runtime)
    return RedirectResponse(landing(principal) if principal else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request, runtime: RuntimeDep, next: str | None = None) -> Response:
    principal = _optional_principal(request, runtime)
    if principal is not None:
        return RedirectResponse(safe_next(next) or landing(principal), status_code=303)
    return render(request, "login.html", {"next": safe_next(next) or ""})


@router.post("/login", dependencies=[Depends(csrf.check)])
def login(request: Request, runtime: RuntimeDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "") -> Response:
    user = authenticate(runtime.db, username, password)
    if user is None:
        return render(request, "login.html", {"next": safe_next(next) or "", "username": username,
                                              "error": "Wrong username or password."}, status_code=401)
    # A new session on every sign-in: nothing planted before login (fixation) survives it.
    request.session.clear()
    start_session(request.session, user)
    csrf.rotate(request)
    return RedirectResponse(safe_next(next) or landing(principal_for(user)), status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.check)])
def logout(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    # Signing out ends the user's sessions everywhere, so a copy of this cookie taken earlier is worthless too.
    principal = session_principal(runtime.db, request.session)
    if principal is not None:
        with runtime.db.session() as session:
            user = session.get(User, principal.user_id)
            if user is not None:
                end_sessions(user)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account")
def account(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "account.html", principal=principal)


@router.post("/account/password")
def change_password(request: Request, principal: CurrentPrincipal, session: SessionDep,
                    current: Annotated[str, Form()], new: Annotated[str, Form()],
                    confirm: Annotated[str, Form()]) -> Response:
    user = session.get(User, principal.user_id)
    error = None
    if user is None or not verify_password(user.password_hash, current):
        error = "The current password is wrong."
    elif new != confirm:
        error = "The new passwords differ."
    elif len(new) < 12:
        error = "Passwords must be at least 12 characters long."
    if error:
        return render(request, "account.html", {"error": error}, principal=principal, status_code=400)
    assert user is not None
    user.password_hash = hash_password(new)
    # Sessions opened with the old password (another browser, a stolen cookie) end; this one goes on.
    end_sessions(user)
    start_session(request.session, user)
    session.add(Event(kind="user.password_changed", actor=principal.username, via="ui", data={}))
    csrf.rotate(request)
    return render(request, "account.html", {"message": "Password changed."}, principal=principal)


def _intake_rows(session: SessionDep, page: int) -> tuple[list[dict[str, object]], bool]:
    query = (select(Intake, Record.id, Record.status)
             .outerjoin(Record, (Record.document_id == Intake.document_id) & (Record.body_index == 0))
             .order_by(Intake.received_at.desc(), Intake.id.desc())
             .offset(page * INTAKE_PAGE).limit(INTAKE_PAGE + 1))
    rows = [{"intake": intake, "record_id": record_id, "record_status": record_status}
            for intake, record_id, record_status in session.execute(query)]
    return rows[:INTAKE_PAGE], len(rows) > INTAKE_PAGE


@router.get("/intake")
def intake(request: Request, principal: Operator, session: SessionDep, runtime: RuntimeDep,
           page: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The intake log: every file that entered and what became of it, with an upload form."""
    rows, more = _intake_rows(session, page)
    context = {"rows": rows, "page": page, "more": more, "pipelines": list(runtime.config.pipelines),
               "default_pipeline": runtime.config.default_pipeline}
    name = "_intake_log.html" if is_htmx(request) else "intake.html"
    return render(request, name, context, principal=principal)
