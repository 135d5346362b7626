"""risk control: alerts raised by monitoring above the control plan's limits (issue 15)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=False),
        sa.Column('exceedances', sa.JSON(), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_filing_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filings.id']),
        sa.ForeignKeyConstraint(['resolved_filing_id'], ['filings.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_alerts_case_open', 'alerts', ['case_id', 'resolved_at'])


def downgrade():
    op.drop_index('ix_alerts_case_open', table_name='alerts')
    op.drop_table('alerts')
