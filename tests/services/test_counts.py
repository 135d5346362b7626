"""Plot counts kept in the transaction of each change (issue 19) equal a fresh
COUNT: along a plot's whole story, after a use change reopens it, after a failed
transaction, and (PostgreSQL) after concurrent decisions on many plots."""

from __future__ import annotations

import pytest

from app.models import PlotCount
from app.services import counts
from app.services.public import register
from tests.api.test_concurrency import _together


def _check(db) -> None:
    db.session.expire_all()
    result = counts.verify()
    assert result["ok"], result


def test_counts_follow_a_plot_through_its_story(world, db):
    reg = world.register()
    _check(db)
    world.to_state("listed", site=reg)
    _check(db)
    # The survey's lead above the screening value made lead a pollutant of concern,
    # counted for the register's filter once the plot is public.
    assert counts.verify()["pollutant_rows"] == 1
    assert register.search(register.Filters(pollutant="lead")).total == 1
    assert ("lead", "铅") in register.filter_options()["pollutants"]
    world.to_state("released")
    _check(db)
    # The header and the register's totals read the kept rows and agree with a count.
    db.session.expire_all()
    summary = register.summary()
    assert summary["public"] == 2 and summary["by_state"]["released"] == 1
    page = register.search(register.Filters(state="released"))
    assert page.total == 1 == len(page.items)
    assert register.search(register.Filters(township="没有的镇")).total == 0


def test_a_use_change_that_reopens_a_plot_moves_its_count(world, db):
    reg = world.register(planned_use="industrial")
    cid = world.to_state("survey_review", site=reg)
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"  # below category 2's values
    r = world.post("env", f"/sites/{reg['code']}/use-change",
                   {"planned_use": "school", "basis": "规划批复"})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    _check(db)
    db.session.expire_all()
    rows = {(c.state, c.land_category, c.public): c.n for c in db.session.query(PlotCount) if c.n}
    assert rows == {("survey", 1, True): 1}


def test_a_rolled_back_change_leaves_the_counts_as_they_were(world, db):
    """The counts move in the flush of the change and go back with its rollback."""
    from app.models import Case

    reg = world.register()
    cid = world.to_state("survey_review", site=reg)
    before = counts.kept()
    case = db.session.get(Case, cid)
    case.state = "released"
    db.session.flush()  # the plot leaves its survey_review row, joins released
    assert counts.kept() != before
    db.session.rollback()
    assert counts.kept() == before
    _check(db)
    # A refused action (stale version) leaves them as they were too.
    r = world.post("env", f"/cases/{cid}/actions/approve", {"version": 1})
    assert r.status_code == 409
    db.session.expire_all()
    assert counts.kept() == before


def test_rebuild_counts_afresh(world, db):
    world.to_state("listed")
    db.session.query(PlotCount).delete()
    db.session.commit()
    assert not counts.verify()["ok"]
    assert counts.rebuild() >= 1
    _check(db)


def test_concurrent_decisions_keep_the_counts_equal_to_a_fresh_count(app, db, world, is_postgres):
    """Twelve plots of one township and state approved into the register at once:
    every transaction updates the same count rows; none may be lost."""
    if not is_postgres:
        pytest.skip("SQLite serialises writers on the database file; row locks need PostgreSQL")
    cids = []
    for _ in range(12):
        cid = world.to_state("risk_assessment_review")
        world.act("nr", cid, "cosign")
        cids.append(cid)
    versions = {cid: world.case(cid, "env")["version"] for cid in cids}
    headers = dict(world.actors["env"].headers)
    db.session.commit()
    results = _together(app, [(f"/api/v1/cases/{cid}/actions/approve",
                               {"version": versions[cid]}, headers) for cid in cids])  # fmt: skip
    assert [s for s, _ in results] == [200] * len(cids), results
    _check(db)
    listed = sum(c.n for c in db.session.query(PlotCount).filter_by(state="listed", public=True))
    assert listed == len(cids)
