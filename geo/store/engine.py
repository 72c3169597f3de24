"""Engines and sessions. Nothing connects at import time: callers pass a URL or an engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from geo.errors import StoreError


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` (a PostgreSQL + PostGIS database)."""
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with sessionmaker(engine, expire_on_commit=False)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def connection(conn: Connection | Engine) -> Iterator[Connection]:
    """Use a given connection as is, or open one from an engine for the block."""
    if isinstance(conn, Engine):
        with conn.connect() as opened:
            yield opened
    else:
        yield conn


def check_reachable(engine: Engine) -> None:
    """Raise :class:`StoreError` with the fix when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise StoreError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. Start PostgreSQL (make run does) or set DATABASE_URL."
        ) from exc
