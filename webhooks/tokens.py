"""Long-lived API tokens: ``qt_`` + a random secret, kept only as its sha256; scopes narrow the creator's role."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from review_ui.auth import PERMISSIONS, Principal
from storage.db import Database
from storage.models import User
from webhooks.models import ApiToken

PREFIX = "qt_"
SCOPES = ("records:read", "documents:write", "review", "protocol", "invoicing", "admin")
# Recording every use would turn each read into a write; once a minute is enough to spot unused tokens.
_TOUCH_EVERY = timedelta(minutes=1)


def is_api_token(token: str) -> bool:
    return token.startswith(PREFIX)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def scoped_permissions(role: str, scopes: list[str]) -> frozenset[str]:
    """What a token may do: its scopes, but never more than its creator's role allows today."""
    allowed = set(PERMISSIONS.get(role, frozenset())) & set(scopes)
    # Approving is part of reviewing for systems; a token with "review" approves only if the role could.
    if "review" in allowed and "approve" in PERMISSIONS.get(role, frozenset()):
        allowed.add("approve")
    return frozenset(allowed)


def principal_for_token(db: Database, token: str) -> Principal | None:
    """The caller behind an API token, or None when it is unknown, revoked or its creator was deactivated."""
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        if row is None or row.revoked_at is not None:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        now = datetime.now(UTC)
        last = row.last_used_at
        if last is None or (last if last.tzinfo else last.replace(tzinfo=UTC)) < now - _TOUCH_EVERY:
            row.last_used_at = now
        return Principal(user.id, user.username, user.role, scoped_permissions(user.role, list(row.scopes or [])))
