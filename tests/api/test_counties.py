"""Many counties on one platform (issue 18): jurisdiction by county, prefecture and
province; decision numbers per county; provincial decisions; cross-county
transfers told to, and acknowledged by, the destination county's bureau."""

from __future__ import annotations

import itertools

import pytest

from app.extensions import db as _db
from app.models import LedgerEvent, Notification
from app.services import auth, regions
from tests.support import PASSWORD, Actor, World, bearer

MANGSHI, RUILI, WUHUA, DEHONG = "533103", "533102", "530102", "533100"
_n = itertools.count()


def officer(world: World, key: str, county: str, *, department="environment", level=None):
    """An officer of ``county`` (served first), or of its prefecture/province."""
    if level is None:
        regions.serve(county)
    user = auth.create_user(f"{key}-{county}-{next(_n)}", role="bureau", department=department,
                            county=county, level=level, password=PASSWORD)  # fmt: skip
    world.actors[key] = Actor(user, bearer(user))
    return user


def in_county(world: World, county: str, target: str, **site) -> int:
    """A case of a plot in ``county`` driven to ``target`` by that county's officers."""
    regions.serve(county)
    env, nr = world.actors["env"], world.actors["nr"]
    officer(world, "env", county)
    officer(world, "nr", county, department="natural_resources")
    try:
        reg = world.register(county=county, **site)
        assert reg["code"].startswith(f"{county}-")
        return world.to_state(target, site=reg)
    finally:
        world.actors["here_env"], world.actors["here_nr"] = world.actors["env"], world.actors["nr"]
        world.actors["env"], world.actors["nr"] = env, nr


# ---------------------------------------------------------------- jurisdiction


def test_a_county_officer_sees_their_county_only_and_the_prefecture_sees_both(world):
    home = world.to_state("survey_review")
    theirs = in_county(world, MANGSHI, "survey_review", name="芒市原糖厂地块")
    assert world.get("env", f"/cases/{theirs}").status_code == 404
    assert world.get("here_env", f"/cases/{home}").status_code == 404
    assert world.get("here_env", f"/cases/{theirs}").status_code == 200
    listed = {c["id"] for c in world.get("env", "/cases?per_page=100").get_json()["items"]}
    assert home in listed and theirs not in listed

    officer(world, "dehong", DEHONG, level="prefecture")
    body = world.get("dehong", f"/cases/{theirs}").get_json()
    assert body["state"] == "survey_review" and "return" in body["allowed_actions"]
    both = {c["id"] for c in world.get("dehong", "/cases?per_page=100").get_json()["items"]}
    assert {home, theirs} <= both
    me = world.get("dehong", "/me").get_json()
    assert me["level"] == "prefecture" and me["region_code"] == DEHONG

    # A plot of 昆明市五华区 is outside 德宏州: the prefecture officer does not see it.
    far = in_county(world, WUHUA, "survey", name="五华区原印刷厂地块")
    assert world.get("dehong", f"/cases/{far}").status_code == 404


