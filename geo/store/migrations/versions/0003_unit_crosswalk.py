"""unit crosswalk between boundary vintages

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_crosswalk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_unit_id', sa.Integer(), nullable=False),
    sa.Column('to_unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('share', sa.Double(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('whole', 'split')", name='kind_allowed'),
    sa.CheckConstraint("method IN ('text', 'geometry')", name='method_allowed'),
    sa.ForeignKeyConstraint(['from_unit_id'], ['admin_unit.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_unit_id'], ['admin_unit.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('from_unit_id', 'to_unit_id', name='unit_crosswalk_pair')
    )
    op.create_index(op.f('ix_unit_crosswalk_from_unit_id'), 'unit_crosswalk', ['from_unit_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_unit_crosswalk_from_unit_id'), table_name='unit_crosswalk')
    op.drop_table('unit_crosswalk')
