"""``flask register verify|rebuild``: the kept counts and search terms (issue 19)
checked against a fresh count, and made afresh."""

from __future__ import annotations

import json

from sqlalchemy import delete, update

from app.models import Site, SiteTerm
from app.services.public import register
from tests.public.helpers import plot


def test_verify_finds_a_damaged_index_and_rebuild_mends_it(app, db, world):
    runner = app.test_cli_runner()
    code, _ = plot(world, "listed", name="原砷冶炼厂地块")
    ok = runner.invoke(args=["register", "verify"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["search"]["sites"] >= 1

    # Rows changed below the application: terms lost, a state not followed.
    db.session.execute(delete(SiteTerm).where(SiteTerm.term == "砷冶"))
    db.session.execute(update(Site).where(Site.code == code).values(case_state="released"))
    db.session.commit()
    assert register.search(register.Filters(q="砷冶炼")).total == 0
    bad = runner.invoke(args=["register", "verify"])
    assert bad.exit_code == 1
    body = json.loads(bad.output)
    assert body["search"]["differences"] and body["counts"]["stale_states"] == 1

    mended = runner.invoke(args=["register", "rebuild"])
    assert mended.exit_code == 0, mended.output
    assert runner.invoke(args=["register", "verify"]).exit_code == 0
    assert [r.site.code for r in register.search(register.Filters(q="砷冶炼")).items] == [code]
