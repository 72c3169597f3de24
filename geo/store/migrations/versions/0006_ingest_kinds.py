"""ingest of every kind: natural keys, vocabulary labels, keyed hashes, review queue, unit aliases

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: Tables whose records carry the ingest's natural key ``record_hash`` (unique, NULL when not ingested).
HASHED = ('establishment', 'site', 'site_event', 'incident', 'inspection')


def upgrade() -> None:
    op.create_table('review_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rejected_row_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('vintage_id', sa.String(length=20), nullable=False),
    sa.Column('commune_text', sa.Text(), nullable=True),
    sa.Column('district_text', sa.Text(), nullable=True),
    sa.Column('commune_key', sa.Text(), nullable=False),
    sa.Column('district_key', sa.Text(), nullable=False),
    sa.Column('candidates', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'resolved', 'dismissed')", name='status_allowed'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rejected_row_id'], ['rejected_row.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vintage_id'], ['vintage.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rejected_row_id')
    )
    op.create_index(op.f('ix_review_item_import_batch_id'), 'review_item', ['import_batch_id'], unique=False)
    op.create_index(op.f('ix_review_item_status'), 'review_item', ['status'], unique=False)
    op.create_table('unit_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vintage_id', sa.String(length=20), nullable=False),
    sa.Column('district_key', sa.Text(), nullable=False),
    sa.Column('commune_key', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vintage_id'], ['vintage.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('vintage_id', 'district_key', 'commune_key', name='unit_alias_key')
    )
    op.add_column('establishment', sa.Column('type_label', sa.Text(), nullable=True))
    op.add_column('establishment', sa.Column('registration_hmac', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_establishment_registration_hmac'), 'establishment', ['registration_hmac'],
                    unique=False)
    op.add_column('incident', sa.Column('outcome_label', sa.Text(), nullable=True))
    op.add_column('incident', sa.Column('fine_vnd', sa.BigInteger(), nullable=True))
    op.create_check_constraint('incident_fine_nonneg', 'incident', 'fine_vnd IS NULL OR fine_vnd >= 0')
    op.add_column('inspection', sa.Column('outcome_label', sa.Text(), nullable=True))
    op.add_column('inspection', sa.Column('violation_labels', postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column('rejected_row', sa.Column('ref_hmac', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('site', sa.Column('kind_label', sa.Text(), nullable=True))
    op.add_column('site', sa.Column('site_ref_hmac', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_site_site_ref_hmac'), 'site', ['site_ref_hmac'], unique=False)
    op.add_column('site_event', sa.Column('event_label', sa.Text(), nullable=True))
    for table in HASHED:
        op.add_column(table, sa.Column('record_hash', sa.String(length=64), nullable=True))
        op.create_unique_constraint(f'{table}_record_hash_key', table, ['record_hash'])


def downgrade() -> None:
    for table in HASHED:
        op.drop_constraint(f'{table}_record_hash_key', table, type_='unique')
        op.drop_column(table, 'record_hash')
    op.drop_column('site_event', 'event_label')
    op.drop_index(op.f('ix_site_site_ref_hmac'), table_name='site')
    op.drop_column('site', 'site_ref_hmac')
    op.drop_column('site', 'kind_label')
    op.drop_column('rejected_row', 'ref_hmac')
    op.drop_column('inspection', 'violation_labels')
    op.drop_column('inspection', 'outcome_label')
    op.drop_constraint('incident_fine_nonneg', 'incident', type_='check')
    op.drop_column('incident', 'fine_vnd')
    op.drop_column('incident', 'outcome_label')
    op.drop_index(op.f('ix_establishment_registration_hmac'), table_name='establishment')
    op.drop_column('establishment', 'registration_hmac')
    op.drop_column('establishment', 'type_label')
    op.drop_table('unit_alias')
    op.drop_index(op.f('ix_review_item_status'), table_name='review_item')
    op.drop_index(op.f('ix_review_item_import_batch_id'), table_name='review_item')
    op.drop_table('review_item')
