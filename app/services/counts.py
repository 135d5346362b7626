"""Plot counts kept in the transaction of the change (issue 19).

Every plot is counted in one ``plot_counts`` row: its county, township, the
state of its current case, its land category and whether it is public. Before
each flush, the plots and cases the flush writes are looked at again; a plot
whose key moved leaves its old row and joins its new one, by an upsert
(``n = n + delta``) in the same transaction, rows taken in key order so two
writers never wait on each other crosswise. The register's totals and header
then add up a handful of rows instead of counting every plot.

``rebuild()`` counts afresh (after a bulk load that bypassed the ORM, e.g. the
benchmark's seeder); ``verify()`` compares the kept rows with a fresh count.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Case, PlotCount, PlotPollutant, PollutantCount, Sample, Site

KEY = ("county_code", "township", "state", "land_category", "public")
# A sample above a screening value makes its pollutant one of concern.
EXCEEDING = ("above_screening", "above_intervention")


def key_of(site: Site, case: Case | None) -> list | None:
    if case is None:
        return None
    return [site.county_code, site.township, case.state, site.land_category,
            site.public_since is not None]  # fmt: skip


def _touched(session: Session) -> set[Site]:
    sites: set[Site] = set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Site):
            sites.add(obj)
        elif isinstance(obj, Case) and obj.site_id is not None:
            site = session.get(Site, obj.site_id)
            if site is not None:
                sites.add(site)
    return {s for s in sites if s not in session.deleted}


@event.listens_for(Session, "before_flush")
def _keep(session: Session, _context, _instances) -> None:
    deltas: Counter = Counter()
    moved: list[Site] = []
    for site in _touched(session):
        case = session.get(Case, site.current_case_id) if site.current_case_id else None
        new = key_of(site, case)
        state = case.state if case is not None else None
        if site.case_state != state:
            site.case_state = state
        if new == site.count_key:
            continue
        if site.count_key:
            deltas[tuple(site.count_key)] -= 1
        if new:
            deltas[tuple(new)] += 1
        site.count_key = new
        moved.append(site)
    if any(deltas.values()):
        _apply(session, deltas)
    # A new case, another county or going public moves the plot's pollutants too.
    refresh_pollutants(session, moved)


def _apply(session: Session, deltas: Counter) -> None:
    _upsert(session, PlotCount, KEY, deltas)


def _upsert(session: Session, model, keys: tuple[str, ...], deltas: Counter) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in sorted(k for k, d in deltas.items() if d):
        stmt = insert(model).values(**dict(zip(keys, key, strict=True)), n=deltas[key])
        session.execute(stmt.on_conflict_do_update(
            index_elements=list(keys), set_={"n": model.n + stmt.excluded.n}))  # fmt: skip


# ---------------------------------------------------------------- pollutants of concern

POLLUTANT_KEY = ("county_code", "pollutant_key", "public")


def refresh_pollutants(session: Session, sites: list[Site]) -> None:
    """Make the ``plot_pollutants`` rows of ``sites`` those of their current cases
    now (after samples were filed, a new case opened, a plot moved county or went
    public), and move ``pollutant_counts`` by the difference, in the caller's
    transaction."""
    by_id = {s.id: s for s in sites if s.id is not None}
    if not by_id:
        return
    want: dict[int, set[str]] = {i: set() for i in by_id}
    of_case = {s.current_case_id: s.id for s in by_id.values() if s.current_case_id}
    if of_case:
        for case_id, key in session.execute(
            select(Sample.case_id, Sample.pollutant_key)
            .where(Sample.case_id.in_(of_case), Sample.level.in_(EXCEEDING))
            .distinct()
        ):
            want[of_case[case_id]].add(key)
    have = {
        (r.site_id, r.pollutant_key): (r.county_code, bool(r.public))
        for r in session.execute(select(PlotPollutant).where(PlotPollutant.site_id.in_(by_id)))
        .scalars()
    }  # fmt: skip
    deltas: Counter = Counter()
    gone, new = [], []
    for sid, site in by_id.items():
        now = (site.county_code, site.public_since is not None)
        for key in {k for s, k in have if s == sid} | want[sid]:
            before = have.get((sid, key))
            after = now if key in want[sid] else None
            if before == after:
                continue
            if before is not None:
                gone.append((sid, key))
                deltas[(before[0], key, before[1])] -= 1
            if after is not None:
                new.append({"site_id": sid, "pollutant_key": key, "county_code": now[0],
                            "public": now[1]})  # fmt: skip
                deltas[(now[0], key, now[1])] += 1
    for sid, key in gone:
        session.execute(delete(PlotPollutant).where(
            PlotPollutant.site_id == sid, PlotPollutant.pollutant_key == key))  # fmt: skip
    if new:
        session.execute(PlotPollutant.__table__.insert(), new)
    _upsert(session, PollutantCount, POLLUTANT_KEY, deltas)


def fresh_pollutants() -> set[tuple]:
    """(plot, pollutant, county, public) of every plot's current case, computed now."""
    rows = db.session.execute(
        select(Site.id, Sample.pollutant_key, Site.county_code, Site.public_since.is_not(None))
        .join(Site, Site.current_case_id == Sample.case_id)
        .where(Sample.level.in_(EXCEEDING))
        .distinct()
    ).all()
    return {(i, k, c, bool(p)) for i, k, c, p in rows}


