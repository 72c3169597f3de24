"""Alembic environment: runs on the engine that geo.store.schema passes in."""

from alembic import context
from geoalchemy2 import alembic_helpers

from geo.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
