"""Kept public answers last as long as what they show (issue 19): a plot's page
until that plot changes, a county's register until a public plot of that county
changes, the whole register until any public plot changes; a change without a
case (the party register, regions) drops them all. The same ETag means the kept
answer was served."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ScopeHead
from app.services import regions, scopes
from tests.public.helpers import plot
from tests.public.test_counties import LONGCHUAN, MANGSHI, RUILI, mangshi_world


@pytest.fixture
def counties(app, client, world):
    regions.serve(MANGSHI)
    ml = mangshi_world(client)
    lc = plot(world, "listed", name="陇川冶炼厂地块", township="章凤镇")
    lc2 = plot(world, "listed", name="陇川化工厂地块", township="景罕镇")
    ms = plot(ml, "listed", name="芒市糖厂地块", township="勐焕街道", county=MANGSHI)
    return {"world": world, "mangshi": ml, "lc": lc, "lc2": lc2, "ms": ms}


URLS = {
    "lc_page": lambda c: f"/sites/{c['lc'][0]}",
    "lc_json": lambda c: f"/api/v1/public/sites/{c['lc'][0]}",
    "lc2_page": lambda c: f"/sites/{c['lc2'][0]}",
    "ms_page": lambda c: f"/sites/{c['ms'][0]}",
    "register": lambda c: "/",
    "register_json": lambda c: "/api/v1/public/sites",
    "longchuan": lambda c: f"/?county={LONGCHUAN}",
    "longchuan_named": lambda c: "/api/v1/public/sites?county=陇川县",
    "mangshi": lambda c: f"/?county={MANGSHI}",
    "mangshi_geojson": lambda c: f"/api/v1/public/sites.geojson?county={MANGSHI}",
}


def _etags(client, c) -> dict[str, str]:
    out = {}
    for name, url in URLS.items():
        r = client.get(url(c))
        assert r.status_code == 200, url(c)
        out[name] = r.headers["ETag"]
    return out


def _moved(before: dict, after: dict) -> set[str]:
    return {k for k in before if before[k] != after[k]}


def test_a_change_drops_only_the_answers_that_show_it(app, client, counties):
    c = counties
    anon = app.test_client()
    start = _etags(anon, c)
    assert _etags(anon, c) == start  # kept

    # A plot not public yet (a survey in 陇川) moves nothing the public sees.
    c["world"].register(name="陇川新登记地块")
    assert _etags(anon, c) == start

    # A public plot of 陇川 changes: its own answers, 陇川's register and the whole
    # register move; the other plot of 陇川 and everything of 芒市 stay kept.
    c["world"].act("env", c["lc"][1], "require_remediation")
    after = _etags(anon, c)
    assert _moved(start, after) == {
        "lc_page", "lc_json", "register", "register_json", "longchuan", "longchuan_named",
    }  # fmt: skip
    assert "决定实施修复" in anon.get(URLS["lc_page"](c)).get_data(as_text=True)

    # A public plot of 芒市 changes: 芒市's answers and the whole register only.
    c["mangshi"].act("env", c["ms"][1], "require_control")
    again = _etags(anon, c)
    assert _moved(after, again) == {"ms_page", "mangshi", "mangshi_geojson", "register",
                                    "register_json"}  # fmt: skip

    # A change without a case (a county served) may touch any page: all move.
    regions.serve(RUILI)
    assert _moved(again, _etags(anon, c)) == set(URLS)


def test_listing_a_plot_is_a_public_change_of_its_county(app, client, world):
    reg = world.register(name="待列入地块")
    anon = app.test_client()
    before = anon.get(f"/?county={LONGCHUAN}")
    assert "待列入地块" not in before.get_data(as_text=True)
    world.to_state("listed", site=reg)
    after = anon.get(f"/?county={LONGCHUAN}")
    assert "待列入地块" in after.get_data(as_text=True)
    heads = dict(db.session.execute(select(ScopeHead.scope, ScopeHead.seq)).all())
    assert heads[scopes.plot(reg["code"])] == heads[scopes.county(LONGCHUAN)] == heads["public"]
    assert heads["pre"] < heads["public"]


def test_a_rolled_back_change_records_no_scope(app, world):
    code, case_id = plot(world, "listed", name="回滚地块")
    heads = dict(db.session.execute(select(ScopeHead.scope, ScopeHead.seq)).all())
    from app.services import ledger

    ledger.append("note", actor=None, case_id=case_id)
    db.session.rollback()
    db.session.commit()
    assert dict(db.session.execute(select(ScopeHead.scope, ScopeHead.seq)).all()) == heads


def test_the_case_api_keeps_a_case_until_that_case_or_its_plot_moves(app, world):
    """GET /api/v1/cases/<id> is kept per caller and case: another case's event does
    not drop it (one statement or two: the token, the scopes), its own does."""
    from sqlalchemy import event as sa_event

    a = world.to_state("survey_review")
    b = world.to_state("survey_review")
    count = []
    engine = db.engine
    listener = lambda *args, **kwargs: count.append(1)  # noqa: E731
    first = world.get("env", f"/cases/{a}").get_json()
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        world.act("env", b, "return", comment="补充调查点位")  # another case moves
        count.clear()
        again = world.get("env", f"/cases/{a}").get_json()
        assert again == first and len(count) <= 2
        world.act("nr", a, "cosign")  # this case moves
        count.clear()
        moved = world.get("env", f"/cases/{a}").get_json()
        assert moved != first and len(count) > 5
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