def test_a_prefecture_officer_must_name_the_county_of_what_they_record(world):
    officer(world, "dehong", DEHONG, level="prefecture")
    regions.serve(MANGSHI)
    body = {"name": "遮放镇原农药库地块", "township": "遮放镇", "address": "遮放镇",
            "former_industry": "农药仓储", "source": "inspection"}  # fmt: skip
    r = world.post("dehong", "/suspected-sites", body)
    assert r.status_code == 400 and "county" in r.get_json()["error"]["fields"]
    r = world.post("dehong", "/suspected-sites", {**body, "county": "芒市"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["county_code"] == MANGSHI
    # ... a county outside the prefecture is refused, and a county officer's own
    # county is theirs whatever they say.
    regions.serve(WUHUA)
    r = world.post("dehong", "/suspected-sites", {**body, "county": WUHUA})
    assert r.status_code == 400 and "辖区" in r.get_json()["error"]["fields"]["county"]
    r = world.post("env", "/suspected-sites", {**body, "county": MANGSHI})
    assert r.status_code == 400


def test_an_officer_is_created_for_a_served_county_or_a_level_above(app, db):
    with pytest.raises(Exception, match="用户信息有误"):
        auth.create_user("x1", role="bureau", department="environment", county=RUILI,
                         password=PASSWORD)  # not served  # fmt: skip
    regions.serve(RUILI)
    user = auth.create_user("x2", role="bureau", department="environment", county="瑞丽市",
                            password=PASSWORD)  # fmt: skip
    assert user.region_code == RUILI
    # --level prefecture with a county of it: the prefecture.
    upper = auth.create_user("x3", role="bureau", department="environment", county=RUILI,
                             level="prefecture", password=PASSWORD)  # fmt: skip
    assert upper.region_code == DEHONG
    with pytest.raises(Exception, match="用户信息有误"):
        auth.create_user("x4", role="landholder", county=RUILI, password=PASSWORD)


# ---------------------------------------------------------------- decisions


def test_decision_numbers_are_per_county_with_each_countys_prefix(world):
    home = world.to_state("risk_assessment")
    theirs = in_county(world, MANGSHI, "risk_assessment", name="芒市原糖厂地块")
    ours = world.case(home, "env")["decisions"]
    others = world.case(theirs, "here_env")["decisions"]
    assert [d["number"] for d in ours] == [f"陇环土审〔{ours[0]['date'][:4]}〕1号"]
    assert [d["number"] for d in others] == [f"芒环土审〔{others[0]['date'][:4]}〕1号"]
    assert others[0]["issued_by"] == "芒市"


def test_with_provincial_decisions_the_prefecture_lists_and_the_county_may_not(world, app):
    app.config["PROVINCIAL_DECISIONS"] = True
    try:
        cid = world.to_state("risk_assessment_review")
        world.act("nr", cid, "cosign")
        body = world.case(cid, "env")
        assert "approve" not in body["allowed_actions"]
        assert "省级" in body["blocked_actions"]["approve"]
        r = world.post("env", f"/cases/{cid}/actions/approve", {"version": body["version"]})
        assert r.status_code == 403
        # The county still decides what is not listing or release, and returns.
        assert "return" in body["allowed_actions"]

        officer(world, "dehong", DEHONG, level="prefecture")
        world.act("dehong", cid, "approve", "列入名录")
        decided = world.case(cid, "env")
        assert decided["state"] == "listed"
        listing = decided["decisions"][-1]
        year = listing["date"][:4]
        assert listing["number"] == f"德环土录〔{year}〕1号"
        assert listing["provincial_decision"]["number"] == listing["number"]
        assert listing["issued_by"] == "德宏傣族景颇族自治州"
    finally:
        app.config["PROVINCIAL_DECISIONS"] = False


# ---------------------------------------------------------------- cross-county transfers


def _manifest(world: World, destination: str) -> dict:
    cid = world.to_state("transfer_reporting")
    r = world.post("contractor", f"/cases/{cid}/manifests",
                   {**world.manifest_data(), "destination_county": destination})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_the_destination_county_sees_is_told_and_acknowledges_once(world):
    mangshi = officer(world, "mangshi", MANGSHI)
    officer(world, "ruili", RUILI)
    m = _manifest(world, "芒市")
    assert m["destination_county"] == "芒市" and m["destination_county_code"] == MANGSHI
    assert m["origin_county_code"] == "533124" and m["outside_platform"] is False
    assert m["acknowledged_at"] is None

    # Told at once, and the manifest is on its desk; the case is not theirs.
    texts = [n.text for n in _db.session.query(Notification).filter_by(user_id=mangshi.id)]
    assert len(texts) == 1 and m["number"] in texts[0] and "请确认知悉" in texts[0]
    assert world.get("mangshi", f"/manifests/{m['id']}").status_code == 200
    assert [x["id"] for x in world.get("mangshi", "/manifests").get_json()["items"]] == [m["id"]]
    assert world.get("mangshi", f"/cases/{m['case_id']}").status_code == 404
    assert world.get("ruili", f"/manifests/{m['id']}").status_code == 404

    # Only the destination's bureau acknowledges; once.
    r = world.post("env", f"/manifests/{m['id']}/acknowledge", {})
    assert r.status_code == 403
    r = world.post("ruili", f"/manifests/{m['id']}/acknowledge", {})
    assert r.status_code == 404
    r = world.post("mangshi", f"/manifests/{m['id']}/acknowledge", {"comment": "已知悉"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["acknowledged_at"]
    again = world.post("mangshi", f"/manifests/{m['id']}/acknowledge", {})
    assert again.status_code == 409
    event = _db.session.query(LedgerEvent).filter_by(action="manifest_acknowledged").one()
    assert event.case_id == m["case_id"] and event.detail["county_code"] == MANGSHI
    assert event.detail["comment"] == "已知悉"


def test_a_transfer_within_the_county_needs_no_acknowledgement(world):
    m = _manifest(world, "陇川县")
    assert m["destination_county_code"] == "533124"
    r = world.post("env", f"/manifests/{m['id']}/acknowledge", {})
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("destination", "code"),
    [("五华区", WUHUA), ("缅甸木姐", None)],
)
def test_a_transfer_leaving_the_platform_stays_text_and_is_marked(world, destination, code):
    m = _manifest(world, destination)
    assert m["destination_county"] == destination
    assert m["destination_county_code"] == code and m["outside_platform"] is True


def test_an_unknown_county_code_is_refused(world):
    cid = world.to_state("transfer_reporting")
    r = world.post("contractor", f"/cases/{cid}/manifests",
                   {**world.manifest_data(), "destination_county": "999999"})  # fmt: skip
    assert r.status_code == 400
    assert "destination_county" in r.get_json()["error"]["fields"]


def test_the_desk_shows_an_incoming_transfer_and_acknowledges_it(world, app):
    from tests.web.conftest import logged_in

    officer(world, "mangshi", MANGSHI)
    m = _manifest(world, "芒市")
    web = logged_in(app, world.actors["mangshi"].user)
    page = web.get("/review/manifests").get_data(as_text=True)
    assert m["number"] in page and 'data-testid="incoming"' in page
    assert 'data-testid="acknowledge"' in page
    r = web.post(f"/review/manifests/{m['id']}/acknowledge", data={"comment": ""})
    assert r.status_code == 302
    page = web.get("/review/manifests").get_data(as_text=True)
    assert 'data-testid="acknowledged"' in page and 'data-testid="acknowledge"' not in page
    # The origin's officer sees the transfer leave and is not offered the button;
    # a third county's officer gets a 404, as in the API.
    home = logged_in(app, world.actors["env"].user).get("/review/manifests").get_data(as_text=True)
    assert m["number"] in home and 'data-testid="acknowledge"' not in home
    officer(world, "ruili", RUILI)
    r = logged_in(app, world.actors["ruili"].user).post(f"/review/manifests/{m['id']}/acknowledge",
                                                         data={})  # fmt: skip
    assert r.status_code == 404


def test_each_issuer_keeps_a_prefix_of_its_own(app, db):
    """文号 are unique: two counties whose names start alike get distinct prefixes,
    fixed when served (富民县 first keeps 富环土)."""
    regions.serve("530124")  # 富民县
    regions.serve("530325")  # 富源县
    assert regions.decision_prefix("530124") == "富环土"
    assert regions.decision_prefix("530325") == "富源环土"
    assert regions.decision_prefix("533124") == "陇环土"
    assert regions.decision_prefix("530000") == "云环土"
