"""The store: PostGIS through SQLAlchemy 2 and GeoAlchemy2. The only package that knows SQL."""

from geo.store.engine import check_reachable, make_engine, session_scope
from geo.store.schema import current_revision, init_db

__all__ = ["check_reachable", "current_revision", "init_db", "make_engine", "session_scope"]
