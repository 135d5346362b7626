"""DESIGN.md §10, lifecycle fidelity: a failed evaluation goes back to its route,
no standard is no clearance, acceptable risk above the intervention value needs a
justification, use change re-screens and reopens, and every decision carries a
number (with the provincial decision on listing and release)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Decision, LedgerEvent, Sample
from app.services import clock
from tests.support import make_user
from tests.web.conftest import logged_in

YEAR = clock.today().year


@pytest.fixture
def login_as(app):
    return lambda user: logged_in(app, user)


def _evaluation_from_control(world) -> int:
    cid = world.to_state("risk_control")
    world.file("landholder", cid, "monitoring_report", {
        "unit_credit_code": world.surveyor.party.credit_code, "media": ["soil", "groundwater"],
        "summary": "管控区围挡完好"})  # fmt: skip
    world.act("landholder", cid, "start_evaluation")
    assert world.post("landholder", f"/cases/{cid}/assignments",
                      {"role": "evaluator", "credit_code": world.evaluator.party.credit_code}
                      ).status_code == 201  # fmt: skip
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data(passed=False))
    world.act("evaluator", cid, "submit")
    world.act("nr", cid, "cosign")
    return cid


# ---------------------------------------------------------------- failed evaluation


def test_a_failed_evaluation_after_risk_control_returns_to_risk_control(world, client):
    cid = _evaluation_from_control(world)
    body = world.act("env", cid, "approve", comment="管控效果未达标")
    assert body["state"] == "risk_control"
    # From there the case continues as risk control does: monitoring, evaluation again.
    assert "start_evaluation" not in body["allowed_actions"]  # a new monitoring report first
    world.file("landholder", cid, "monitoring_report", {
        "unit_credit_code": world.surveyor.party.credit_code, "media": ["groundwater"],
        "summary": "补充管控措施后复测"})  # fmt: skip
    assert "start_evaluation" in world.case(cid)["allowed_actions"]


def test_a_failed_evaluation_after_works_returns_to_works(world):
    cid = world.to_state("evaluation")
    assert world.post("landholder", f"/cases/{cid}/assignments",
                      {"role": "evaluator", "credit_code": world.evaluator.party.credit_code}
                      ).status_code == 201  # fmt: skip
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data(passed=False))
    world.act("evaluator", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "works"


def test_the_desk_says_where_a_failed_evaluation_goes(world, login_as):
    cid = _evaluation_from_control(world)
    html = login_as(world.env.user).get(f"/review/cases/{cid}").get_data(as_text=True)
    assert "未达标则退回“风险管控”" in html
    # The diagram draws the edge back from evaluation review to risk control.
    assert 'data-edge="evaluation_review-risk_control"' in html


# ---------------------------------------------------------------- no standard


def _survey_with(world, samples, use="residential"):
    reg = world.register(planned_use=use)
    cid = reg["case"]["id"]
    data = {**world.survey_data(), "conclusion": "见样品"}
    data["samples"] = samples
    world.file("landholder", cid, "survey_report", data)
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    return reg, cid


def test_a_detected_pollutant_without_a_standard_needs_a_risk_assessment(world, login_as):
    zinc = {"point_id": "S1", "depth_m": 0.5, "pollutant": "锌", "value": 180, "unit": "mg/kg"}
    lead = {"point_id": "S1", "depth_m": 0.5, "pollutant": "铅", "value": 100, "unit": "mg/kg"}
    _, cid = _survey_with(world, [zinc, lead])
    body = world.act("env", cid, "approve")
    assert body["state"] == "risk_assessment"
    page = login_as(world.env.user).get(f"/review/cases/{cid}").get_data(as_text=True)
    assert 'data-testid="no-standard-note"' in page and "锌" in page


def test_a_pollutant_without_a_standard_not_detected_does_not(world):
    zinc = {"point_id": "S1", "depth_m": 0.5, "pollutant": "锌", "value": 0, "unit": "mg/kg"}
    lead = {"point_id": "S1", "depth_m": 0.5, "pollutant": "铅", "value": 100, "unit": "mg/kg"}
    _, cid = _survey_with(world, [zinc, lead])
    assert world.act("env", cid, "approve")["state"] == "released"


# ---------------------------------------------------------------- justification


def _above_intervention(world) -> int:
    reg = world.register()
    cid = world.to_state("risk_assessment", site=reg)  # lead 650 > 400 screening
    return cid


def test_acceptable_risk_above_the_intervention_value_needs_a_justification(world, login_as):
    reg = world.register()
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=900))  # > 800
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    r = world.post(
        "landholder",
        f"/cases/{cid}/filings",
        {"kind": "risk_assessment_report", "data": world.risk_data(acceptable=True)},
    )
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "validation_error"
    assert "justification" in r.get_json()["error"]["fields"]
    blank = {**world.risk_data(acceptable=True), "justification": "   "}
    r = world.post(
        "landholder", f"/cases/{cid}/filings", {"kind": "risk_assessment_report", "data": blank}
    )
    assert r.status_code == 400
    why = "超管制值点位位于规划道路下方，经暴露评估无人体暴露途径"
    world.file(
        "landholder",
        cid,
        "risk_assessment_report",
        {**world.risk_data(acceptable=True), "justification": why},
    )
    filed = world.case(cid, "env")["filings"][-1]
    assert filed["data"]["justification"] == why
    world.act("landholder", cid, "submit")
    html = login_as(world.env.user).get(f"/review/cases/{cid}").get_data(as_text=True)
    assert 'data-testid="justification"' in html and why in html


def test_below_the_intervention_value_no_justification_is_needed(world):
    cid = _above_intervention(world)  # 650: above screening, below intervention
    world.file("landholder", cid, "risk_assessment_report", world.risk_data(acceptable=True))


# ---------------------------------------------------------------- use change


def _released_clean(world, use="industrial", lead=500.0):
    """A plot cleared for ``use``: lead 500 is below the second category's 800."""
    reg = world.register(planned_use=use)
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=lead))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"
    return reg, cid


