"""recognition decisions: the steering committee's yearly recognition of each commune, with history

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recognition_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vintage_id', sa.String(length=20), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('recognised', sa.Boolean(), nullable=False),
    sa.Column('decision_number', sa.String(length=60), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('year BETWEEN 1990 AND 2100', name='recognition_year_plausible'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['classification_snapshot.id'], ),
    sa.ForeignKeyConstraint(['vintage_id'], ['vintage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('recognition_decision_current', 'recognition_decision',
                    ['vintage_id', 'commune_code', 'year'], unique=True,
                    postgresql_where=sa.text('superseded_at IS NULL'))
    # Decisions change what the map panel, the dashboard, the exports and the briefing show.
    op.execute("CREATE TRIGGER recognition_decision_data_revision AFTER INSERT OR UPDATE OR DELETE "
               "OR TRUNCATE ON recognition_decision FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS recognition_decision_data_revision ON recognition_decision")
    op.drop_index('recognition_decision_current', table_name='recognition_decision',
                  postgresql_where=sa.text('superseded_at IS NULL'))
    op.drop_table('recognition_decision')
