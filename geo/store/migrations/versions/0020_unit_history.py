"""unit history: a unit's former province and the note of how a derived vintage drew it

A vintage of Đồng Nai before 2025-07-01 holds old Đồng Nai's and former Bình Phước's units;
``former_province_code`` says which (null where a vintage has one province). A vintage
derived from the official change lists (``boundaries.history``) notes on a unit what no
published layer draws, e.g. the split of a dissolved commune between its successors.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('admin_unit', sa.Column('former_province_code', sa.String(length=2), nullable=True))
    op.add_column('admin_unit', sa.Column('history_note', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('admin_unit', 'history_note')
    op.drop_column('admin_unit', 'former_province_code')
