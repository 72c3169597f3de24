"""Reading the audit log: failed logins in a recent window, for login rate limiting."""

from __future__ import annotations

from sqlalchemy import Engine, text

from geo.store.batches import audit
from geo.store.engine import session_scope

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
