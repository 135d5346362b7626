"""counties as data: the GB/T 2260 divisions, and every county column a code (issue 18)

Creates ``regions`` from the divisions shipped with the app
(``app/data/regions_gbt2260_2024.csv``) and marks the deployment's county
(``COUNTY_CODE``) served. Each table that named its county in words
(``sites``, ``tipoffs``, ``suspects``, ``key_units``, ``deadlines``, ``users``,
``manifests``) now holds its code: ``COUNTY_NAME`` maps to ``COUNTY_CODE``, any
other name to the one county of that name (in the deployment's province first),
and a name known nowhere to ``COUNTY_CODE`` (printed, so an operator can check).
A manifest's ``destination_county`` stays the text reported, with the code beside
it when it names a county of the register.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 08:30:00

"""
import csv
import os

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

CSV = os.path.join(os.path.dirname(__file__), '..', '..', 'app', 'data', 'regions_gbt2260_2024.csv')

regions = sa.table(
    'regions',
    sa.column('code', sa.String), sa.column('name', sa.String), sa.column('level', sa.String),
    sa.column('parent_code', sa.String), sa.column('short', sa.String),
    sa.column('decision_prefix', sa.String), sa.column('served', sa.Boolean),
)

# table, old column, new column, nullable, indexes on the old column, indexes on the new
TABLES = [
    ('sites', 'county', 'county_code', False,
     [('ix_sites_county', ['county'], False, None)],
     [('ix_sites_county_code', ['county_code'], False, None)]),
    ('tipoffs', 'county', 'county_code', False,
     [('ix_tipoffs_county', ['county'], False, None)],
     [('ix_tipoffs_county_code', ['county_code'], False, None)]),
    ('suspects', 'county', 'county_code', False,
     [('ix_suspects_county_status_id', ['county', 'status', 'id'], False, None),
      ('ix_suspects_county_township', ['county', 'township'], False, None)],
     [('ix_suspects_county_code_status_id', ['county_code', 'status', 'id'], False, None),
      ('ix_suspects_county_code_township', ['county_code', 'township'], False, None)]),
    ('key_units', 'county', 'county_code', False,
     [('ix_key_units_year_county', ['year', 'county'], False, None)],
     [('ix_key_units_year_county_code', ['year', 'county_code'], False, None)]),
    ('deadlines', 'county', 'county_code', False,
     [('ix_deadlines_open_county_due', ['county', 'due', 'id'], False, 'closed_on IS NULL')],
     [('ix_deadlines_open_county_code_due', ['county_code', 'due', 'id'], False,
       'closed_on IS NULL')]),
    ('users', 'county', 'region_code', True, [], []),
    ('manifests', 'origin_county', 'origin_county_code', False,
     [('ix_manifests_origin_county', ['origin_county'], False, None)],
     [('ix_manifests_origin_county_code', ['origin_county_code'], False, None)]),
]


def _config(key, default):
    return current_app.config.get(key) or default if has_app_context() else default


def _load_regions():
    with open(CSV, encoding='utf-8') as f:
        rows = [
            {'code': r['code'], 'name': r['name'], 'level': r['level'],
             'parent_code': r['parent_code'] or None, 'short': r['short'],
             'decision_prefix': None, 'served': False}
            for r in csv.DictReader(f)
        ]
    home_code = _config('COUNTY_CODE', '533124')
    home_name = _config('COUNTY_NAME', '陇川县')
    known = {r['code']: r for r in rows}
    if home_code not in known:  # a county the shipped list does not have yet
        row = {'code': home_code, 'name': home_name, 'level': 'county', 'parent_code': None,
               'short': home_name[:2], 'decision_prefix': None, 'served': False}
        rows.append(row)
        known[home_code] = row
    known[home_code]['served'] = True  # its prefix stays DECISION_PREFIX, read when issuing
    op.bulk_insert(regions, rows)
    return rows, home_code, home_name


def _code_for(name, rows, home_code, home_name, *, levels=('county',)):
    if name is None:
        return None
    if name == home_name or name == home_code:
        return home_code
    by_code = [r for r in rows if r['code'] == name and r['level'] in levels]
    if by_code:
        return name
    same = [r for r in rows if r['name'] == name and r['level'] in levels]
    near = [r for r in same if r['code'][:2] == home_code[:2]]
    for found in (near, same):
        if len(found) == 1:
            return found[0]['code']
    print(f'0014: "{name}" names no single county; its rows go to {home_code}')  # noqa: T201
    return home_code


