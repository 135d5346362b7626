"""numbered decisions, cleared-for use and public-since on sites (issue 13, DESIGN §10)

Existing data: a released plot is cleared for the use and category it has (use
could not change before this revision), on the day its case was released; a
plot is public since the first day its case entered a public state (from the
ledger). Decisions taken before numbering existed keep no number.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:00:00

"""
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))
PUBLIC_STATES = ('listed', 'risk_control', 'plan_filing', 'plan_review', 'transfer_reporting',
                 'works', 'evaluation', 'evaluation_review', 'released')


def _day(at):
    """A Beijing date from an ISO string ('...Z') or a datetime (naive = UTC)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace('Z', '+00:00'))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).date()


def upgrade():
    op.create_table(
        'decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('from_state', sa.String(length=40), nullable=False),
        sa.Column('to_state', sa.String(length=40), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.Column('event_seq', sa.Integer(), nullable=True),
        sa.Column('provincial_number', sa.String(length=100), nullable=True),
        sa.Column('provincial_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['review_id'], ['reviews.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('county', 'kind', 'year', 'seq', name='uq_decisions_county_kind_year_seq'),
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_decisions_case_id_id', ['case_id', 'id'], unique=False)
    op.create_table(
        'decision_sequences',
        sa.Column('county', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('county', 'kind', 'year'),
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleared_category', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cleared_use', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('cleared_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('public_since', sa.Date(), nullable=True))

    conn = op.get_bind()
    sites = sa.table('sites', sa.column('id'), sa.column('planned_use'), sa.column('land_category'),
                     sa.column('current_case_id'), sa.column('cleared_category'),
                     sa.column('cleared_use'), sa.column('cleared_on'), sa.column('public_since'))
    cases = sa.table('cases', sa.column('id'), sa.column('site_id'), sa.column('state'),
                     sa.column('state_since'))
    events = sa.table('ledger_events', sa.column('case_id'), sa.column('at'),
                      sa.column('to_state'))
    released = conn.execute(
        sa.select(sites.c.id, sites.c.planned_use, sites.c.land_category, cases.c.state_since)
        .join(cases, cases.c.id == sites.c.current_case_id)
        .where(cases.c.state == 'released')
    ).all()
    for site_id, use, category, since in released:
        conn.execute(sites.update().where(sites.c.id == site_id).values(
            cleared_category=category, cleared_use=use, cleared_on=_day(since)))
    first_public = conn.execute(
        sa.select(cases.c.site_id, sa.func.min(events.c.at))
        .join(cases, cases.c.id == events.c.case_id)
        .where(events.c.to_state.in_(PUBLIC_STATES))
        .group_by(cases.c.site_id)
    ).all()
    for site_id, at in first_public:
        conn.execute(sites.update().where(sites.c.id == site_id).values(public_since=_day(at)))


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('public_since')
        batch_op.drop_column('cleared_on')
        batch_op.drop_column('cleared_use')
        batch_op.drop_column('cleared_category')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_case_id_id')
        batch_op.drop_index(batch_op.f('ix_decisions_case_id'))
    op.drop_table('decision_sequences')
    op.drop_table('decisions')
