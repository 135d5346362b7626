"""risk control: alerts raised by monitoring above the control plan's limits; deadline
kinds up to 30 characters (post_release_monitoring) (issue 15)

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
    _kind_length(20, 30)


def _kind_length(old: int, new: int) -> None:
    # The partial index is dropped and made again around the change: SQLite's batch
    # mode copies the table and would not carry its WHERE clause over.
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_open_county_due')
        batch_op.alter_column('kind', existing_type=sa.String(length=old),
                              type_=sa.String(length=new), existing_nullable=False)
        batch_op.create_index('ix_deadlines_open_county_due', ['county', 'due', 'id'], unique=False,
                              postgresql_where=sa.text('closed_on IS NULL'),
                              sqlite_where=sa.text('closed_on IS NULL'))


def downgrade():
    _kind_length(30, 20)
    op.drop_index('ix_alerts_case_open', table_name='alerts')
    op.drop_table('alerts')
