"""login sessions kept in the database, API tokens with an expiry, an index for the login throttle

Revision ID: 0008
Revises: 0007

Existing API tokens get 90 days from the upgrade, so clients keep working and are renewed in time.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_sha256')
    )
    op.create_index(op.f('ix_login_session_user_id'), 'login_session', ['user_id'], unique=False)
    op.add_column('api_token', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE api_token SET expires_at = now() + interval '90 days'")
    op.alter_column('api_token', 'expires_at', nullable=False)
    op.create_index('audit_log_action_at', 'audit_log', ['action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('audit_log_action_at', table_name='audit_log')
    op.drop_column('api_token', 'expires_at')
    op.drop_index(op.f('ix_login_session_user_id'), table_name='login_session')
    op.drop_table('login_session')
