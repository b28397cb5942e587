"""The integration API: API tokens, users, webhook subscriptions with their delivery log, record exports."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.records import iso
from review_ui.auth import ROLES, Principal, hash_password
from review_ui.deps import RuntimeDep, SessionDep, require
from storage.models import Event, User
from webhooks.delivery import retry
from webhooks.exports import records_query, render
from webhooks.models import ApiToken, WebhookDelivery, WebhookSubscription
from webhooks.outbox import EVENT_TYPES, last_event_id
from webhooks.tokens import SCOPES, new_token, token_hash

router = APIRouter(prefix="/api")
Admin = Annotated[Principal, Depends(require("admin"))]
Reader = Annotated[Principal, Depends(require("records:read"))]
# A tuple inside Literal[...] spreads into its members: the OpenAPI enums follow the one list of each.
Scope = Literal[SCOPES]  # type: ignore[valid-type]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]


def _audit(request: Request, principal: Principal, kind: str, data: dict[str, object]) -> Event:
    return Event(kind=kind, actor=principal.username, via=request.headers.get("X-Quinte-Via", "api")[:32], data=data)


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")


# ---- API tokens -----------------------------------------------------------------------------------------------

class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    scopes: list[Scope] = Field(min_length=1)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    user: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; only its hash is kept")


def _token_out(row: ApiToken, username: str) -> TokenOut:
    return TokenOut(id=row.id, name=row.name, prefix=row.prefix, scopes=list(row.scopes or []), user=username,
                    created_at=iso(row.created_at), last_used_at=iso(row.last_used_at),
                    revoked_at=iso(row.revoked_at))


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"])
def create_token(body: TokenCreate, session: SessionDep, principal: Admin, request: Request) -> TokenCreated:
    """A long-lived token acting as the calling admin, limited to ``scopes``."""
    token = new_token()
    row = ApiToken(name=body.name, token_hash=token_hash(token), prefix=token[:10], scopes=sorted(set(body.scopes)),
                   user_id=principal.user_id)
    session.add(row)
    session.flush()
    session.add(_audit(request, principal, "token.created", {"token_id": row.id, "scopes": row.scopes}))
    return TokenCreated(**_token_out(row, principal.username).model_dump(), token=token)


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"])
def list_tokens(session: SessionDep, _: Admin) -> list[TokenOut]:
    rows = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                           .order_by(ApiToken.id)).all()
    return [_token_out(row, username) for row, username in rows]


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"])
def revoke_token(token_id: int, session: SessionDep, principal: Admin, request: Request) -> Response:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise _not_found("token")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(_audit(request, principal, "token.revoked", {"token_id": row.id}))
    return Response(status_code=204)


# ---- users ----------------------------------------------------------------------------------------------------

class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=12, max_length=1024)
    role: Role


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    created_at: str | None


def _user_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, role=user.role, active=user.active,
                   created_at=iso(user.created_at))


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(session: SessionDep, _: Admin) -> list[UserOut]:
    return [_user_out(user) for user in session.scalars(select(User).order_by(User.id))]


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def create_user(body: UserCreate, session: SessionDep, principal: Admin, request: Request) -> UserOut:
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"the username {body.username!r} is taken")
    user = User(username=body.username, password_hash=hash_password(body.password), role=body.role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the name between the check and the insert
        raise HTTPException(status.HTTP_409_CONFLICT, f"the username {body.username!r} is taken") from exc
    session.add(_audit(request, principal, "user.created", {"user_id": user.id, "role": user.role}))
    return _user_out(user)


def _set_active(user_id: int, active: bool, session: SessionDep, principal: Principal, request: Request) -> UserOut:
    user = session.get(User, user_id)
    if user is None:
        raise _not_found("user")
    if user.id == principal.user_id and not active:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot deactivate yourself")
    if user.active != active:
        user.active = active
        kind = "user.activated" if active else "user.deactivated"
        session.add(_audit(request, principal, kind, {"user_id": user.id}))
    return _user_out(user)


@router.post("/users/{user_id}/deactivate", response_model=UserOut, tags=["users"])
def deactivate_user(user_id: int, session: SessionDep, principal: Admin, request: Request) -> UserOut:
    """The user can no longer sign in, and every API token they created stops working."""
    return _set_active(user_id, False, session, principal, request)


@router.post("/users/{user_id}/activate", response_model=UserOut, tags=["users"])
def activate_user(user_id: int, session: SessionDep, principal: Admin, request: Request) -> UserOut:
    return _set_active(user_id, True, session, principal, request)


# ---- webhook subscriptions ------------------------------------------------------------------------------------

def _check_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return value


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048)
    event_types: list[EventType] = Field(min_length=1)
    secret: str | None = Field(None, min_length=16, max_length=128,
                               description="signs every request; generated when not given")
    description: str = Field("", max_length=256)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_url(value)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2048)
    event_types: list[EventType] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=256)
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return value if value is None else _check_url(value)


class SubscriptionOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_by: str
    created_at: str | None
    cursor: int = Field(description="the last event id already turned into deliveries")


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="shown once: verify X-Quinte-Signature with it")


def _subscription_out(row: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut(id=row.id, url=row.url, event_types=list(row.event_types or []),
                           description=row.description, active=row.active, created_by=row.created_by,
                           created_at=iso(row.created_at), cursor=row.cursor)


def _subscription(session: SessionDep, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise _not_found("webhook subscription")
    return row


@router.post("/webhooks", response_model=SubscriptionCreated, status_code=201, tags=["webhooks"])
def create_subscription(body: SubscriptionCreate, session: SessionDep, principal: Admin,
                        request: Request) -> SubscriptionCreated:
    """Events committed from now on are delivered; earlier ones are not replayed."""
    secret = body.secret or secrets.token_urlsafe(32)
    row = WebhookSubscription(url=body.url, secret=secret, event_types=sorted(set(body.event_types)),
                              description=body.description, created_by=principal.username,
                              cursor=last_event_id(session))
    session.add(row)
    session.flush()
    session.add(_audit(request, principal, "webhook.created", {"subscription_id": row.id,
                                                               "event_types": row.event_types}))
    return SubscriptionCreated(**_subscription_out(row).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[SubscriptionOut], tags=["webhooks"])
def list_subscriptions(session: SessionDep, _: Admin) -> list[SubscriptionOut]:
    return [_subscription_out(row) for row in session.scalars(select(WebhookSubscription)
                                                              .order_by(WebhookSubscription.id))]


@router.get("/webhooks/{subscription_id}", response_model=SubscriptionOut, tags=["webhooks"])
def get_subscription(subscription_id: int, session: SessionDep, _: Admin) -> SubscriptionOut:
    return _subscription_out(_subscription(session, subscription_id))


@router.patch("/webhooks/{subscription_id}", response_model=SubscriptionOut, tags=["webhooks"])
def update_subscription(subscription_id: int, body: SubscriptionPatch, session: SessionDep, principal: Admin,
                        request: Request) -> SubscriptionOut:
    row = _subscription(session, subscription_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    for name, value in changes.items():
        setattr(row, name, value)
    session.add(_audit(request, principal, "webhook.updated", {"subscription_id": row.id,
                                                               "changed": sorted(changes)}))
    return _subscription_out(row)


@router.delete("/webhooks/{subscription_id}", status_code=204, tags=["webhooks"])
def delete_subscription(subscription_id: int, session: SessionDep, principal: Admin, request: Request) -> Response:
    row = _subscription(session, subscription_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id))
    session.delete(row)
    session.add(_audit(request, principal, "webhook.deleted", {"subscription_id": subscription_id}))
    return Response(status_code=204)


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event_type: str
    record_id: str | None
    status: str
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str | None
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: int | None = Field(description="pass as `before` for older deliveries")


def _delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(id=row.id, event_id=row.event_id, event_type=row.event_type, record_id=row.record_id,
                       status=row.status, attempts=row.attempts, next_attempt_at=iso(row.next_attempt_at),
                       last_attempt_at=iso(row.last_attempt_at), last_status_code=row.last_status_code,
                       last_error=row.last_error, created_at=iso(row.created_at), delivered_at=iso(row.delivered_at))


@router.get("/webhooks/{subscription_id}/deliveries", response_model=DeliveryPage, tags=["webhooks"])
def list_deliveries(subscription_id: int, session: SessionDep, _: Admin,
                    status_: Annotated[Literal["pending", "delivered", "dead"] | None, Query(alias="status")] = None,
                    before: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> DeliveryPage:
    """The delivery log, newest first."""
    _subscription(session, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status_:
        query = query.where(WebhookDelivery.status == status_)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return DeliveryPage(items=[_delivery_out(row) for row in rows[:limit]], next_cursor=next_cursor)


@router.post("/webhooks/{subscription_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut,
             tags=["webhooks"])
def retry_delivery(subscription_id: int, delivery_id: int, session: SessionDep, principal: Admin,
                   request: Request) -> DeliveryOut:
    """Send again as soon as the dispatcher passes (also a delivered one, for a receiver that lost it)."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.subscription_id != subscription_id:
        raise _not_found("delivery")
    retry(session, row)
    session.add(_audit(request, principal, "webhook.retried", {"subscription_id": subscription_id,
                                                               "delivery_id": delivery_id}))
    session.refresh(row)
    return _delivery_out(row)


