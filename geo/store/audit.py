"""The audit log: appending entries, and reading it.

Failed logins in a recent window serve the login rate limit; pages of entries, newest first,
serve the administrators' view.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, or_, select, text

from geo.store.batches import audit
from geo.store.engine import connection, session_scope
from geo.store.models import AuditLog

_FAILURES = text("""
    SELECT
      count(*) FILTER (
        WHERE actor = :username
          AND at > coalesce((SELECT max(at) FROM audit_log
                             WHERE action = 'login' AND actor = :username), '-infinity')
      ) AS by_username,
      count(*) FILTER (WHERE detail ->> 'address' = :address) AS by_address
    FROM audit_log
    WHERE action = 'login.failed'
      AND at > now() - make_interval(secs => :seconds)
      AND (actor = :username OR detail ->> 'address' = :address)
""")


def recent_login_failures(engine: Engine, username: str, address: str | None, *,
                          seconds: int) -> tuple[int, int]:
    """Count the ``login.failed`` entries of the last ``seconds`` seconds.

    Returns
    -------
    tuple of int
        Failures for ``username`` since its last successful login, and failures from the
        client ``address`` (0 when the address is unknown).
    """
    with engine.connect() as conn:
        row = conn.execute(_FAILURES, {"username": username, "address": address or "",
                                       "seconds": seconds}).one()
    return row.by_username, row.by_address if address else 0


def record(engine: Engine, actor: str, action: str, target: str | None = None, **detail) -> None:
    """Append one audit-log entry in its own transaction."""
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
