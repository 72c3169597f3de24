"""upload job period: the period given for a whole commune-reports or attestations file

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('upload_job', sa.Column('period', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column('upload_job', 'period')