# ---- exports --------------------------------------------------------------------------------------------------

def _range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole UTC days, both ends included."""
    if start and end and end < start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "`to` is before `from`")
    since = datetime.combine(start, time.min, UTC) if start else None
    until = datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None
    return since, until


def _export(runtime: RuntimeDep, fmt: str, pipeline: str | None, start: date | None, end: date | None,
            media_type: str) -> StreamingResponse:
    if pipeline and pipeline not in runtime.config.pipelines:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"unknown pipeline {pipeline!r}")
    since, until = _range(start, end)
    name = f"records-{pipeline or 'all'}-{start or 'start'}-{end or 'now'}.{fmt}"
    return StreamingResponse(render(runtime.db, records_query(pipeline, since, until), fmt), media_type=media_type,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


ExportFrom = Annotated[date | None, Query(alias="from", description="first day (UTC, by creation), included")]
ExportTo = Annotated[date | None, Query(alias="to", description="last day (UTC, by creation), included")]


@router.get("/exports/records.csv", tags=["exports"], response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_csv(runtime: RuntimeDep, _: Reader, pipeline: str | None = None, start: ExportFrom = None,
               end: ExportTo = None) -> StreamingResponse:
    """One row per record, one column per field name found in the range."""
    return _export(runtime, "csv", pipeline, start, end, "text/csv; charset=utf-8")


@router.get("/exports/records.jsonl", tags=["exports"], response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
def export_jsonl(runtime: RuntimeDep, _: Reader, pipeline: str | None = None, start: ExportFrom = None,
                 end: ExportTo = None) -> StreamingResponse:
    """One record (§3, without the full text) per line."""
    return _export(runtime, "jsonl", pipeline, start, end, "application/x-ndjson")

