"""Logins of the platform: users, their web sessions and API tokens (hashes only, never secrets).

A web session is a row of ``login_session``: the browser's signed cookie carries a random id
and the database its SHA-256 (see :func:`open_session`). Every request looks the row up with
the user's current role and active flag, so ending the rows withdraws access at once:
logout ends one session; disabling a user, changing a role or a password and
:func:`revoke_access` end them all. API tokens expire (90 days unless asked otherwise).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

from geo.store import session_scope
from geo.store.accounts import (
    add_token,
    add_user_row,
    all_users,
    delete_login_session,
    delete_login_sessions,
    other_active_admins,
    revoke_token_hash,
    revoke_user_tokens,
    session_user,
    start_login_session,
    token_and_user,
    user_named,
)
from geo.store.audit import audit
from geo.store.models import ROLES
from geo.store.province import resolve_province_code
from webapp.errors import AccountError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from geo.store.models import User

#: Roles in increasing order of rights.
ROLE_ORDER = {role: rank for rank, role in enumerate(ROLES)}
MIN_PASSWORD_LENGTH = 8
#: The longest username (the width of ``app_user.username`` and ``audit_log.actor``).
MAX_USERNAME_LENGTH = 80
#: Days an API token lives unless asked otherwise, and the most it may be given.
TOKEN_DAYS, MAX_TOKEN_DAYS = 90, 3650


def check_username(username: str) -> str:
    """Return ``username`` when it is a possible login name.

    Raises
    ------
    AccountError
        For an empty name or one longer than :data:`MAX_USERNAME_LENGTH` characters.

    Examples
    --------
    >>> check_username("can-bo-1")
    'can-bo-1'
    >>> check_username("x" * 81)
    Traceback (most recent call last):
    ...
    webapp.errors.AccountError: the username has 81 characters; use at most 80
    """
    if not username:
        raise AccountError("the username is empty; give a name of 1 to 80 characters")
    if len(username) > MAX_USERNAME_LENGTH:
        raise AccountError(f"the username has {len(username)} characters; use at most {MAX_USERNAME_LENGTH}")
    return username


def add_user(engine: Engine, username: str, password: str, role: str, *, actor: str = "cli",
             province: str | None = None) -> None:
    """Create a login, limited to the loaded province ``province`` (a code) when given.

    Raises
    ------
    AccountError
        For a bad name or role, a short password or a name already taken.
    """
    check_username(username)
    _check_role(role)
    _check_password(password)
    with session_scope(engine) as session:
        if user_named(session, username) is not None:
            raise AccountError(f"user {username!r} exists already; choose another name")
        if province is not None:
            resolve_province_code(session.connection(), province)  # refuses a province not loaded
        add_user_row(session, username, password_hash=generate_password_hash(password), role=role,
                     province_code=province)
        audit(session, actor, "users.add", username, role=role, province=province)


def list_users(engine: Engine) -> list[dict]:
    """Return every login's name, role, state and creation time."""
    with session_scope(engine) as session:
        users = all_users(session)
        return [{"username": u.username, "role": u.role, "active": u.active,
                 "created_at": u.created_at.isoformat()} for u in users]


def authenticate(engine: Engine, username: str, password: str) -> dict | None:
    """Return ``{"username", "role"}`` when the password matches an active user, else None.

    The password hash is checked in every case, against a dummy hash for an unknown or
    disabled user, so the answer takes as long whether the name exists or not.
    """
    with session_scope(engine) as session:
        user = user_named(session, username)
        matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
        ok = bool(user and user.active and matches)
        return {"username": user.username, "role": user.role} if ok else None


def has_role(user: dict | None, needed: str) -> bool:
    """True when ``user`` holds ``needed`` or a higher role."""
    return bool(user) and ROLE_ORDER[user["role"]] >= ROLE_ORDER[needed]


def open_session(engine: Engine, username: str, *, lifetime: timedelta) -> str:
    """Start a web session of ``username`` for ``lifetime`` (absolute) and return its cookie id.

    Only the id's SHA-256 is stored; the user's expired sessions are removed on the way.
    """
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        user = user_named(session, username)
        start_login_session(session, user.id if user else None, token_sha256=_digest(token),
                            expires_at=datetime.now(UTC) + lifetime)
    return token


def user_for_session(engine: Engine, token: str) -> dict | None:
    """Return ``{"username", "role", "province"}`` of a live session of an active user, else None.

    ``province`` is the code of the one province the user may see, None for every province.
    """
    with engine.connect() as conn:
        row = session_user(conn, _digest(token))
    return {"username": row.username, "role": row.role, "province": row.province_code} if row else None


def end_session(engine: Engine, token: str, *, actor: str, **detail) -> None:
    """End the web session of ``token`` (logout), audited as ``logout``."""
    with session_scope(engine) as session:
        delete_login_session(session, _digest(token))
        audit(session, actor, "logout", **detail)


