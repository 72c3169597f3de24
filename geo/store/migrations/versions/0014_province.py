"""province: the configuration of the loaded province, so the web app and the ingest need no flag

Revision ID: 0014
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('province',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.execute("CREATE TRIGGER province_data_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON province FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS province_data_revision ON province")
    op.drop_table('province')
