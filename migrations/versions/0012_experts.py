"""expert pool, the panels drawn from it and their meetings (issue 15)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'experts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=True),
        sa.Column('specialities', sa.JSON(), nullable=False),
        sa.Column('employer_party_id', sa.Integer(), nullable=True),
        sa.Column('phone', sa.String(length=40), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['employer_party_id'], ['parties.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_experts_employer_party_id', 'experts', ['employer_party_id'])
    op.create_table(
        'panels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=40), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('seed', sa.String(length=64), nullable=False),
        sa.Column('candidates', sa.JSON(), nullable=False),
        sa.Column('excluded', sa.JSON(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('drawn_by_id', sa.Integer(), nullable=True),
        sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ledger_seq', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filings.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_panels_case_stage', 'panels', ['case_id', 'stage', 'round'])
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('panel_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=40), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=True),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('attendance', sa.JSON(), nullable=False),
        sa.Column('opinions', sa.JSON(), nullable=False),
        sa.Column('conclusion', sa.String(length=30), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ledger_seq', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filings.id']),
        sa.ForeignKeyConstraint(['panel_id'], ['panels.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('panel_id'),
    )
    op.create_index('ix_meetings_case_stage', 'meetings', ['case_id', 'stage', 'round'])


def downgrade():
    op.drop_index('ix_meetings_case_stage', table_name='meetings')
    op.drop_table('meetings')
    op.drop_index('ix_panels_case_stage', table_name='panels')
    op.drop_table('panels')
    op.drop_index('ix_experts_employer_party_id', table_name='experts')
    op.drop_table('experts')
