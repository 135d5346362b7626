"""Expert review meetings (issue 15): where EXPERT_REVIEW_STAGES asks for one,
``approve`` needs this round's meeting concluding pass, or pass with revisions
and the revised report; fail leaves only ``return``."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import LedgerEvent
from app.services import clock
from tests.support import make_party
from tests.web.conftest import logged_in


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPERT_REVIEW_STAGES",
                        ("survey_review", "risk_assessment_review", "evaluation_review"))  # fmt: skip


@pytest.fixture
def panel(world):
    """A survey under review (co-signed), with a panel of three drawn."""
    uni = make_party("云南大学")
    for i in range(4):
        r = world.post("env", "/experts", {"name": f"专家{i}", "specialities": ["soil"],
                                           "employer_credit_code": uni.credit_code})  # fmt: skip
        assert r.status_code == 201
    cid = world.to_state("survey_review")
    world.act("nr", cid, "cosign")
    r = world.post("env", f"/cases/{cid}/panels", {"size": 3})
    assert r.status_code == 201, r.get_json()
    return cid, r.get_json()


def _meeting(world, panel, conclusion, *, attendance=None, expect=201):
    members = [m["id"] for m in panel["members"]]
    present = attendance if attendance is not None else members
    body = {"held_on": clock.today().isoformat(), "attendance": present,
            "opinions": [{"expert_id": m, "opinion": f"专家 {m} 的意见：布点基本合理"} for m in present],
            "conclusion": conclusion, "summary": "专家组认为调查报告基本符合技术导则要求"}  # fmt: skip
    r = world.post("env", f"/panels/{panel['id']}/meeting", body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _approve(world, cid, expect):
    return world.act("env", cid, "approve", expect=expect)


def test_approve_is_refused_without_a_meeting_and_allowed_after_a_pass(world, required, panel):
    cid, p = panel
    body = _approve(world, cid, 409)
    assert "expert_review_passed" in body["error"]["message"]
    blocked = world.case(cid, "env")["blocked_actions"]
    assert "approve" in blocked
    meeting = _meeting(world, p, "pass")
    assert meeting["conclusion"] == "pass" and meeting["attendance"] == 3
    _approve(world, cid, 200)
    case = world.case(cid, "landholder")
    assert case["state"] == "risk_assessment"
    # The landholder reads the opinions, not who gave them.
    review = case["expert_reviews"][0]
    assert review["conclusion"] == "pass" and review["opinions"][0]["expert"] == "专家 1"
    names = {o["expert"] for o in world.case(cid, "env")["expert_reviews"][0]["opinions"]}
    assert len(names) == 3 and names <= {"专家0", "专家1", "专家2", "专家3"}


def test_pass_with_revisions_needs_the_revised_report_in_time(app, world, required, panel):
    cid, p = panel
    form = f"/portal/cases/{cid}/file/survey_report"
    holder = logged_in(app, world.landholder.user)
    assert form not in holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    _meeting(world, p, "pass_with_revisions")
    # The portal offers the revised report's form during the review.
    assert form in holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert holder.get(form).status_code == 200
    clocks = [
        d for d in world.case(cid, "landholder")["deadlines"] if d["kind"] == "expert_revision"
    ]
    assert len(clocks) == 1 and clocks[0]["owner"] == "responsible"
    _approve(world, cid, 409)
    # The filer files the revised report during the review; the clock closes.
    world.file("landholder", cid, "survey_report", world.survey_data())
    case = world.case(cid, "env")
    assert case["state"] == "survey_review"
    assert not [d for d in case["deadlines"] if d["kind"] == "expert_revision"]
    _approve(world, cid, 200)


def test_a_failed_meeting_leaves_only_return(world, required, panel):
    cid, p = panel
    _meeting(world, p, "fail")
    _approve(world, cid, 409)
    # No revised report either: the review failed.
    r = world.post("landholder", f"/cases/{cid}/filings",
                   {"kind": "survey_report", "data": world.survey_data()})  # fmt: skip
    assert r.status_code == 409
    world.act("env", cid, "return", comment="专家评审不通过，请补充调查")
    assert world.case(cid, "env")["state"] == "survey"


def test_stages_not_configured_approve_as_before(world, panel):
    cid, _p = panel
    _approve(world, cid, 200)  # EXPERT_REVIEW_STAGES empty: DESIGN §2 unchanged


def test_a_meeting_needs_a_quorum_of_the_panel_and_happens_once(world, required, panel):
    cid, p = panel
    members = [m["id"] for m in p["members"]]
    body = _meeting(world, p, "pass", attendance=members[:2], expect=400)
    assert "attendance" in body["error"]["fields"]
    outsider = max(members) + 1000
    body = _meeting(world, p, "pass", attendance=[*members[:2], outsider], expect=400)
    assert "attendance" in body["error"]["fields"]
    r = world.post("env", f"/panels/{p['id']}/meeting", {
        "held_on": (clock.today() + timedelta(days=1)).isoformat(), "attendance": members,
        "opinions": [{"expert_id": m, "opinion": "同意"} for m in members],
        "conclusion": "pass", "summary": "同意"})  # fmt: skip
    assert r.status_code == 400 and "held_on" in r.get_json()["error"]["fields"]
    _meeting(world, p, "pass")
    _meeting(world, p, "pass", expect=409)
    # A party of the case records no meeting.
    r = world.post("landholder", f"/panels/{p['id']}/meeting", {
        "held_on": clock.today().isoformat(), "attendance": members,
        "opinions": [{"expert_id": m, "opinion": "同意"} for m in members],
        "conclusion": "pass", "summary": "同意"})  # fmt: skip
    assert r.status_code == 403


def test_the_meeting_is_in_the_ledger_and_the_dossier(app, world, required, panel):
    cid, p = panel
    _meeting(world, p, "pass_with_revisions")
    event = _db.session.scalar(select(LedgerEvent).where(LedgerEvent.action == "meeting_recorded"))
    assert event.case_id == cid and event.detail["conclusion"] == "pass_with_revisions"
    assert len(event.detail["opinions"]) == 3
    officer = logged_in(app, world.env.user)
    r = officer.get(f"/review/cases/{cid}/dossier.pdf")
    assert r.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=r.data, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip
    assert "专家评审" in text and "修改后通过" in text and "专家组认为调查报告" in text
