"""upload jobs: the web uploads and their ingest state, kept in the database

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_job',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('progress', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('running', 'done', 'failed')", name='state_allowed'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_upload_job_state_owner', 'upload_job', ['state', 'owner'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_upload_job_state_owner', table_name='upload_job')
    op.drop_table('upload_job')
