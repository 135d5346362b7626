"""samples: index on (pollutant_key, level) in place of pollutant_key alone (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.create_index('ix_samples_pollutant_key_level', ['pollutant_key', 'level'], unique=False)
        batch_op.drop_index(batch_op.f('ix_samples_pollutant_key'))


def downgrade():
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_samples_pollutant_key'), ['pollutant_key'], unique=False)
        batch_op.drop_index('ix_samples_pollutant_key_level')
