"""statutory deadlines and the in-app inbox (issue 14, DESIGN §11)

Existing open cases get the deadlines they would have had: a case in review is
due 20 working days after it entered the review; a case returned for revision 30
working days after the return; under risk control 180 days after the last
monitoring report or the entry; in works the plan's end date. (The defaults of
REVIEW_WORKING_DAYS, REVISION_WORKING_DAYS and MONITORING_INTERVAL_DAYS; deadlines
opened after the upgrade follow the configured values.)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:00:00

"""
from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deadlines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=50), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('owner', sa.String(length=20), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=False),
        sa.Column('opened_seq', sa.Integer(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('closed_seq', sa.Integer(), nullable=True),
        sa.Column('met', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_case_id', ['case_id', 'closed_on'], unique=False)
        batch_op.create_index('ix_deadlines_open_county_due', ['county', 'due', 'id'], unique=False,
                              postgresql_where=sa.text('closed_on IS NULL'),
                              sqlite_where=sa.text('closed_on IS NULL'))
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('deadline_id', sa.Integer(), nullable=True),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('params', sa.JSON(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'deadline_id', 'day', name='uq_notifications_reminder'),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_unread', ['user_id'], unique=False,
                              postgresql_where=sa.text('read_at IS NULL'),
                              sqlite_where=sa.text('read_at IS NULL'))
    with op.batch_alter_table('tipoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=False,
                                      server_default='web'))
        batch_op.add_column(sa.Column('reply_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replied_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('handed_over_to', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('handed_over_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tipoffs_reply_due'), ['reply_due'], unique=False)
    _backfill(op.get_bind())
    _backfill_tipoffs(op.get_bind())


CHINA = timezone(timedelta(hours=8))
REVIEW_STATES = ('survey_review', 'risk_assessment_review', 'plan_review', 'evaluation_review')
PREPARING_OWNER = {'survey': 'responsible', 'risk_assessment': 'responsible',
                   'plan_filing': 'responsible', 'evaluation': 'evaluator'}


def _day(at):
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace('Z', '+00:00'))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).date()


def _backfill(conn):
    from app.services.workdays import add_workdays  # the same calendar as the app

    sites = sa.table('sites', sa.column('id'), sa.column('county'))
    cases = sa.table('cases', sa.column('id'), sa.column('site_id'), sa.column('state'),
                     sa.column('state_since'))
    events = sa.table('ledger_events', sa.column('seq'), sa.column('case_id'), sa.column('action'),
                      sa.column('to_state'), sa.column('at'))
    filings = sa.table('filings', sa.column('id'), sa.column('case_id'), sa.column('kind'),
                       sa.column('data', sa.JSON))
    deadlines = sa.table('deadlines', sa.column('case_id'), sa.column('county'), sa.column('kind'),
                         sa.column('owner'), sa.column('due'), sa.column('opened_on'),
                         sa.column('opened_seq'))
    wanted = (*REVIEW_STATES, *PREPARING_OWNER, 'risk_control', 'works')
    rows = conn.execute(
        sa.select(cases.c.id, cases.c.state, cases.c.state_since, sites.c.county)
        .join(sites, sites.c.id == cases.c.site_id)
        .where(cases.c.state.in_(wanted))
    ).all()
    out = []
    for case_id, state, since, county in rows:
        entry = conn.execute(
            sa.select(events.c.seq, events.c.action, events.c.at)
            .where(events.c.case_id == case_id, events.c.to_state == state)
            .order_by(events.c.seq.desc()).limit(1)
        ).first()
        start = _day(entry.at) if entry else _day(since)
        seq = entry.seq if entry else None
        row = {'case_id': case_id, 'county': county, 'opened_on': start, 'opened_seq': seq}
        if state in REVIEW_STATES:
            out.append({**row, 'kind': 'review', 'owner': 'bureau', 'due': add_workdays(start, 20)})
        elif state in PREPARING_OWNER and entry is not None and entry.action == 'return':
            out.append({**row, 'kind': 'revision', 'owner': PREPARING_OWNER[state],
                        'due': add_workdays(start, 30)})
        elif state == 'risk_control':
            last = conn.execute(
                sa.select(events.c.seq, events.c.at)
                .where(events.c.case_id == case_id, events.c.action == 'monitoring_report')
                .order_by(events.c.seq.desc()).limit(1)
            ).first()
            if last is not None and (seq is None or last.seq > seq):
                start, seq = _day(last.at), last.seq
            out.append({**row, 'opened_on': start, 'opened_seq': seq, 'kind': 'monitoring',
                        'owner': 'responsible', 'due': start + timedelta(days=180)})
        elif state == 'works':
            data = conn.execute(
                sa.select(filings.c.data)
                .where(filings.c.case_id == case_id, filings.c.kind == 'remediation_plan')
                .order_by(filings.c.id.desc()).limit(1)
            ).scalar()
            try:
                due = date.fromisoformat(data['end_date'])
            except (KeyError, TypeError, ValueError):
                continue
            out.append({**row, 'kind': 'works_end', 'owner': 'contractor', 'due': due})
    if out:
        conn.execute(deadlines.insert(), out)


def _backfill_tipoffs(conn):
    """Each tip-off's reply is due 15 working days after it was received; a closed one
    was answered when it was last updated."""
    from app.services.workdays import add_workdays

    tipoffs = sa.table('tipoffs', sa.column('id'), sa.column('status'), sa.column('created_at'),
                       sa.column('updated_at'), sa.column('reply_due'), sa.column('replied_on'))
    for tid, status, created, updated in conn.execute(
        sa.select(tipoffs.c.id, tipoffs.c.status, tipoffs.c.created_at, tipoffs.c.updated_at)
    ).all():
        values = {'reply_due': add_workdays(_day(created), 15)}
        if status == 'closed':
            values['replied_on'] = _day(updated)
        conn.execute(tipoffs.update().where(tipoffs.c.id == tid).values(**values))


def downgrade():
    with op.batch_alter_table('tipoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tipoffs_reply_due'))
        batch_op.drop_column('handed_over_on')
        batch_op.drop_column('handed_over_to')
        batch_op.drop_column('replied_on')
        batch_op.drop_column('reply_due')
        batch_op.drop_column('channel')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_unread', sqlite_where=sa.text('read_at IS NULL'),
                            postgresql_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_user_id_id')
    op.drop_table('notifications')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_open_county_due', sqlite_where=sa.text('closed_on IS NULL'),
                            postgresql_where=sa.text('closed_on IS NULL'))
        batch_op.drop_index('ix_deadlines_case_id')
    op.drop_table('deadlines')
