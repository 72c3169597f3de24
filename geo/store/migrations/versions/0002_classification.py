"""classification: commune reports, immutable snapshots and results

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_FROZEN = ("classification_snapshot", "classification_result")


def upgrade() -> None:
    op.create_table('commune_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('indicator_code', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('reported_by', sa.String(length=80), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("indicator_code IN ('awareness_activities', 'tips_received', 'tips_handled', "
                       "'people_reached', 'vocational_support', 'reintegrated')",
                       name='indicator_code_allowed'),
    sa.CheckConstraint('value >= 0', name='commune_report_value_nonneg'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('commune_report_lookup', 'commune_report',
                    ['unit_id', 'period', 'indicator_code'], unique=False)
    op.create_table('classification_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ruleset_id', sa.String(length=80), nullable=False),
    sa.Column('ruleset_version', sa.String(length=40), nullable=False),
    sa.Column('ruleset_sha256', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('convention', sa.String(length=20), nullable=False),
    sa.Column('vintage_id', sa.String(length=20), nullable=False),
    sa.Column('data_as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['vintage_id'], ['vintage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('classification_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('criteria', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint("status IN ('healthy', 'reduced', 'not_healthy', 'not_assessed')",
                       name='status_allowed'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['classification_snapshot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('snapshot_id', 'unit_code', name='classification_result_unit')
    )
    op.create_index(op.f('ix_classification_result_snapshot_id'), 'classification_result',
                    ['snapshot_id'], unique=False)
    # Snapshots never change once taken: UPDATE and DELETE raise on both tables.
    op.execute("""
        CREATE FUNCTION classification_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'classification snapshots are immutable: % on % is not allowed',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
        END $$""")
    for table in _FROZEN:
        op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION classification_frozen()")
        op.execute(f"CREATE TRIGGER {table}_frozen_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION classification_frozen()")


def downgrade() -> None:
    for table in reversed(_FROZEN):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
    op.execute("DROP FUNCTION IF EXISTS classification_frozen()")
    op.drop_index(op.f('ix_classification_result_snapshot_id'), table_name='classification_result')
    op.drop_table('classification_result')
    op.drop_table('classification_snapshot')
    op.drop_index('commune_report_lookup', table_name='commune_report')
    op.drop_table('commune_report')
