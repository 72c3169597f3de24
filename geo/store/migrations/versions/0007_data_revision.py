"""data revision: one counter bumped by triggers whenever the data behind maps and reports change

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: Every table a map, count, classification or report reads.
WATCHED = ('import_batch', 'vintage', 'admin_unit', 'unit_crosswalk', 'establishment', 'site',
           'site_event', 'incident', 'inspection', 'commune_report', 'criterion_assessment',
           'classification_snapshot', 'classification_result', 'unit_alias')


def upgrade() -> None:
    op.create_table('data_revision',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('id = 1', name='data_revision_single_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO data_revision (id, revision) VALUES (1, 0)")
    op.execute("""
        CREATE FUNCTION bump_data_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_revision SET revision = revision + 1, changed_at = now() WHERE id = 1;
            RETURN NULL;
        END $$""")
    for table in WATCHED:
        op.execute(f"CREATE TRIGGER {table}_data_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()")


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_revision ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_revision()")
    op.drop_table('data_revision')
