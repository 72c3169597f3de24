"""ingest of tip-offs, awareness activities, commune reports and attestations

Tables ``tip`` and ``activity`` (criteria P7 and P6 from records), and the ingest's natural key
``record_hash`` on ``commune_report`` and ``criterion_assessment`` so re-imported report and
attestation sheets deduplicate like every other kind. The new tables bump the data revision (0007).

Revision ID: 0010
Revises: 0009
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: Existing tables that get the ingest's natural key (unique, NULL when not ingested from a file).
HASHED = ('commune_report', 'criterion_assessment')
NEW = ('tip', 'activity')


def _located() -> list:
    """The columns every located record has: its point, its unit, its key and its batch."""
    return [
        sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326,
                                                     spatial_index=False), nullable=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('admin_unit.id'), nullable=True, index=True),
        sa.Column('record_hash', sa.String(length=64), nullable=True, unique=True),
        sa.Column('import_batch_id', sa.Integer(), sa.ForeignKey('import_batch.id', ondelete='CASCADE'),
                  nullable=False),
    ]


def upgrade() -> None:
    op.create_table('tip',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('received_date', sa.Date(), nullable=False, index=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('category_label', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('channel_label', sa.Text(), nullable=True),
    sa.Column('establishment_id', sa.Integer(), sa.ForeignKey('establishment.id'), nullable=True),
    sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=True),
    sa.Column('verified_date', sa.Date(), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('handled_date', sa.Date(), nullable=True),
    sa.Column('tip_ref_hmac', sa.String(length=64), nullable=True),
    *_located(),
    sa.CheckConstraint("result IN ('confirmed', 'not_confirmed', 'pending')", name='result_allowed'),
    sa.CheckConstraint('geom IS NOT NULL OR unit_id IS NOT NULL', name='tip_located'),
    )
    op.create_table('activity',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('activity_date', sa.Date(), nullable=False, index=True),
    sa.Column('form', sa.String(length=20), nullable=False),
    sa.Column('form_label', sa.Text(), nullable=True),
    sa.Column('participants_count', sa.Integer(), nullable=True),
    *_located(),
    sa.CheckConstraint("form IN ('meeting', 'loudspeaker', 'leaflet', 'banner', 'training', 'other')",
                       name='form_allowed'),
    sa.CheckConstraint('geom IS NOT NULL OR unit_id IS NOT NULL', name='activity_located'),
    sa.CheckConstraint('participants_count IS NULL OR participants_count >= 0', name='participants_nonneg'),
    )
    for table in NEW:
        op.create_index(f'idx_{table}_geom', table, ['geom'], postgresql_using='gist')
        op.execute(f"CREATE TRIGGER {table}_data_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()")
    for table in HASHED:
        op.add_column(table, sa.Column('record_hash', sa.String(length=64), nullable=True))
        op.create_unique_constraint(f'{table}_record_hash_key', table, ['record_hash'])


def downgrade() -> None:
    for table in HASHED:
        op.drop_constraint(f'{table}_record_hash_key', table, type_='unique')
        op.drop_column(table, 'record_hash')
    for table in NEW:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_revision ON {table}")
        op.drop_table(table)
