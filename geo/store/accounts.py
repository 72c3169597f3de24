"""The login tables: users, their web sessions and API tokens, one query per question.

Only hashes are stored (passwords through werkzeug, session ids and tokens as SHA-256); the
rules (roles, password length, the last admin) live in ``webapp.accounts``, which asks these.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from geo.store.models import ApiToken, LoginSession, User


def user_named(session: Session, username: str, *, lock: bool = False) -> User | None:
    """The user ``username`` (locked for an update with ``lock``), or None."""
    query = select(User).where(User.username == username)
    return session.scalar(query.with_for_update() if lock else query)


def add_user_row(session: Session, username: str, *, password_hash: str, role: str,
                 province_code: str | None = None) -> None:
    """Store a new active user (limited to the province ``province_code``; None: every province)."""
    session.add(User(username=username, password_hash=password_hash, role=role, active=True,
                     province_code=province_code))


def add_token(session: Session, user_id: int, *, token_sha256: str, expires_at) -> None:
    """Store a new API token of ``user_id`` (its hash only)."""
    session.add(ApiToken(user_id=user_id, token_sha256=token_sha256, revoked=False, expires_at=expires_at))


def all_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def other_active_admins(session: Session, user_id: int) -> int:
    """How many active admins there are besides the user ``user_id``."""
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active, User.id != user_id))


def start_login_session(session: Session, user_id: int, *, token_sha256: str, expires_at) -> None:
    """Store a web session of ``user_id``, removing that user's expired ones on the way."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id,
                                               LoginSession.expires_at <= func.now()))
    session.add(LoginSession(user_id=user_id, token_sha256=token_sha256, expires_at=expires_at))


def session_user(conn: Connection, token_sha256: str):
    """``username, role, province_code`` of the live session with this hash of an active user, or None."""
    return conn.execute(
        select(User.username, User.role, User.province_code)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_sha256 == token_sha256, LoginSession.expires_at > func.now(),
               User.active)).first()


def delete_login_session(session: Session, token_sha256: str) -> None:
    """End the web session with this hash (if any)."""
    session.execute(delete(LoginSession).where(LoginSession.token_sha256 == token_sha256))


def delete_login_sessions(session: Session, user_id: int) -> int:
    """End every web session of ``user_id``; return how many there were."""
    return len(session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)
                               .returning(LoginSession.id)).all())


def revoke_user_tokens(session: Session, user_id: int) -> int:
    """Revoke every unrevoked API token of ``user_id``; return how many."""
    revoked = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
    return len(session.execute(revoked.values(revoked=True).returning(ApiToken.id)).all())


def token_and_user(session: Session, token_sha256: str):
    """The API token with this hash and its user (``.ApiToken``, ``.User``), or None."""
    return session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_sha256 == token_sha256)).first()


def revoke_token_hash(session: Session, token_sha256: str) -> bool:
    """Revoke the unrevoked API token with this hash; True when there was one."""
    result = session.execute(
        update(ApiToken).where(ApiToken.token_sha256 == token_sha256, ApiToken.revoked.is_(False))
        .values(revoked=True).returning(ApiToken.user_id))
    return result.first() is not None
