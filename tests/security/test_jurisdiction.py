"""Jurisdiction between counties and after a hand-over (issue 17, item 3 and the
matrix's "other county" and "former holder" rows): the cases the access matrix
cannot show with one object of each kind."""

from __future__ import annotations

from app.extensions import db as _db
from app.models import Case, Tipoff
from app.services import regions, tipoff_desk
from app.services import tipoffs as tipoff_service
from tests.support import Actor, bearer, make_party, make_user
from tests.web.conftest import logged_in

TIPOFF = {"channel": "hotline", "township": "章凤镇", "location": "迭撒村南河滩",
          "description": "夜间有车辆倾倒黑色废渣，气味刺鼻。"}  # fmt: skip


def _officer(world, key: str, county: str):
    officer = make_user("bureau", department="environment")
    officer.region_code = regions.county_code(county, served_only=False)
    _db.session.commit()
    world.actors[key] = Actor(officer, bearer(officer))
    return officer


def test_a_succession_recorded_by_another_county_moves_only_its_own_cases(world):
    """A unit's end is a fact any county's bureau records; which of its open cases
    move is each county's decision."""
    polluter = make_party("原冶炼公司")
    successor = make_party("承继公司")
    reg = world.register(responsible_party_credit_code=polluter.credit_code)
    cid = world.to_state("survey_review", site=reg)
    _officer(world, "ruili", "瑞丽市")
    r = world.post("ruili", f"/parties/{polluter.credit_code}/succession",
                   {"successor_credit_code": successor.credit_code})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["moved_cases"] == []
    _db.session.expire_all()
    assert _db.session.get(Case, cid).responsible_party_id == polluter.id
    # The plot's own county moves it.
    r = world.post("env", f"/parties/{polluter.credit_code}/succession",
                   {"successor_credit_code": successor.credit_code})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["moved_cases"] == [cid]


def test_tip_offs_belong_to_the_county_that_took_them(app, world):
    public, _code = tipoff_service.create(
        township="章凤镇", location="老糖厂围墙外", description="河边堆放不明废渣，气味刺鼻难闻。"
    )
    ruili = _officer(world, "ruili", "瑞丽市")
    r = world.post("ruili", "/tipoffs", {**TIPOFF, "township": "畹町镇"})
    assert r.status_code == 201, r.get_json()
    theirs = r.get_json()["id"]
    assert _db.session.get(Tipoff, theirs).county_code == "533102"  # 瑞丽市
    assert _db.session.get(Tipoff, public.id).county_code == app.config["COUNTY_CODE"]

    listed = {t["id"] for t in world.get("ruili", "/tipoffs").get_json()["items"]}
    assert listed == {theirs}
    home = {t["id"] for t in world.get("env", "/tipoffs").get_json()["items"]}
    assert public.id in home and theirs not in home
    assert world.get("ruili", f"/tipoffs/{public.id}").status_code == 404
    assert world.get("env", f"/tipoffs/{theirs}").status_code == 404
    # The desk's counts and overdue figure are the county's own.
    assert sum(tipoff_service.counts(ruili).values()) == 1
    assert tipoff_desk.overdue_count(ruili) == 0
    page = logged_in(app, ruili).get("/review/tipoffs").get_data(as_text=True)
    assert "畹町镇" in page and "老糖厂围墙外" not in page


def test_a_tip_off_links_only_to_a_plot_of_its_county(world):
    reg = world.register()
    world.to_state("listed", site=reg)
    _officer(world, "ruili", "瑞丽市")
    r = world.post("ruili", "/tipoffs", {**TIPOFF, "township": "畹町镇"})
    theirs = r.get_json()["id"]
    r = world.post("ruili", f"/tipoffs/{theirs}", {"site_code": reg["code"], "note": "关联"})
    assert r.status_code == 400 and "site_code" in r.get_json()["error"]["fields"]


def test_the_desk_ledger_shows_the_officers_county(app, world):
    reg = world.register(name="本县冶炼地块")
    cid = world.to_state("survey_review", site=reg)
    ruili = _officer(world, "ruili", "瑞丽市")
    link = f"/review/cases/{cid}"
    assert link in logged_in(app, world.env.user).get("/review/ledger").get_data(as_text=True)
    assert link not in logged_in(app, ruili).get("/review/ledger").get_data(as_text=True)


def test_only_who_may_dispatch_is_offered_the_dispatch_button(app, world):
    """The contractor and the responsible party dispatch; a landholder that is not
    the responsible party reads the manifest with no button the service refuses."""
    reg = world.register(responsible_party_credit_code=make_party("责任单位").credit_code)
    cid = world.to_state("transfer_reporting", site=reg)
    m = world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data()).get_json()
    button = f"/portal/manifests/{m['id']}/dispatch"
    assert button in logged_in(app, world.contractor.user).get("/portal/manifests").get_data(
        as_text=True
    )
    page = logged_in(app, world.landholder.user).get("/portal/manifests").get_data(as_text=True)
    assert m["number"] in page and button not in page
