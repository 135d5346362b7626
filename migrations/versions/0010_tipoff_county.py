"""tip-offs belong to a county: its bureau alone sees and handles them (issue 17)

Existing tip-offs take the county of the plot they are linked to, or else the
deployment's county (``COUNTY_NAME``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:10:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _default_county() -> str:
    if has_app_context():
        return current_app.config["COUNTY_NAME"]
    return "陇川县"


def upgrade():
    with op.batch_alter_table('tipoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county', sa.String(length=50), nullable=True))
    op.execute(
        sa.text(
            "UPDATE tipoffs SET county = COALESCE("
            "(SELECT sites.county FROM sites WHERE sites.id = tipoffs.site_id), :county)"
        ).bindparams(county=_default_county())
    )
    with op.batch_alter_table('tipoffs', schema=None) as batch_op:
        batch_op.alter_column('county', existing_type=sa.String(length=50), nullable=False)
        batch_op.create_index(batch_op.f('ix_tipoffs_county'), ['county'], unique=False)


def downgrade():
    with op.batch_alter_table('tipoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tipoffs_county'))
        batch_op.drop_column('county')
