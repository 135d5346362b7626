"""before the survey (DESIGN §12): suspected plots, key supervised units and their
filings (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'key_units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=50), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('industry', sa.String(length=200), nullable=True),
        sa.Column('township', sa.String(length=50), nullable=True),
        sa.Column('address', sa.String(length=300), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('listed_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['listed_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['party_id'], ['parties.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'party_id', 'year', name='uq_key_units_county_party_year'),
    )
    op.create_index('ix_key_units_party_id', 'key_units', ['party_id'])
    op.create_index('ix_key_units_year_county', 'key_units', ['year', 'county'])
    op.create_table(
        'suspects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('township', sa.String(length=50), nullable=False),
        sa.Column('address', sa.String(length=300), nullable=False),
        sa.Column('former_industry', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=30), nullable=False),
        sa.Column('boundary', sa.JSON(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('planned_use', sa.String(length=30), nullable=True),
        sa.Column('landholder_party_id', sa.Integer(), nullable=True),
        sa.Column('key_unit_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('dismissed_reason', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['key_unit_id'], ['key_units.id']),
        sa.ForeignKeyConstraint(['landholder_party_id'], ['parties.id']),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id'),
    )
    op.create_index('ix_suspects_county_status_id', 'suspects', ['county', 'status', 'id'])
    op.create_index('ix_suspects_county_township', 'suspects', ['county', 'township'])
    op.create_index('ix_suspects_key_unit_id', 'suspects', ['key_unit_id'])
    op.create_index('ix_suspects_landholder_party_id', 'suspects', ['landholder_party_id'])
    op.create_table(
        'unit_filings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_unit_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('screening', sa.JSON(), nullable=True),
        sa.Column('exceedances', sa.Integer(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=True),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ledger_seq', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['filed_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['key_unit_id'], ['key_units.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_unit_filings_unit_kind', 'unit_filings', ['key_unit_id', 'kind', 'id'])


def downgrade():
    op.drop_index('ix_unit_filings_unit_kind', table_name='unit_filings')
    op.drop_table('unit_filings')
    op.drop_index('ix_suspects_landholder_party_id', table_name='suspects')
    op.drop_index('ix_suspects_key_unit_id', table_name='suspects')
    op.drop_index('ix_suspects_county_township', table_name='suspects')
    op.drop_index('ix_suspects_county_status_id', table_name='suspects')
    op.drop_table('suspects')
    op.drop_index('ix_key_units_year_county', table_name='key_units')
    op.drop_index('ix_key_units_party_id', table_name='key_units')
    op.drop_table('key_units')
