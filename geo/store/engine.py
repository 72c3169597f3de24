"""Engines and sessions. Nothing connects at import time: callers pass a URL or an engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from geo.errors import StoreError

#: What the driver raises when the database cannot be reached or the connection was lost; the
#: edges (the CLI, ``webapp.errors``) turn these into one clear message. Named here so no module
#: outside ``geo.store`` imports SQLAlchemy.
UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
#: Of those, what connecting to a server that does not answer raises.
NO_SERVER_ERROR: type[Exception] = OperationalError
#: The base class of every error SQLAlchemy or the driver raises.
DATABASE_ERROR: type[Exception] = SQLAlchemyError

def make_engine(url: str, *, pooled: bool = True, **kwargs) -> Engine:
    """Create an engine for ``url`` (a PostgreSQL + PostGIS database).

    ``pooled=False`` opens a connection per use and keeps none (a short-lived child process).
    """
    if not pooled:
        kwargs["poolclass"] = NullPool
    return create_engine(url, pool_pre_ping=True, **kwargs)


def display_url(url: str) -> str:
    """``url`` with its password hidden, to show in a message.

    Examples
    --------
    >>> display_url("postgresql+psycopg://me:secret@db/diaban")
    'postgresql+psycopg://me:***@db/diaban'
    """
    return make_url(url).render_as_string(hide_password=True)


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
