"""The audit log: appending entries, and reading it.

:func:`audit` appends an entry inside the caller's transaction (it commits or rolls back with
the change it records); :func:`record` appends one in a transaction of its own.

Failed logins in a recent window serve the login rate limit (:func:`claim_login_attempt`);
pages of entries, newest first, serve the administrators' view.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, or_, select, text, update
from sqlalchemy.orm import Session

from geo.store.engine import connection, session_scope
from geo.store.models import AuditLog

#: The namespace of the advisory locks of the login throttle (any constant distinct from others).
_LOCK_NAMESPACE = 7_401

_FAILURES = text("""
    SELECT
      count(*) FILTER (
        WHERE actor = :username
          AND at > coalesce((SELECT max(at) FROM audit_log
                             WHERE action = 'login' AND actor = :username
                               AND detail ->> 'address' = :address
                               AND at > now() - make_interval(secs => :seconds)), '-infinity')
      ) AS by_username,
      count(*) AS by_address
    FROM audit_log
    WHERE action = 'login.failed'
      AND at > now() - make_interval(secs => :seconds)
      AND detail ->> 'address' = :address
""")


def claim_login_attempt(engine: Engine, username: str, address: str | None, *, seconds: int,
                        per_username: int, per_address: int) -> int | None:
    """Count a login attempt against the throttle, atomically; None when the limits are reached.

    Under a transaction-scoped advisory lock on the client address, the ``login.failed``
    entries of the last ``seconds`` seconds from that address are counted: those for
    ``username`` since its last successful login from the address, and all of them. Below both
    limits the attempt is recorded as ``login.failed`` at once (the caller turns it into
    ``login`` with :func:`mark_login_succeeded` when the password matches), so concurrent
    attempts see each other and at most the limit get through. At a limit a
    ``login.throttled`` entry is written instead. Failures from one address never hold a user
    back at another address.

    Returns
    -------
    int or None
        The id of the audit entry of this attempt, or None when throttled.
    """
    address = address or ""
    with session_scope(engine) as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:address))"),
                        {"ns": _LOCK_NAMESPACE, "address": address})
        row = session.execute(_FAILURES, {"username": username, "address": address,
                                          "seconds": seconds}).one()
        if row.by_username >= per_username or row.by_address >= per_address:
            audit(session, username, "login.throttled", address=address,
                  by_username=row.by_username, by_address=row.by_address)
            return None
        entry = AuditLog(actor=username, action="login.failed", detail={"address": address})
        session.add(entry)
        session.flush()
        return entry.id


def mark_login_succeeded(engine: Engine, entry_id: int) -> None:
    """Turn the ``login.failed`` entry of a claimed attempt into ``login`` (the password matched)."""
    with session_scope(engine) as session:
        session.execute(update(AuditLog).where(AuditLog.id == entry_id).values(action="login"))


def audit(session: Session, actor: str, action: str, target: str | None = None,
          **detail) -> None:
    """Append an audit-log entry in ``session``'s transaction.

    Never pass a person's identity from a case in ``detail``.
    """
    session.add(AuditLog(actor=actor, action=action, target=target, detail=detail))


def record(engine: Engine, actor: str, action: str, target: str | None = None, **detail) -> None:
    """Append one audit-log entry in its own transaction (:func:`audit` in a new session)."""
    with session_scope(engine) as session:
        audit(session, actor, action, target, **detail)


def read_audit_log(conn: Connection | Engine, *, prefixes: tuple[str, ...] | None = None,
                   action: str | None = None, actor: str | None = None, limit: int = 50,
                   offset: int = 0) -> tuple[list[dict], int]:
    """Return a page of audit entries, newest first, and how many entries match in all.

    Parameters
    ----------
    prefixes : tuple of str, optional
        Keep actions starting with one of these (``("login",)`` keeps ``login``,
        ``login.failed`` and ``login.throttled``).
    action : str, optional
        Keep this exact action.
    actor : str, optional
        Keep this exact actor (a staff login, or ``cli`` and the like).
    limit, offset : int
        The page: at most ``limit`` entries after skipping ``offset``.

    Returns
    -------
    (list of dict, int)
        Entries with ``id, at, actor, action, target, detail``, and the total matched.
    """
    conditions = []
    if prefixes:
        conditions.append(or_(*(AuditLog.action.startswith(p, autoescape=True) for p in prefixes)))
    if action:
        conditions.append(AuditLog.action == action)
    if actor:
        conditions.append(AuditLog.actor == actor)
    table = AuditLog.__table__
    with connection(conn) as c:
        total = c.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
        rows = c.execute(select(table).where(*conditions).order_by(table.c.at.desc(), table.c.id.desc())
                         .limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], int(total)


def audit_actions(conn: Connection | Engine) -> list[str]:
    """Every action present in the audit log, sorted (for the filter's choices)."""
    with connection(conn) as c:
        return list(c.execute(select(AuditLog.action).distinct().order_by(AuditLog.action)).scalars())