def test_release_records_what_the_plot_was_cleared_for(world):
    reg, _ = _released_clean(world)
    site = world.get("landholder", f"/sites/{reg['code']}").get_json()
    assert site["cleared_for"] == {"land_category": 2, "planned_use": "industrial",
                                   "date": clock.today().isoformat()}  # fmt: skip
    fresh = world.register()
    assert world.get("landholder", f"/sites/{fresh['code']}").get_json()["cleared_for"] is None


def test_use_change_to_a_more_sensitive_use_rescreens_and_reopens(world, client, db):
    reg, cid = _released_clean(world)
    code = reg["code"]
    basis = "陇川县人民政府关于控制性详细规划调整的批复（陇政复〔2026〕15号）"
    r = world.post("nr", f"/sites/{code}/use-change", {"planned_use": "residential",
                                                       "basis": basis})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    site = r.get_json()
    assert site["planned_use"] == "residential" and site["land_category"] == 1
    assert site["cleared_for"]["land_category"] == 2  # what it was cleared for stays
    # Every sample screened again against the first category: lead 500 > 400.
    db.session.expire_all()
    levels = dict(db.session.execute(
        select(Sample.pollutant_key, Sample.level).where(Sample.case_id == cid)).all())  # fmt: skip
    assert levels["lead"] == "above_screening"
    case = world.case(cid, "env")
    assert case["state"] == "survey"
    assert case["filings"][0]["data"]["max_level"] == "above_screening"
    events = world.get("env", f"/cases/{cid}/ledger").get_json()["events"]
    assert [e["action"] for e in events[-2:]] == ["use_changed", "reopen"]
    reopen = db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == events[-1]["seq"]))
    assert reopen.actor_user_id is None and reopen.detail["by"] == "system"
    assert reopen.detail["comment"] == basis
    # The public page says why the plot is investigated again, with the clearance.
    pub = client.get(f"/api/v1/public/sites/{code}").get_json()
    assert pub["state"] == "survey" and pub["reinvestigation"] is True
    assert pub["reopened"]["basis"] == basis and "第一类用地" in pub["reopened"]["reason"]
    assert pub["cleared_for"]["planned_use"] == "industrial"
    html = client.get(f"/sites/{code}").get_data(as_text=True)
    assert 'data-testid="reopened"' in html and "陇政复〔2026〕15号" in html
    csv_text = client.get("/open-data/sites.csv").get_data(as_text=True)
    assert "办结时适用用途" in csv_text and "重新调查中" in csv_text
    row = next(line for line in csv_text.splitlines() if code in line)
    assert "工业用地" in row and ",是," in row
    # A new survey round: the landholder files again and the bureau decides again.
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=300))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"
    cleared = world.get("landholder", f"/sites/{code}").get_json()["cleared_for"]
    assert cleared["land_category"] == 1 and cleared["planned_use"] == "residential"
    assert client.get(f"/api/v1/public/sites/{code}").get_json()["reopened"] is None