def _kept_pollutants() -> set[tuple]:
    rows = db.session.execute(select(PlotPollutant)).scalars()
    return {(r.site_id, r.pollutant_key, r.county_code, bool(r.public)) for r in rows}


def _pollutant_totals(rows: set[tuple]) -> dict[tuple, int]:
    return dict(Counter((c, k, p) for _, k, c, p in rows))


def fresh() -> dict[tuple, int]:
    """The counts computed now from the plots and their current cases."""
    rows = db.session.execute(
        select(Site.county_code, Site.township, Case.state, Site.land_category,
               Site.public_since.is_not(None), func.count())
        .join(Case, Case.id == Site.current_case_id)
        .group_by(Site.county_code, Site.township, Case.state, Site.land_category,
                  Site.public_since.is_not(None))
    ).all()  # fmt: skip
    return {(c, t, s, k, bool(p)): n for c, t, s, k, p, n in rows}


def kept() -> dict[tuple, int]:
    rows = db.session.execute(select(PlotCount).where(PlotCount.n != 0)).scalars()
    return {
        (r.county_code, r.township, r.state, r.land_category, bool(r.public)): r.n for r in rows
    }


def verify() -> dict:
    """Kept rows against a fresh count: ``{"ok", "rows", "differences"}``."""
    now, have = fresh(), kept()
    diff = {k: (have.get(k, 0), now.get(k, 0)) for k in set(now) | set(have)
            if have.get(k, 0) != now.get(k, 0)}  # fmt: skip
    # Plots whose kept case state is not their current case's.
    stale = db.session.scalar(
        select(func.count()).select_from(Site).join(Case, Case.id == Site.current_case_id)
        .where(or_(Site.case_state.is_(None), Site.case_state != Case.state))
    )  # fmt: skip
    # Pollutants of concern: the kept rows and their counts against the samples.
    want, got = fresh_pollutants(), _kept_pollutants()
    counted = {(r.county_code, r.pollutant_key, bool(r.public)): r.n
               for r in db.session.scalars(select(PollutantCount).where(PollutantCount.n != 0))}  # fmt: skip
    pollutants_ok = want == got and counted == _pollutant_totals(want)
    return {"ok": not diff and not stale and pollutants_ok, "rows": len(now),
            "stale_states": stale, "pollutants_ok": pollutants_ok,
            "pollutant_rows": len(want), "differences": [
        {"key": list(k), "kept": a, "counted": b} for k, (a, b) in sorted(diff.items())[:20]]}  # fmt: skip


def rebuild() -> int:
    """Count afresh and set every plot's key (after a load that bypassed the ORM).
    Commits; returns the number of rows."""
    now = fresh()
    db.session.execute(delete(PlotCount))
    if now:
        db.session.execute(PlotCount.__table__.insert(),
                           [{**dict(zip(KEY, k, strict=True)), "n": n} for k, n in now.items()])  # fmt: skip
    keys = db.session.execute(
        select(Site.id, Site.county_code, Site.township, Case.state, Site.land_category,
               Site.public_since.is_not(None))
        .join(Case, Case.id == Site.current_case_id)
    ).all()  # fmt: skip
    table = Site.__table__
    batch = [{"sid": i, "k": [c, t, s, k, bool(p)], "s": s} for i, c, t, s, k, p in keys]
    for at in range(0, len(batch), 5000):
        db.session.execute(
            table.update()
            .where(table.c.id == db.bindparam("sid"))
            .values(count_key=db.bindparam("k"), case_state=db.bindparam("s")),
            batch[at : at + 5000],
        )
    pollutants = fresh_pollutants()
    db.session.execute(delete(PlotPollutant))
    db.session.execute(delete(PollutantCount))
    rows = [{"site_id": i, "pollutant_key": k, "county_code": c, "public": p}
            for i, k, c, p in sorted(pollutants)]  # fmt: skip
    for at in range(0, len(rows), 5000):
        db.session.execute(PlotPollutant.__table__.insert(), rows[at : at + 5000])
    totals = _pollutant_totals(pollutants)
    if totals:
        db.session.execute(PollutantCount.__table__.insert(), [
            {**dict(zip(POLLUTANT_KEY, k, strict=True)), "n": n} for k, n in totals.items()])  # fmt: skip
    db.session.commit()
    return len(now)
