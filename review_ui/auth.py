"""People and systems: argon2 passwords, signed bearer tokens, roles and what each role may do."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from storage.db import Database
from storage.models import User

ROLES = ("operator", "reviewer", "approver", "protocol_admin", "admin")

# What each role may do; the admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "operator": frozenset({"records:read", "documents:write"}),
    "reviewer": frozenset({"records:read", "documents:write", "review"}),
    "approver": frozenset({"records:read", "documents:write", "review", "approve", "invoicing"}),
    "protocol_admin": frozenset({"records:read", "protocol"}),
    "admin": frozenset({"records:read", "documents:write", "review", "approve", "protocol", "invoicing", "admin"}),
}

TOKEN_MAX_AGE = 12 * 3600
_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in person or a token holder, with the permissions they hold."""

    user_id: int
    username: str
    role: str
    permissions: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, username: str, password: str) -> User | None:
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)
            return None
        return user if verify_password(user.password_hash, password) else None


def start_session(session_data: MutableMapping[str, Any], user: User) -> None:
    """Bind a browser session to the user and to their current session generation."""
    session_data["user_id"] = user.id
    session_data["generation"] = user.session_generation or 0


def end_sessions(user: User) -> None:
    """Make every session cookie issued to the user so far worthless (the caller commits)."""
    user.session_generation = (user.session_generation or 0) + 1


def session_principal(db: Database, session_data: Mapping[str, Any]) -> Principal | None:
    """Who a session cookie belongs to, or None when it was signed out, its user deactivated, or never signed in."""
    user_id = session_data.get("user_id")
    if user_id is None:
        return None
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or session_data.get("generation") != (user.session_generation or 0):
            return None
        return principal_for(user)


def principal_for(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, PERMISSIONS.get(user.role, frozenset()))


def create_user(db: Database, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if len(password) < 12:
        raise ValueError("passwords must be at least 12 characters long")
    with db.session() as session:
        user = User(username=username, password_hash=hash_password(password), role=role)
        session.add(user)
        session.flush()
        return user


def ensure_admin(db: Database, password: str | None) -> str | None:
    """Create the ``admin`` user on first start; return the generated password to print once, if any."""
    with db.session() as session:
        if session.scalar(select(User.id).where(User.username == "admin")) is not None:
            return None
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(15)
    create_user(db, "admin", password, "admin")
    return generated


def load_secret_key(configured: str | None, var_dir: Path) -> str:
    """The key that signs cookies and tokens: configured, else one generated once and kept under var/."""
    if configured:
        return configured
    path = var_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


class TokenSigner:
    """Short-lived bearer tokens for the OAuth2 password flow, signed and time-limited."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="quinte-api-token")

    def issue(self, user: User) -> str:
        return self._serializer.dumps({"uid": user.id})

    def user_id(self, token: str) -> int | None:
        try:
            data = self._serializer.loads(token, max_age=TOKEN_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        return data.get("uid") if isinstance(data, dict) else None
