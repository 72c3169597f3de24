"""Logins of the platform: create, list and check users (hashes only, never passwords)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from geo.errors import DiabanError
from geo.store import session_scope
from geo.store.batches import audit
from geo.store.models import ROLES, ApiToken, User

#: Roles in increasing order of rights.
ROLE_ORDER = {role: rank for rank, role in enumerate(ROLES)}
MIN_PASSWORD_LENGTH = 8


class AccountError(DiabanError, ValueError):
    """A user that cannot be created as asked."""


def add_user(engine: Engine, username: str, password: str, role: str, *, actor: str = "cli") -> None:
    """Create a login.

    Raises
    ------
    AccountError
        For an unknown role, a short password or a name already taken.
    """
    if role not in ROLE_ORDER:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    with session_scope(engine) as session:
        if session.scalar(select(User.id).where(User.username == username)):
            raise AccountError(f"user {username!r} exists already; choose another name")
        session.add(User(username=username, password_hash=generate_password_hash(password),
                         role=role, active=True))
        audit(session, actor, "users.add", username, role=role)


def list_users(engine: Engine) -> list[dict]:
    """Return every login's name, role, state and creation time."""
    with session_scope(engine) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [{"username": u.username, "role": u.role, "active": u.active,
                 "created_at": u.created_at.isoformat()} for u in users]


def authenticate(engine: Engine, username: str, password: str, **detail) -> dict | None:
    """Return ``{"username", "role"}`` when the password matches an active user, else None.

    The attempt is audited as ``login`` or ``login.failed`` with ``detail`` (e.g. the client
    address); the password never is.
    """
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        ok = bool(user and user.active and check_password_hash(user.password_hash, password))
        audit(session, username, "login" if ok else "login.failed", **detail)
        return {"username": user.username, "role": user.role} if ok else None


def has_role(user: dict | None, needed: str) -> bool:
    """True when ``user`` holds ``needed`` or a higher role."""
    return bool(user) and ROLE_ORDER[user["role"]] >= ROLE_ORDER[needed]


def issue_token(engine: Engine, username: str, *, actor: str = "cli") -> str:
    """Create a bearer token for the active user ``username`` and return it.

    Only the token's SHA-256 is stored and the audit log names the user, never the token:
    show the returned value once, to its owner.

    Raises
    ------
    AccountError
        For an unknown or disabled user.
    """
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise AccountError(f"no active user {username!r}; create one with `diaban users add`")
        session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), revoked=False))
        audit(session, actor, "users.token", username)
    return token


#: How precisely ``api_token.last_used_at`` is kept: a busy client writes once a minute, not per request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def user_for_token(engine: Engine, token: str) -> dict | None:
    """Return ``{"username", "role"}`` for a valid, unrevoked token of an active user, else None."""
    if not token:
        return None
    with session_scope(engine) as session:
        row = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_sha256 == _digest(token))).first()
        if row is None or row.ApiToken.revoked or not row.User.active:
            return None
        now = datetime.now(UTC)
        last = row.ApiToken.last_used_at
        if last is None or now - last > TOKEN_USE_RESOLUTION:  # one write a minute, not one per request
            row.ApiToken.last_used_at = now
        return {"username": row.User.username, "role": row.User.role}


def revoke_token(engine: Engine, token: str, *, actor: str = "cli") -> bool:
    """Revoke ``token``; True when it existed and was still valid."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked.is_(False))
            .values(revoked=True).returning(ApiToken.user_id))
        revoked = result.first() is not None
        if revoked:
            audit(session, actor, "users.token.revoke")
        return revoked


def _digest(token: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()
