"""vintage ids qualified by their province code ("75:2010-02-06"): one database, several provinces

A vintage id on its own ("2010-02-06") let a second province's load skip a vintage of the same
id and build crosswalk rows across provinces. Each existing vintage gets the id
``<province code>:<config id>``; every table referring to it follows. No row is lost.

Revision ID: 0019
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

REFERRING = ('admin_unit', 'classification_snapshot', 'review_item', 'unit_alias',
             'recognition_decision')
COLUMNS = "label, valid_from, valid_to, legal_basis, import_batch_id"
QUALIFIED = "{v}province_code || ':' || {v}id"
BARE = "split_part({v}id, ':', 2)"
IS_BARE = "position(':' in {v}id) = 0"
IS_QUALIFIED = "position(':' in {v}id) > 0"


def _rekey(new_id: str, old: str) -> None:
    """Copy each ``old`` vintage under ``new_id``, point every referring row at the copy, drop the original."""
    op.execute(f"INSERT INTO vintage (id, province_code, {COLUMNS}) "
               f"SELECT {new_id.format(v='')}, province_code, {COLUMNS} FROM vintage "
               f"WHERE {old.format(v='')}")
    for table in REFERRING:
        op.execute(f"UPDATE {table} t SET vintage_id = {new_id.format(v='v.')} FROM vintage v "
                   f"WHERE t.vintage_id = v.id AND {old.format(v='v.')}")
    op.execute(f"DELETE FROM vintage WHERE {old.format(v='')}")


def upgrade() -> None:
    _rekey(QUALIFIED, IS_BARE)
    op.add_column('app_user', sa.Column('province_code', sa.String(length=2), nullable=True))


def downgrade() -> None:
    op.drop_column('app_user', 'province_code')
    _rekey(BARE, IS_QUALIFIED)