def test_use_change_to_a_less_sensitive_use_does_not_reopen(world, db):
    reg, cid = _released_clean(world, use="residential", lead=300)
    r = world.post("env", f"/sites/{reg['code']}/use-change",
                   {"planned_use": "commercial", "basis": "规划调整为商业用地"})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["land_category"] == 2
    assert world.case(cid, "env")["state"] == "released"
    # Same category, other use: recorded, nothing re-screened, nothing reopened.
    r = world.post("env", f"/sites/{reg['code']}/use-change",
                   {"planned_use": "industrial", "basis": "再次调整"})  # fmt: skip
    assert r.status_code == 200
    assert world.case(cid, "env")["state"] == "released"


def test_use_change_during_the_survey_changes_how_the_next_filing_is_screened(world):
    reg = world.register(planned_use="industrial")
    cid = reg["case"]["id"]
    r = world.post("env", f"/sites/{reg['code']}/use-change",
                   {"planned_use": "school", "basis": "规划调整为中小学用地"})  # fmt: skip
    assert r.status_code == 200
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=500))
    assert world.case(cid)["filings"][-1]["data"]["max_level"] == "above_screening"


def test_use_change_is_refused_clearly(world, client):
    reg, _ = _released_clean(world)
    url = f"/sites/{reg['code']}/use-change"
    good = {"planned_use": "residential", "basis": "规划批复"}
    r = world.post("landholder", url, good)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert world.post("contractor", url, good).status_code in (403, 404)
    assert client.post(f"/api/v1{url}", json=good).status_code == 401
    for payload, field in [
        ({"planned_use": "castle", "basis": "x"}, "planned_use"),
        ({"planned_use": "residential"}, "basis"),
        ({"planned_use": "residential", "basis": "  "}, "basis"),
        ({"planned_use": "industrial", "basis": "未变"}, "planned_use"),
        ({**good, "extra": 1}, "extra"),
    ]:
        r = world.post("env", url, payload)
        assert r.status_code == 400, payload
        assert field in r.get_json()["error"]["fields"], r.get_json()
    r = world.post("env", "/sites/533124-2026-99999/use-change", good)
    assert r.status_code == 404


# ---------------------------------------------------------------- numbered decisions

NUMBER = re.compile(r"^陇环土(审|录|移|备|决)〔(\d{4})〕(\d+)号$")


def test_every_approval_and_route_decision_is_numbered(world, client, db):
    cid = world.to_state("released")
    decisions = world.case(cid, "env")["decisions"]
    assert [(d["kind"], d["to_state"]) for d in decisions] == [
        ("review", "risk_assessment"),
        ("listing", "listed"),
        ("route", "plan_filing"),
        ("plan_filing", "transfer_reporting"),
        ("release", "released"),
    ]
    for d in decisions:
        m = NUMBER.match(d["number"])
        assert m and int(m.group(2)) == YEAR, d
        assert d["date"] == clock.today().isoformat() and d["provincial_decision"] is None
    # Numbers count per kind and year: a second case continues each sequence.
    cid2 = world.to_state("listed")
    again = world.case(cid2, "env")["decisions"]
    first = {d["kind"]: d["number"] for d in decisions}
    for d in again:
        assert (
            int(NUMBER.match(d["number"]).group(3))
            == int(NUMBER.match(first[d["kind"]]).group(3)) + 1
        )
    # The ledger event carries the number (hashed with it) and the public page shows it.
    code = world.case(cid, "env")["site"]["code"]
    release = client.get(f"/api/v1/public/sites/{code}").get_json()["release"]
    assert release["number"] == first["release"]
    html = client.get(f"/sites/{code}").get_data(as_text=True)
    assert first["release"] in html and first["listing"] in html