def set_active(engine: Engine, username: str, active: bool, *, actor: str = "cli") -> None:
    """Enable or disable ``username``; disabling ends its sessions and stops its tokens.

    Raises
    ------
    AccountError
        For an unknown user, or when the last active admin would be disabled.
    """
    with session_scope(engine) as session:
        user = _user(session, username)
        if not active:
            _keep_an_admin(session, user)
        user.active = active
        _end_sessions(session, user)
        audit(session, actor, "users.enable" if active else "users.disable", username)


def set_role(engine: Engine, username: str, role: str, *, actor: str = "cli") -> None:
    """Give ``username`` the role ``role`` and end its sessions (it logs in again).

    Raises
    ------
    AccountError
        For an unknown user or role, or when the last active admin would lose the role.
    """
    _check_role(role)
    with session_scope(engine) as session:
        user = _user(session, username)
        if role != "admin":
            _keep_an_admin(session, user)
        previous, user.role = user.role, role
        _end_sessions(session, user)
        audit(session, actor, "users.role", username, role=role, previous=previous)


def set_password(engine: Engine, username: str, password: str, *, actor: str = "cli") -> None:
    """Set a new password for ``username`` and end its sessions."""
    _check_password(password)
    with session_scope(engine) as session:
        user = _user(session, username)
        user.password_hash = generate_password_hash(password)
        _end_sessions(session, user)
        audit(session, actor, "users.password", username)


def revoke_access(engine: Engine, username: str, *, actor: str = "cli") -> dict:
    """Revoke every API token of ``username`` and end its web sessions (logout everywhere).

    Returns
    -------
    dict
        ``{"tokens": n, "sessions": n}``: how many were revoked and ended.
    """
    with session_scope(engine) as session:
        user = _user(session, username)
        counts = {"tokens": revoke_user_tokens(session, user.id), "sessions": _end_sessions(session, user)}
        audit(session, actor, "users.revoke", username, **counts)
        return counts


def issue_token(engine: Engine, username: str, *, days: int = TOKEN_DAYS, actor: str = "cli") -> str:
    """Create a bearer token for the active user ``username``, valid ``days`` days, and return it.

    Only the token's SHA-256 is stored and the audit log names the user, never the token:
    show the returned value once, to its owner.

    Raises
    ------
    AccountError
        For an unknown or disabled user, or ``days`` outside 1 to :data:`MAX_TOKEN_DAYS`.
    """
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}; e.g. --days 90")
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        user = user_named(session, username)
        if user is None or not user.active:
            raise AccountError(f"no active user {username!r}; create one with `diaban users add`")
        expires = datetime.now(UTC) + timedelta(days=days)
        add_token(session, user.id, token_sha256=_digest(token), expires_at=expires)
        audit(session, actor, "users.token", username, days=days)
    return token


#: How precisely ``api_token.last_used_at`` is kept: a busy client writes once a minute, not per request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def user_for_token(engine: Engine, token: str) -> dict | None:
    """Return ``{"username", "role", "province"}`` for a valid, unexpired, unrevoked token of an active user.

    ``province`` is the code of the one province the user may see, None for every province.
    """
    if not token:
        return None
    with session_scope(engine) as session:
        row = token_and_user(session, _digest(token))
        now = datetime.now(UTC)
        if row is None or row.ApiToken.revoked or not row.User.active or row.ApiToken.expires_at <= now:
            return None
        last = row.ApiToken.last_used_at
        if last is None or now - last > TOKEN_USE_RESOLUTION:  # one write a minute, not one per request
            row.ApiToken.last_used_at = now
        return {"username": row.User.username, "role": row.User.role, "province": row.User.province_code}


def revoke_token(engine: Engine, token: str, *, actor: str = "cli") -> bool:
    """Revoke ``token``; True when it existed and was still valid."""
    with session_scope(engine) as session:
        revoked = revoke_token_hash(session, _digest(token))
        if revoked:
            audit(session, actor, "users.token.revoke")
        return revoked


def _user(session: Session, username: str) -> User:
    """The user ``username``, locked for the change; AccountError when there is none."""
    user = user_named(session, username, lock=True)
    if user is None:
        raise AccountError(f"no user {username!r}; `diaban users list` lists them")
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave no active admin."""
    others = other_active_admins(session, user.id)
    if user.role == "admin" and user.active and not others:
        raise AccountError(f"{user.username!r} is the last active admin; make another admin first")


def _end_sessions(session: Session, user: User) -> int:
    """End every web session of ``user``; return how many there were."""
    return delete_login_sessions(session, user.id)


def _check_role(role: str) -> None:
    """Refuse a role that does not exist."""
    if role not in ROLE_ORDER:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    """Refuse a password that is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


@cache
def _dummy_hash() -> str:
    """A hash of a random password, made as the real ones are: unknown users cost the same time."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()
