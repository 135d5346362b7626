"""plot counts kept in the transaction of each change (issue 19), counted once here;
a county's register in code order from an index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:00:00

"""
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plot_counts',
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('township', sa.String(length=50), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('land_category', sa.Integer(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('county_code', 'township', 'state', 'land_category', 'public'),
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count_key', sa.JSON(), nullable=True))
        batch_op.create_index('ix_sites_county_code_code', ['county_code', 'code'], unique=False)

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        'SELECT sites.id, sites.county_code, sites.township, cases.state, sites.land_category, '
        'sites.public_since IS NOT NULL FROM sites JOIN cases ON cases.id = sites.current_case_id'
    )).all()
    counts = Counter((c, t, s, k, bool(p)) for _, c, t, s, k, p in rows)
    table = sa.table('plot_counts', *(sa.column(n) for n in
                                      ('county_code', 'township', 'state', 'land_category', 'public', 'n')))
    if counts:
        op.bulk_insert(table, [dict(zip(('county_code', 'township', 'state', 'land_category', 'public'), key),
                                    n=n) for key, n in counts.items()])
    sites = sa.table('sites', sa.column('id', sa.Integer), sa.column('count_key', sa.JSON))
    update = sites.update().where(sites.c.id == sa.bindparam('sid')).values(count_key=sa.bindparam('k'))
    batch = [{'sid': i, 'k': [c, t, s, k, bool(p)]} for i, c, t, s, k, p in rows]
    for at in range(0, len(batch), 5000):
        conn.execute(update, batch[at:at + 5000])


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_county_code_code')
        batch_op.drop_column('count_key')
    op.drop_table('plot_counts')