def test_cosign_return_and_submit_decide_nothing(world, db):
    cid = world.to_state("survey_review")
    world.act("env", cid, "return", comment="补充点位")
    assert world.case(cid, "env")["decisions"] == []
    assert db.session.scalar(select(Decision.id).where(Decision.case_id == cid)) is None


def test_listing_and_release_take_the_provincial_decision(world, client):
    cid = world.to_state("risk_assessment_review")
    world.act("nr", cid, "cosign")
    version = world.case(cid, "env")["version"]
    day = (clock.today() - timedelta(days=2)).isoformat()
    r = world.post(
        "env",
        f"/cases/{cid}/actions/approve",
        {"version": version, "provincial_decision": {"number": "云环土〔2026〕12号", "date": day}},
    )
    assert r.status_code == 200, r.get_json()
    (listing,) = r.get_json()["decisions"][-1:]
    assert listing["kind"] == "listing"
    assert listing["provincial_decision"] == {"number": "云环土〔2026〕12号", "date": day}
    code = r.get_json()["site"]["code"]
    pub = client.get(f"/api/v1/public/sites/{code}").get_json()
    assert any(e.get("provincial_decision", {}).get("number") == "云环土〔2026〕12号"
               for e in pub["timeline"])  # fmt: skip
    assert "云环土〔2026〕12号" in client.get(f"/sites/{code}").get_data(as_text=True)


def test_a_provincial_decision_is_refused_where_the_law_has_none(world):
    cid = world.to_state("listed")
    version = world.case(cid, "env")["version"]
    r = world.post("env", f"/cases/{cid}/actions/require_remediation", {
        "version": version, "provincial_decision": {"number": "云环土〔2026〕1号",
                                                    "date": clock.today().isoformat()}})  # fmt: skip
    assert r.status_code == 400 and "provincial_decision" in r.get_json()["error"]["fields"]
    assert world.case(cid, "env")["state"] == "listed"  # nothing happened
    cid = world.to_state("risk_assessment_review")
    world.act("nr", cid, "cosign")
    version = world.case(cid, "env")["version"]
    for bad in ["12号", {"number": "", "date": "2026-01-01"}, {"number": "x", "date": "soon"},
                {"number": "x", "date": (clock.today() + timedelta(days=1)).isoformat()},
                {"number": "x", "date": "2026-01-01", "by": "me"}]:  # fmt: skip
        r = world.post(
            "env", f"/cases/{cid}/actions/approve", {"version": version, "provincial_decision": bad}
        )
        assert r.status_code == 400, bad
        assert r.get_json()["error"]["code"] == "validation_error"
    assert world.case(cid, "env")["state"] == "risk_assessment_review"
    assert world.case(cid, "env")["decisions"][-1]["kind"] == "review"  # only the survey's


def test_the_approval_receipt_prints_the_decision_number(world, app, tmp_path):
    from app.services import documents
    from tests.documents.helpers import pdf_text, squash

    app.config["DOCUMENTS_MODE"] = "off"
    cid = world.to_state("risk_assessment")
    number = world.case(cid, "env")["decisions"][0]["number"]
    documents.run_pending()
    (doc,) = [d for d in documents.issued_for_case(cid) if d.purpose == "approval_receipt"]
    from app.services import storage

    text = squash(pdf_text(storage.get(doc.sha256), tmp_path))
    assert "决定文号" in text and number in text


def test_the_decision_prefix_is_configurable(world, app):
    before = app.config["DECISION_PREFIX"]
    app.config["DECISION_PREFIX"] = "芒环土"
    try:
        cid = world.to_state("risk_assessment")
    finally:
        app.config["DECISION_PREFIX"] = before
    assert world.case(cid, "env")["decisions"][0]["number"].startswith("芒环土审〔")


def test_another_county_officer_cannot_change_the_use(world, app):
    from tests.support import Actor, bearer

    reg = world.register()
    other = make_user("bureau", department="environment")
    other.region_code = "533103"
    from app.extensions import db

    db.session.commit()
    world.actors["other"] = Actor(other, bearer(other))
    r = world.post("other", f"/sites/{reg['code']}/use-change",
                   {"planned_use": "industrial", "basis": "x"})  # fmt: skip
    assert r.status_code == 404
