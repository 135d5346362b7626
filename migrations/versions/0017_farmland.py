"""cultivated land by GB 15618-2018 (issue 21): units, soil samples, classifications
with their history, measures, crop results, and the units' number sequence

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'farmland_units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('county_code', sa.String(length=12), nullable=False),
        sa.Column('township', sa.String(length=50), nullable=False),
        sa.Column('village', sa.String(length=50), nullable=False),
        sa.Column('area_mu', sa.Float(), nullable=False),
        sa.Column('land_use', sa.String(length=20), nullable=False),
        sa.Column('crop', sa.String(length=50), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('geometry', sa.JSON(), nullable=True),
        sa.Column('current_class', sa.String(length=20), nullable=True),
        sa.Column('classification_id', sa.Integer(), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('registered_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'],
                                name=op.f('fk_farmland_units_registered_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_farmland_units_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_farmland_units')),
        sa.UniqueConstraint('code', name=op.f('uq_farmland_units_code')),
    )
    op.create_index('ix_farmland_units_county_township', 'farmland_units',
                    ['county_code', 'township', 'code'])
    op.create_index('ix_farmland_units_county_class', 'farmland_units',
                    ['county_code', 'current_class', 'code'])
    op.create_index(op.f('ix_farmland_units_site_id'), 'farmland_units', ['site_id'])
    op.create_table(
        'farmland_samples',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.String(length=50), nullable=False),
        sa.Column('sampled_on', sa.Date(), nullable=False),
        sa.Column('ph', sa.Float(), nullable=False),
        sa.Column('pollutant_key', sa.String(length=40), nullable=False),
        sa.Column('value_mg_kg', sa.Float(), nullable=False),
        sa.Column('batch', sa.String(length=64), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['farmland_units.id'],
                                name=op.f('fk_farmland_samples_unit_id_farmland_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_farmland_samples')),
    )
    op.create_index('ix_farmland_samples_unit', 'farmland_samples', ['unit_id', 'id'])
    op.create_table(
        'farmland_classifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('class', sa.String(length=20), nullable=False),
        sa.Column('proposed_class', sa.String(length=20), nullable=True),
        sa.Column('basis', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=False),
        sa.Column('superseded_at', sa.Date(), nullable=True),
        sa.Column('event_seq', sa.Integer(), nullable=True),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['farmland_units.id'],
                                name=op.f('fk_farmland_classifications_unit_id_farmland_units')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_farmland_classifications_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_farmland_classifications')),
        sa.UniqueConstraint('number', name=op.f('uq_farmland_classifications_number')),
    )
    op.create_index('ix_farmland_classifications_unit', 'farmland_classifications',
                    ['unit_id', 'id'])
    op.create_table(
        'farmland_measures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('area_mu', sa.Float(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['farmland_units.id'],
                                name=op.f('fk_farmland_measures_unit_id_farmland_units')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_farmland_measures_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_farmland_measures')),
    )
    op.create_index('ix_farmland_measures_unit_year', 'farmland_measures', ['unit_id', 'year'])
    op.create_table(
        'farmland_crop_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('crop', sa.String(length=30), nullable=False),
        sa.Column('pollutant_key', sa.String(length=40), nullable=False),
        sa.Column('value_mg_kg', sa.Float(), nullable=False),
        sa.Column('limit_mg_kg', sa.Float(), nullable=False),
        sa.Column('sampled_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['farmland_units.id'],
                                name=op.f('fk_farmland_crop_results_unit_id_farmland_units')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_farmland_crop_results_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_farmland_crop_results')),
        sa.UniqueConstraint('unit_id', 'year', 'crop', 'pollutant_key', 'sampled_on',
                            name='uq_farmland_crop_results_sample'),
    )
    op.create_index('ix_farmland_crop_results_unit_year', 'farmland_crop_results',
                    ['unit_id', 'year'])
    op.create_table(
        'farmland_sequences',
        sa.Column('county_code', sa.String(length=12), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('county_code', name=op.f('pk_farmland_sequences')),
    )


def downgrade():
    for name in ('farmland_sequences', 'farmland_crop_results', 'farmland_measures',
                 'farmland_classifications', 'farmland_samples', 'farmland_units'):
        op.drop_table(name)
