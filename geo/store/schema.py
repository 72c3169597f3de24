"""Create or upgrade the schema: the postgis extension, then the Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from geo.errors import StoreError
from geo.store.engine import check_reachable

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def init_db(engine: Engine) -> str:
    """Create the postgis extension and run every migration up to the newest.

    Returns
    -------
    str
        The schema revision now in place.
    """
    check_reachable(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    command.upgrade(alembic_config(engine), "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str:
    """Return the schema revision of the database, or raise when it was never initialised."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            raise StoreError("the database has no diaban schema yet; run `diaban db init`")
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
