"""sites.current_case_id and the register's township/code index (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sites_current_case_id'), ['current_case_id'], unique=False)
        batch_op.create_index('ix_sites_township_code', ['township', 'code'], unique=False)
    op.execute(
        "UPDATE sites SET current_case_id = "
        "(SELECT max(cases.id) FROM cases WHERE cases.site_id = sites.id)"
    )


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_township_code')
        batch_op.drop_index(batch_op.f('ix_sites_current_case_id'))
        batch_op.drop_column('current_case_id')
