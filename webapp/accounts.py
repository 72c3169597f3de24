"""Logins of the platform: create, list and check users (hashes only, never passwords)."""

from __future__ import annotations

from sqlalchemy import Engine, select
from werkzeug.security import check_password_hash, generate_password_hash

from geo.errors import DiabanError
from geo.store import session_scope
from geo.store.batches import audit
from geo.store.models import ROLES, User

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


def authenticate(engine: Engine, username: str, password: str) -> dict | None:
    """Return ``{"username", "role"}`` when the password matches an active user, else None."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        ok = bool(user and user.active and check_password_hash(user.password_hash, password))
        audit(session, username, "login" if ok else "login.failed")
        return {"username": user.username, "role": user.role} if ok else None


def has_role(user: dict | None, needed: str) -> bool:
    """True when ``user`` holds ``needed`` or a higher role."""
    return bool(user) and ROLE_ORDER[user["role"]] >= ROLE_ORDER[needed]
