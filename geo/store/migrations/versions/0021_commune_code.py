"""one vocabulary: classification_result.unit_code is commune_code, as everywhere else

A classification result is a commune's; every table, frame, export and page calls that code
``commune_code`` (issue #14). The unique constraint follows the column.

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column('classification_result', 'unit_code', new_column_name='commune_code')


def downgrade() -> None:
    op.alter_column('classification_result', 'commune_code', new_column_name='unit_code')