def upgrade():
    op.create_table(
        'regions',
        sa.Column('code', sa.String(length=6), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('level', sa.String(length=12), nullable=False),
        sa.Column('parent_code', sa.String(length=6), nullable=True),
        sa.Column('short', sa.String(length=30), nullable=False),
        sa.Column('decision_prefix', sa.String(length=20), nullable=True),
        sa.Column('served', sa.Boolean(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_index('ix_regions_parent_code', 'regions', ['parent_code'], unique=False)
    rows, home_code, home_name = _load_regions()
    conn = op.get_bind()

    for table, old, new, nullable, _, _ in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(new, sa.String(length=6), nullable=True))
        levels = ('county', 'prefecture', 'province') if table == 'users' else ('county',)
        names = conn.execute(sa.text(f'SELECT DISTINCT {old} FROM {table}')).scalars().all()
        for name in names:
            code = _code_for(name, rows, home_code, home_name, levels=levels)
            if code is not None:
                conn.execute(sa.text(f'UPDATE {table} SET {new} = :code WHERE {old} = :name'),
                             {'code': code, 'name': name})

    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destination_county_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
    counties = {r['name']: r['code'] for r in rows if r['level'] == 'county'}
    codes = {r['code'] for r in rows if r['level'] == 'county'}
    for (name,) in conn.execute(sa.text('SELECT DISTINCT destination_county FROM manifests')):
        code = name if name in codes else (home_code if name == home_name else counties.get(name))
        if code:
            conn.execute(sa.text('UPDATE manifests SET destination_county_code = :code '
                                 'WHERE destination_county = :name'), {'code': code, 'name': name})

    for table, old, new, nullable, old_indexes, new_indexes in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, *_ in old_indexes:
                batch_op.drop_index(name)
            if table == 'key_units':
                batch_op.drop_constraint('uq_key_units_county_party_year', type_='unique')
            batch_op.drop_column(old)
            if not nullable:
                batch_op.alter_column(new, existing_type=sa.String(length=6), nullable=False)
            if table == 'key_units':
                batch_op.create_unique_constraint('uq_key_units_county_code_party_year',
                                                  ['county_code', 'party_id', 'year'])
            for name, cols, unique, where in new_indexes:
                extra = {'postgresql_where': sa.text(where), 'sqlite_where': sa.text(where)} if where else {}
                batch_op.create_index(name, cols, unique=unique, **extra)
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_index('ix_manifests_destination_county')
        batch_op.create_index('ix_manifests_destination_county_code', ['destination_county_code'],
                              unique=False)
        batch_op.create_foreign_key('fk_manifests_acknowledged_by_id_users', 'users',
                                    ['acknowledged_by_id'], ['id'])


def downgrade():
    conn = op.get_bind()
    names = dict(conn.execute(sa.text('SELECT code, name FROM regions')).all())
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_constraint('fk_manifests_acknowledged_by_id_users', type_='foreignkey')
        batch_op.drop_index('ix_manifests_destination_county_code')
        batch_op.create_index('ix_manifests_destination_county', ['destination_county'], unique=False)
        batch_op.drop_column('acknowledged_by_id')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('destination_county_code')
    for table, old, new, nullable, old_indexes, new_indexes in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(old, sa.String(length=50), nullable=True))
        for (code,) in conn.execute(sa.text(f'SELECT DISTINCT {new} FROM {table}')).all():
            if code is not None:
                conn.execute(sa.text(f'UPDATE {table} SET {old} = :name WHERE {new} = :code'),
                             {'name': names.get(code, code), 'code': code})
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, *_ in new_indexes:
                batch_op.drop_index(name)
            if table == 'key_units':
                batch_op.drop_constraint('uq_key_units_county_code_party_year', type_='unique')
            batch_op.drop_column(new)
            if not nullable:
                batch_op.alter_column(old, existing_type=sa.String(length=50), nullable=False)
            if table == 'key_units':
                batch_op.create_unique_constraint('uq_key_units_county_party_year',
                                                  ['county', 'party_id', 'year'])
            for name, cols, unique, where in old_indexes:
                extra = {'postgresql_where': sa.text(where), 'sqlite_where': sa.text(where)} if where else {}
                batch_op.create_index(name, cols, unique=unique, **extra)
    op.drop_index('ix_regions_parent_code', table_name='regions')
    op.drop_table('regions')
