"""the register from indexes (issue 19): the current case's state kept on the plot,
partial indexes over public plots, samples' index with the case, the search terms,
the desk's indexes, the public scopes kept answers depend on, the plots'
pollutants of concern and their counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PUBLIC = 'public_since IS NOT NULL'
# app/models/cases.py PUBLIC_INDEXES
PUBLIC_INDEXES = {
    'code': (),
    'county': ('county_code',),
    'township': ('township',),
    'state': ('case_state',),
    'county_state': ('county_code', 'case_state'),
}


def upgrade():
    from app.services.search import terms  # the same cutting as the app's upkeep

    op.add_column('sites', sa.Column('case_state', sa.String(length=40), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text(
        'UPDATE sites SET case_state = (SELECT cases.state FROM cases WHERE cases.id = sites.current_case_id)'
    ))
    for name, columns in PUBLIC_INDEXES.items():
        op.create_index(f'ix_sites_public_{name}', 'sites', [*columns, 'code'], unique=False,
                        sqlite_where=sa.text(PUBLIC), postgresql_where=sa.text(PUBLIC),
                        postgresql_include=['id'])
    op.create_index('ix_samples_pollutant_key_level_case', 'samples',
                    ['pollutant_key', 'level', 'case_id'], unique=False)
    op.drop_index('ix_samples_pollutant_key_level', table_name='samples')
    review = sa.text("closed_on IS NULL AND kind = 'review'")
    op.create_index('ix_deadlines_open_review', 'deadlines', ['county_code', 'due', 'case_id'],
                    unique=False, sqlite_where=review, postgresql_where=review)
    for side in ('origin', 'destination'):
        op.create_index(f'ix_manifests_{side}_county_code_status', 'manifests',
                        [f'{side}_county_code', 'status'], unique=False)
        op.drop_index(f'ix_manifests_{side}_county_code', table_name='manifests')

    op.create_table(
        'plot_pollutants',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('pollutant_key', sa.String(length=64), nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name='fk_plot_pollutants_site_id_sites'),
        sa.PrimaryKeyConstraint('site_id', 'pollutant_key', name='pk_plot_pollutants'),
    )
    op.create_index('ix_plot_pollutants_pollutant_key', 'plot_pollutants', ['pollutant_key', 'site_id'],
                    unique=False)
    op.create_table(
        'pollutant_counts',
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('pollutant_key', sa.String(length=64), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('county_code', 'pollutant_key', 'public', name='pk_pollutant_counts'),
    )
    conn.execute(sa.text(
        "INSERT INTO plot_pollutants (site_id, pollutant_key, county_code, public) "
        "SELECT DISTINCT sites.id, samples.pollutant_key, sites.county_code, sites.public_since IS NOT NULL "
        "FROM samples JOIN sites ON sites.current_case_id = samples.case_id "
        "WHERE samples.level IN ('above_screening', 'above_intervention')"
    ))
    conn.execute(sa.text(
        "INSERT INTO pollutant_counts (county_code, pollutant_key, public, n) "
        "SELECT county_code, pollutant_key, public, count(*) FROM plot_pollutants "
        "GROUP BY county_code, pollutant_key, public"
    ))
    op.create_table(
        'scope_heads',
        sa.Column('scope', sa.String(length=48), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name='pk_scope_heads'),
    )
    op.create_table(
        'site_terms',
        # Code point order on PostgreSQL whatever the database's collation: a term's
        # beginning is searched as a range.
        sa.Column('term', sa.String(length=20).with_variant(sa.String(length=20, collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name='fk_site_terms_site_id_sites'),
        sa.PrimaryKeyConstraint('term', 'site_id', name='pk_site_terms'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_site_terms_site_id', 'site_terms', ['site_id'], unique=False)
    table = sa.table('site_terms', sa.column('term', sa.String), sa.column('site_id', sa.Integer))
    last = 0
    while True:
        rows = conn.execute(sa.text(
            'SELECT id, name, address, code FROM sites WHERE id > :last ORDER BY id LIMIT 5000'
        ), {'last': last}).all()
        if not rows:
            break
        out = []
        for site_id, *texts in rows:
            found = set()
            for text in texts:
                found |= terms(text or '')
            out.extend({'term': t, 'site_id': site_id} for t in sorted(found))
        if out:
            conn.execute(table.insert(), out)
        last = rows[-1][0]


def downgrade():
    op.drop_table('pollutant_counts')
    op.drop_index('ix_plot_pollutants_pollutant_key', table_name='plot_pollutants')
    op.drop_table('plot_pollutants')
    op.drop_table('scope_heads')
    op.drop_index('ix_deadlines_open_review', table_name='deadlines')
    op.drop_index('ix_site_terms_site_id', table_name='site_terms')
    op.drop_table('site_terms')
    op.create_index('ix_samples_pollutant_key_level', 'samples', ['pollutant_key', 'level'], unique=False)
    op.drop_index('ix_samples_pollutant_key_level_case', table_name='samples')
    for side in ('origin', 'destination'):
        op.create_index(f'ix_manifests_{side}_county_code', 'manifests', [f'{side}_county_code'], unique=False)
        op.drop_index(f'ix_manifests_{side}_county_code_status', table_name='manifests')
    for name in PUBLIC_INDEXES:
        op.drop_index(f'ix_sites_public_{name}', table_name='sites')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('case_state')
