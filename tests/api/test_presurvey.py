"""DESIGN §12 through the API: suspected plots and ordered surveys, key supervised
units, self-monitoring and demolition plans, the published list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Case, KeyUnit, LedgerEvent, Suspect, UnitFiling
from app.services import clock, workdays
from tests.support import Actor, bearer, make_party, make_user, new_credit_code

SUSPECT = {
    "name": "原陇川县化工厂地块",
    "township": "章凤镇",
    "address": "章凤镇迭撒路 12 号",
    "former_industry": "化学原料制造",
    "source": "key_enterprise_closure",
}
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [
        [[97.79, 24.18], [97.80, 24.18], [97.80, 24.19], [97.79, 24.19], [97.79, 24.18]]
    ],
}


def _due(days=60):
    return (clock.today() + timedelta(days=days)).isoformat()


def _suspect(world, **overrides):
    r = world.post("env", "/suspected-sites", {**SUSPECT, **overrides})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "suspected" and isinstance(body["id"], int)
    return body


def _ledger_count():
    return _db.session.scalar(select(func.count()).select_from(LedgerEvent))


# ---------------------------------------------------------------- suspected plots


def test_the_bureau_records_and_lists_suspected_plots(world):
    a = _suspect(world, landholder_credit_code=world.landholder.party.credit_code,
                 boundary=BOUNDARY)  # fmt: skip
    b = _suspect(world, name="收回的原砖厂地块", source="land_recovery")
    r = world.get("env", "/suspected-sites")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [b["id"], a["id"]]
    assert body["items"][1]["landholder"]["credit_code"] == world.landholder.party.credit_code
    assert body["items"][1]["lat"] == pytest.approx(24.185, abs=1e-3)
    only = world.get("env", "/suspected-sites?source=land_recovery").get_json()
    assert [i["id"] for i in only["items"]] == [b["id"]]
    assert world.get("env", "/suspected-sites?status=bogus").status_code == 400


@pytest.mark.parametrize("who", ["landholder", "contractor", "admin"])
def test_only_the_bureau_keeps_the_list(world, who):
    assert world.post(who, "/suspected-sites", SUSPECT).status_code == 403
    assert world.get(who, "/suspected-sites").status_code == 403


def test_a_bad_suspected_plot_is_a_clear_400_naming_the_fields(world):
    r = world.post("env", "/suspected-sites", {**SUSPECT, "source": "rumour", "name": ""})
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert {"source", "name"} <= set(fields)
    r = world.post("env", "/suspected-sites",
                   {**SUSPECT, "landholder_credit_code": new_credit_code()})  # fmt: skip
    assert r.status_code == 400 and "landholder_credit_code" in r.get_json()["error"]["fields"]
    assert _db.session.scalar(select(func.count()).select_from(Suspect)) == 0


def test_ordering_a_survey_opens_the_case_for_the_landholder(world):
    s = _suspect(world, landholder_credit_code=world.landholder.party.credit_code)
    before = _ledger_count()
    due = _due()
    r = world.post("env", f"/suspected-sites/{s['id']}/order-survey", {"due": due})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "ordered" and body["due"] == due and body["site_code"]
    case_id = body["case"]["id"]
    assert _ledger_count() == before + 1

    # The landholder sees the ordered survey: the case, its deadline, the notice.
    case = world.case(case_id, "landholder")
    assert case["state"] == "survey"
    order = [d for d in case["deadlines"] if d["kind"] == "survey_order"]
    assert order == [{**order[0], "due": due, "owner": "responsible", "overdue": False}]
    assert "第五十九条" in order[0]["basis"]
    notes = world.get("landholder", "/notifications").get_json()["items"]
    assert any(n["kind"] == "survey_ordered" and n["case_id"] == case_id and due in n["text"]
               for n in notes)  # fmt: skip
    listed = [c["id"] for c in world.get("landholder", "/cases").get_json()["items"]]
    assert case_id in listed
    # ... and the bureau's agenda has it.
    agenda = world.get("env", "/deadlines?kind=survey_order").get_json()["items"]
    assert [(d["case_id"], d["due"]) for d in agenda] == [(case_id, due)]

    # The survey report closes the order's clock and opens the case for good.
    world.file("landholder", case_id, "survey_report", world.survey_data())
    world.act("landholder", case_id, "submit")
    case = world.case(case_id, "landholder")
    assert not [d for d in case["deadlines"] if d["kind"] == "survey_order"]
    assert world.get("env", f"/suspected-sites/{s['id']}").get_json()["status"] == "case_open"


def test_recovered_land_is_surveyed_by_the_county_government(world):
    government = make_party("陇川县人民政府", kind="government")
    g_user = make_user("landholder", government)
    world.actors["gov"] = Actor(g_user, bearer(g_user), government)
    s = _suspect(world, source="land_recovery",
                 landholder_credit_code=world.landholder.party.credit_code)  # fmt: skip
    r = world.post("env", f"/suspected-sites/{s['id']}/order-survey", {"due": _due()})
    assert r.status_code == 200, r.get_json()
    case_id = r.get_json()["case"]["id"]
    case = _db.session.get(Case, case_id)
    assert case.responsible_party_id == government.id
    assert case.site.landholder_party_id == government.id and case.site.trigger == "land_recovery"
    assert world.get("gov", f"/cases/{case_id}").status_code == 200
    assert world.get("landholder", f"/cases/{case_id}").status_code == 404
    # No landholder known: the government as well.
    s2 = _suspect(world, source="tipoff", name="举报的渣场")
    r = world.post("env", f"/suspected-sites/{s2['id']}/order-survey", {"due": _due()})
    assert r.status_code == 200
    assert _db.session.get(Case, r.get_json()["case"]["id"]).responsible_party_id == government.id


def test_no_county_government_registered_is_a_clear_error_and_nothing_changes(world):
    s = _suspect(world, source="land_recovery")
    before = _ledger_count()
    r = world.post("env", f"/suspected-sites/{s['id']}/order-survey", {"due": _due()})
    assert r.status_code == 400 and "government" in r.get_json()["error"]["fields"]
    assert _ledger_count() == before
    assert _db.session.get(Suspect, s["id"]).status == "suspected"


def test_an_order_needs_a_future_date_and_happens_once(world):
    s = _suspect(world, landholder_credit_code=world.landholder.party.credit_code)
    url = f"/suspected-sites/{s['id']}/order-survey"
    for bad in ({}, {"due": "next week"}, {"due": clock.today().isoformat()}):
        r = world.post("env", url, bad)
        assert r.status_code == 400 and "due" in r.get_json()["error"]["fields"], bad
    assert world.post("nr", url, {"due": _due()}).status_code == 403
    assert world.post("env", url, {"due": _due()}).status_code == 200
    r = world.post("env", url, {"due": _due()})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    assert _db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_dismissal_keeps_its_reason(world):
    s = _suspect(world)
    r = world.post("env", f"/suspected-sites/{s['id']}/dismiss", {})
    assert r.status_code == 400 and "reason" in r.get_json()["error"]["fields"]
    r = world.post(
        "env", f"/suspected-sites/{s['id']}/dismiss", {"reason": "核查为新建厂房，无历史生产"}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "dismissed"
    assert r.get_json()["dismissed_reason"] == "核查为新建厂房，无历史生产"
    r = world.post("env", f"/suspected-sites/{s['id']}/order-survey", {"due": _due()})
    assert r.status_code == 409


def test_another_countys_officer_sees_no_suspected_plot(world):
    s = _suspect(world)
    other = make_user("bureau", department="environment")
    other.region_code = "533102"
    _db.session.commit()
    world.actors["ruili"] = Actor(other, bearer(other))
    assert world.get("ruili", f"/suspected-sites/{s['id']}").status_code == 404
    assert world.get("ruili", "/suspected-sites").get_json()["total"] == 0
    r = world.post("ruili", f"/suspected-sites/{s['id']}/order-survey", {"due": _due()})
    assert r.status_code == 404


# ---------------------------------------------------------------- key units


@pytest.fixture
def unit(world):
    """A key unit of this year with a user of its own."""
    party = make_party("陇川县某铅锌冶炼有限公司")
    user = make_user("landholder", party)
    world.actors["unit"] = Actor(user, bearer(user), party)
    r = world.post("env", "/key-units", {"credit_code": party.credit_code,
                                         "year": clock.today().year, "industry": "有色金属冶炼",
                                         "township": "章凤镇"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    return party


def test_the_key_unit_list_is_published_by_year(world, client, unit):
    year = clock.today().year
    r = world.post("env", "/key-units",
                   {"credit_code": new_credit_code(), "year": year, "name": "新登记的电镀厂"})  # fmt: skip
    assert r.status_code == 201 and r.get_json()["name"] == "新登记的电镀厂"
    r = world.post("env", "/key-units", {"credit_code": unit.credit_code, "year": year})
    assert r.status_code == 400 and "credit_code" in r.get_json()["error"]["fields"]
    r = world.post("env", "/key-units", {"credit_code": new_credit_code(), "year": year})
    assert (
        r.status_code == 400 and "未在本系统登记" in r.get_json()["error"]["fields"]["credit_code"]
    )
    assert world.post("landholder", "/key-units", {"credit_code": unit.credit_code,
                                                   "year": year + 1}).status_code == 403  # fmt: skip

    r = client.get(f"/api/v1/public/key-units?year={year}")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    body = r.get_json()
    assert body["year"] == year and body["total"] == 2
    names = {i["name"] for i in body["items"]}
    assert names == {unit.name, "新登记的电镀厂"}
    assert set(body["items"][0]) == {"credit_code", "name", "county", "county_code", "township",
                                     "address", "industry", "year", "status"}  # fmt: skip
    assert client.get(f"/api/v1/public/key-units?year={year - 1}").get_json()["total"] == 0
    assert client.get("/api/v1/public/key-units?year=abc").status_code == 400


def _monitoring(lead=500.0):
    return {
        "kind": "self_monitoring",
        "year": clock.today().year,
        "monitoring_unit": "云南某检测有限公司",
        "sampled_on": (clock.today() - timedelta(days=10)).isoformat(),
        "conclusion": "厂区土壤铅含量总体低于筛选值",
        "samples": [
            {"point_id": "T1", "depth_m": 0.2, "pollutant": "铅", "value": lead, "unit": "mg/kg"},
            {"point_id": "T1", "depth_m": 0.2, "pollutant": "镉", "value": 3.0, "unit": "mg/kg"},
            {
                "point_id": "W1",
                "medium": "groundwater",
                "pollutant": "铅",
                "value": 0.01,
                "unit": "mg/L",
            },
        ],
    }


def test_self_monitoring_is_screened_and_exceedances_reach_the_bureau(world, unit):
    url = f"/key-units/{unit.credit_code}/filings"
    r = world.post("unit", url, _monitoring(lead=500.0))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["exceedances"] == 0
    assert not [n for n in world.get("env", "/notifications").get_json()["items"]
                if n["kind"] == "exceedance"]  # fmt: skip
    r = world.post("unit", url, _monitoring(lead=1200.0))  # above 800 mg/kg (category 2)
    assert r.status_code == 201 and r.get_json()["exceedances"] == 1
    levels = {x["pollutant"]: x["level"] for x in r.get_json()["screening"]["results"]}
    assert levels["铅"] == "above_screening"
    notes = [n for n in world.get("env", "/notifications").get_json()["items"]
             if n["kind"] == "exceedance"]  # fmt: skip
    assert len(notes) == 1 and unit.name in notes[0]["text"]
    # Another unit, the landholder: not theirs.
    assert world.post("landholder", url, _monitoring()).status_code == 404
    r = world.get("env", f"/key-units/{unit.credit_code}")
    assert r.status_code == 200 and len(r.get_json()["filings"]) == 2


def _plan(start_days_from_today: int | None = None, start=None):
    start = start or clock.today() + timedelta(days=start_days_from_today)
    return {
        "kind": "demolition_plan",
        "demolition_start": start.isoformat(),
        "demolition_end": (start + timedelta(days=30)).isoformat(),
        "facilities": "焙烧车间、电解车间及地下管线",
        "measures": "拆除前清空物料，设置围挡与防渗，残留物分类收集",
        "waste_disposal": "危险废物交有资质单位处置",
    }


def test_a_demolition_plan_too_late_is_refused_and_stores_nothing(world, unit):
    url = f"/key-units/{unit.credit_code}/filings"
    before = _ledger_count()
    too_soon = workdays.add_workdays(clock.today(), 14)
    r = world.post("unit", url, _plan(start=too_soon))
    assert r.status_code == 400
    message = r.get_json()["error"]["fields"]["demolition_start"]
    assert "15 个工作日" in message
    assert _ledger_count() == before
    assert _db.session.scalar(select(func.count()).select_from(UnitFiling)) == 0
    in_time = workdays.add_workdays(clock.today(), 15)
    r = world.post("unit", url, _plan(start=in_time))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["data"]["demolition_start"] == in_time.isoformat()


def test_a_unit_that_closes_becomes_a_suspected_plot_in_one_step(world, unit):
    r = world.post("env", f"/key-units/{unit.credit_code}/close",
                   {"status": "relocated", "date": clock.today().isoformat(),
                    "boundary": BOUNDARY})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "relocated"
    suspect = body["suspected_site"]
    assert suspect["source"] == "key_enterprise_closure" and suspect["status"] == "suspected"
    assert suspect["landholder"]["credit_code"] == unit.credit_code
    assert suspect["township"] == "章凤镇" and suspect["former_industry"] == "有色金属冶炼"
    assert _db.session.scalar(select(KeyUnit.status)) == "relocated"
    # A closed unit files no more.
    r = world.post("unit", f"/key-units/{unit.credit_code}/filings", _monitoring())
    assert r.status_code == 409
    r = world.post("env", f"/key-units/{unit.credit_code}/close",
                   {"status": "closed", "date": clock.today().isoformat()})  # fmt: skip
    assert r.status_code == 409


def test_filings_take_the_shape_of_case_filings_too(world, unit):
    """``{"kind", "data": {...}}`` as in DESIGN §3, ``start_date`` for the start, and
    only what the rules need: the date, or the year and the samples."""
    url = f"/key-units/{unit.credit_code}/filings"
    soon = workdays.add_workdays(clock.today(), 3).isoformat()
    r = world.post("unit", url, {"kind": "demolition_plan", "data": {"start_date": soon}})
    assert r.status_code == 400 and "demolition_start" in r.get_json()["error"]["fields"]
    later = workdays.add_workdays(clock.today(), 20).isoformat()
    r = world.post("unit", url, {"kind": "demolition_plan", "data": {"start_date": later}})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["data"] == {"kind": "demolition_plan", "demolition_start": later}
    samples = [{"pollutant": "镉", "value": 70, "unit": "mg/kg"}]
    r = world.post("unit", url, {"kind": "self_monitoring",
                                 "data": {"year": clock.today().year, "samples": samples}})  # fmt: skip
    assert r.status_code == 201 and r.get_json()["exceedances"] == 1
    r = world.post("unit", url, {"kind": "self_monitoring", "data": {"year": 2026}})
    assert r.status_code == 400 and "samples" in r.get_json()["error"]["fields"]


def test_the_key_unit_list_filters_by_county(world, client):
    from app.services import regions

    regions.serve("533103")
    mangshi = world.other_landholder.party
    world.post(
        "env", "/key-units", {"credit_code": world.landholder.party.credit_code, "year": 2026}
    )
    from app.services import auth, key_units

    officer = auth.create_user("mangshi-env", role="bureau", department="environment",
                               county="533103", password="Probe-Password-2026")  # fmt: skip
    key_units.create(officer, {"credit_code": mangshi.credit_code, "year": 2026})
    both = client.get("/api/v1/public/key-units?year=2026").get_json()
    assert both["total"] == 2
    only = client.get("/api/v1/public/key-units?year=2026&county=芒市").get_json()
    assert [i["county_code"] for i in only["items"]] == ["533103"]
    assert client.get("/api/v1/public/key-units?county=999999").status_code == 400
    page = client.get("/key-units?year=2026&county=533124").get_data(as_text=True)
    assert world.landholder.party.name in page and mangshi.name not in page
