"""Which part of the public side each change touched (issue 19).

Kept public answers used to be valid until the ledger head moved: with a filing
every second anywhere in a province, a plot page was computed afresh for nearly
every reader. Now each commit that appended ledger events also records, in the
same transaction, the scopes those events changed (``scope_heads``):

- an event of a public plot's case: ``public``, ``county:<code>``, ``plot:<code>``;
- an event of a plot not public yet: ``pre`` (the register does not show it);
- an event without a case (the party register, regions, key units, experts):
  ``all``, which every kept answer depends on;
- and every event of a case: ``case:<id>`` of each case of its plot (what the
  case API answers).

Whether a plot is public is read at commit, after the change: the event that
lists a plot counts as a public change. ``seqs()`` reads the scopes a kept answer
depends on (app/response_cache.py).
"""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from app.extensions import db
from app.models import Case, ScopeHead, Site

ALL, PUBLIC, PRE = "all", "public", "pre"


def county(code: str) -> str:
    return f"county:{code}"


def plot(code: str) -> str:
    return f"plot:{code}"


def case(case_id: int) -> str:
    return f"case:{case_id}"


def touched(session: Session, pending: list[tuple[int, int | None]]) -> dict[str, int]:
    """{scope: last seq} for events ``(seq, case_id)`` of this transaction."""
    out: dict[str, int] = {}

    def bump(scope: str, seq: int) -> None:
        out[scope] = max(seq, out.get(scope, 0))

    case_ids = {case_id for _, case_id in pending if case_id is not None}
    sites = {}
    if case_ids:
        sites = {
            case_id: (code, county_code, public_since is not None)
            for case_id, code, county_code, public_since in session.execute(
                select(Case.id, Site.code, Site.county_code, Site.public_since)
                .join(Site, Site.id == Case.site_id)
                .where(Case.id.in_(case_ids))
            )
        }
    # A case's answer shows its plot's other cases (a reopened plot's history).
    siblings: dict[int, list[int]] = {}
    if case_ids:
        other = aliased(Case)
        for case_id, sibling in session.execute(
            select(Case.id, other.id)
            .join(other, other.site_id == Case.site_id)
            .where(Case.id.in_(case_ids))
        ):
            siblings.setdefault(case_id, []).append(sibling)
    for seq, case_id in pending:
        site = sites.get(case_id) if case_id is not None else None
        for each in siblings.get(case_id, [case_id] if case_id is not None else []):
            bump(case(each), seq)
        if site is None:
            bump(ALL, seq)
        elif site[2]:
            bump(PUBLIC, seq)
            bump(county(site[1]), seq)
            bump(plot(site[0]), seq)
        else:
            bump(PRE, seq)
    return out


@event.listens_for(Session, "before_commit")
def _record(session: Session) -> None:
    if not session.info.get("ledger_scopes"):
        return
    session.flush()  # anything still pending may append events too
    pending = session.info.pop("ledger_scopes")
    heads = touched(session, pending)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Ledger appends are serialised (ledger.take_lock): a later commit has larger seqs.
    for scope in sorted(heads):
        stmt = insert(ScopeHead).values(scope=scope, seq=heads[scope])
        session.execute(
            stmt.on_conflict_do_update(index_elements=["scope"], set_={"seq": stmt.excluded.seq})
        )


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # The database transaction is gone (a savepoint's rollback does not get here:
    # what it undid is remembered, which only drops kept answers a little early).
    session.info.pop("ledger_scopes", None)


def seqs(scopes: tuple[str, ...]) -> tuple[int, ...]:
    """The last seq of each scope (0: nothing recorded yet), in the order asked."""
    rows = db.session.execute(
        select(ScopeHead.scope, ScopeHead.seq).where(ScopeHead.scope.in_(scopes))
    ).all()
    found = {scope: seq for scope, seq in rows}
    return tuple(found.get(s, 0) for s in scopes)


def for_register(args) -> tuple[str, ...] | None:
    """What a register answer (page, JSON, map, GeoJSON, CSV) with query ``args``
    depends on: one county's public plots, or every public plot. An unknown
    county is an error answer (never kept): the ledger head then."""
    from app.errors import ServiceError
    from app.services import regions

    raw = args.get("county")
    if not raw:
        return (ALL, PUBLIC)
    try:
        return (ALL, county(regions.county_code(raw, field="county")))
    except ServiceError:
        return None


def for_plot(code: str) -> tuple[str, ...]:
    """What a plot's public page, JSON and notice depend on."""
    return (ALL, plot(code))
