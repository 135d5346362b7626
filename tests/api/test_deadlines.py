"""Statutory clocks (DESIGN.md §11): each kind of deadline opens, closes and goes
overdue with the clock; the bureau's agenda; idempotent reminders; the inbox."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Deadline, LedgerEvent, Notification
from app.services import clock, workdays
from tests.support import Actor, bearer, make_user


def _deadlines(world, cid, who="env"):
    return world.case(cid, who)["deadlines"]


def _later(days: int) -> datetime:
    return clock.now() + timedelta(days=days)


# ---------------------------------------------------------------- each kind


def test_review_opens_on_submit_and_closes_on_the_decision(world, db):
    cid = world.to_state("survey_review")
    (d,) = _deadlines(world, cid)
    assert d["kind"] == "review" and d["owner"] == "bureau" and d["overdue"] is False
    assert d["due"] == workdays.add_workdays(clock.today(), 20).isoformat()
    assert "工作日" in d["basis"] and d["days_left"] == 20
    world.act("nr", cid, "cosign")
    assert [x["kind"] for x in _deadlines(world, cid)] == ["review"]  # co-signing meets nothing
    world.act("env", cid, "approve")
    assert _deadlines(world, cid) == []
    row = db.session.scalar(select(Deadline).where(Deadline.case_id == cid))
    assert row.closed_on == clock.today() and row.met is True


def test_a_return_opens_the_revision_clock_for_the_filer_and_submit_closes_it(world, db):
    cid = world.to_state("survey_review")
    world.act("env", cid, "return", comment="补充点位")
    (d,) = _deadlines(world, cid, "landholder")
    assert d["kind"] == "revision" and d["owner"] == "responsible"
    assert d["due"] == workdays.add_workdays(clock.today(), 30).isoformat()
    world.file("landholder", cid, "survey_report", world.survey_data())
    assert [x["kind"] for x in _deadlines(world, cid)] == ["revision"]  # filing alone is not enough
    world.act("landholder", cid, "submit")
    assert [x["kind"] for x in _deadlines(world, cid)] == ["review"]


def test_a_review_goes_overdue_with_the_clock(world):
    # Tokens expire in the real future: the case is made in the past instead.
    with clock.frozen(_later(-40)):
        cid = world.to_state("survey_review")
    (d,) = _deadlines(world, cid)
    assert d["overdue"] is True and d["days_left"] < 0
    body = world.get("env", "/deadlines?overdue=1").get_json()
    assert [i["case_id"] for i in body["items"]] == [cid] and body["items"][0]["overdue"]
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    row = _db.session.scalar(select(Deadline).where(Deadline.case_id == cid))
    assert row.met is False  # closed, but late
    assert world.get("env", "/deadlines?overdue=1").get_json()["total"] == 0


def test_monitoring_every_interval_under_risk_control(world, app):
    with clock.frozen(_later(-30)):
        cid = world.to_state("risk_control")
        (d,) = _deadlines(world, cid, "landholder")
        assert d["kind"] == "monitoring" and d["owner"] == "responsible"
        assert d["due"] == (clock.today() + timedelta(days=180)).isoformat()
    report = {"unit_credit_code": world.surveyor.party.credit_code, "media": ["soil"],
              "summary": "围挡完好"}  # fmt: skip
    world.file("landholder", cid, "monitoring_report", report)
    (d,) = _deadlines(world, cid)
    assert d["due"] == (clock.today() + timedelta(days=180)).isoformat()
    world.act("env", cid, "require_remediation")
    assert _deadlines(world, cid) == []  # plan_filing has no clock of its own


def test_works_end_is_the_plans_end_date(world):
    cid = world.to_state("works")
    plan_end = world.case(cid, "env")["filings"]
    end = next(f for f in plan_end if f["kind"] == "remediation_plan")["data"]["end_date"]
    (d,) = _deadlines(world, cid, "contractor")
    assert d == {**d, "kind": "works_end", "owner": "contractor", "due": end}
    world._finish_works(cid)
    assert _deadlines(world, cid) == []


def test_an_evaluation_returned_is_the_evaluators_to_revise(world):
    cid = world.to_state("evaluation_review")
    world.act("env", cid, "return", comment="补充采样")
    (d,) = _deadlines(world, cid, "evaluator")
    assert d["kind"] == "revision" and d["owner"] == "evaluator"


def test_configured_working_days_count(world, app):
    app.config["REVIEW_WORKING_DAYS"] = 5
    try:
        cid = world.to_state("survey_review")
    finally:
        app.config["REVIEW_WORKING_DAYS"] = 20
    assert _deadlines(world, cid)[0]["due"] == workdays.add_workdays(clock.today(), 5).isoformat()


def test_the_filer_sees_the_bureaus_clock_too(world):
    cid = world.to_state("survey_review")
    assert world.case(cid, "landholder")["deadlines"][0]["owner"] == "bureau"


# ---------------------------------------------------------------- the agenda


def test_the_agenda_lists_open_deadlines_soonest_first_with_filters(world):
    with clock.frozen(_later(-10)):
        first = world.to_state("survey_review")
    second = world.to_state("risk_control")
    body = world.get("env", "/deadlines").get_json()
    assert [(i["case_id"], i["kind"]) for i in body["items"]] == [
        (first, "review"), (second, "monitoring")]  # fmt: skip
    assert body["total"] == 2 and body["page"] == 1
    item = body["items"][0]
    assert set(item) >= {"case_id", "site_code", "kind", "due", "owner", "overdue"}
    assert world.get("env", "/deadlines?owner=responsible").get_json()["total"] == 1
    assert world.get("env", "/deadlines?kind=review").get_json()["items"][0]["case_id"] == first
    assert world.get("env", "/deadlines?overdue=1").get_json()["total"] == 0
    paged = world.get("env", "/deadlines?per_page=1&page=2").get_json()
    assert [i["case_id"] for i in paged["items"]] == [second] and paged["total"] == 2


@pytest.mark.parametrize("query", ["owner=mayor", "kind=soon", "overdue=maybe", "page=0",
                                   "per_page=500", "sort=due"])  # fmt: skip
def test_the_agenda_refuses_bad_filters(world, query):
    r = world.get("env", f"/deadlines?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "validation_error"


def test_the_agenda_is_the_bureaus_and_its_countys(world, client):
    world.to_state("survey_review")
    assert world.get("landholder", "/deadlines").status_code == 403
    assert client.get("/api/v1/deadlines").status_code == 401
    other = make_user("bureau", department="environment")
    other.region_code = "533103"
    _db.session.commit()
    world.actors["mangshi"] = Actor(other, bearer(other))
    assert world.get("mangshi", "/deadlines").get_json()["total"] == 0


# ---------------------------------------------------------------- reminders


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_reminders_once_per_overdue_deadline_user_and_day(world, cli, db):
    cid = world.to_state("survey_review")
    due = date.fromisoformat(_deadlines(world, cid)[0]["due"])
    not_yet = cli("deadlines", "remind", "--as-of", due.isoformat())
    assert json.loads(not_yet.output.strip().splitlines()[-1]) == {
        "as_of": due.isoformat(), "overdue": 0, "reminders_sent": 0}  # fmt: skip
    late = (due + timedelta(days=1)).isoformat()
    result = cli("deadlines", "remind", "--as-of", late)
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert line == {"as_of": late, "overdue": 1, "reminders_sent": 2}  # env and nr officers
    again = json.loads(cli("deadlines", "remind", "--as-of", late).output.strip().splitlines()[-1])
    assert again["reminders_sent"] == 0 and again["overdue"] == 1
    next_day = (due + timedelta(days=2)).isoformat()
    assert json.loads(cli("deadlines", "remind", "--as-of", next_day).output)["reminders_sent"] == 2
    batches = db.session.scalar(
        select(func.count()).select_from(LedgerEvent).where(LedgerEvent.action == "reminders_sent")
    )
    assert batches == 2  # a run that sent nothing records nothing
    inbox = world.get("env", "/notifications").get_json()
    reminders = [i for i in inbox["items"] if i["kind"] == "reminder"]
    assert len(reminders) == 2 and reminders[0]["case_id"] == cid and "催办" in reminders[0]["text"]
    assert world.get("landholder", "/notifications").get_json()["items"] == [
        i
        for i in world.get("landholder", "/notifications").get_json()["items"]
        if i["kind"] != "reminder"
    ]  # the bureau's clock reminds the bureau only


def test_remind_refuses_a_bad_date(cli):
    result = cli("deadlines", "remind", "--as-of", "tomorrow")
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


# ---------------------------------------------------------------- the inbox


def test_what_happens_to_a_case_reaches_its_users_and_only_them(world):
    cid = world.to_state("survey_review")
    world.act("env", cid, "return", comment="请补充地下水点位")
    inbox = world.get("landholder", "/notifications").get_json()
    assert inbox["unread"] == 1
    (n,) = inbox["items"]
    assert n["kind"] == "returned" and "请补充地下水点位" in n["text"] and n["read"] is False
    assert world.get("contractor", "/notifications").get_json()["items"] == []
    # Private: another user cannot read or mark it.
    r = world.post("other_landholder", f"/notifications/{n['id']}/read")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = world.post("landholder", f"/notifications/{n['id']}/read")
    assert r.status_code == 200 and r.get_json()["read"] is True
    assert world.get("landholder", "/notifications").get_json()["unread"] == 0
    assert world.post("landholder", "/notifications/999999/read").status_code == 404


def test_decisions_assignments_and_discrepancies_notify(world):
    cid = world.to_state("evaluation")  # survey → … → works: decisions along the way
    kinds = [i["kind"] for i in world.get("landholder", "/notifications").get_json()["items"]]
    assert kinds.count("decided") == 4  # survey, listing, remediation, plan
    assigned = world.get("contractor", "/notifications").get_json()["items"]
    assert [i["kind"] for i in assigned] == ["assigned"]  # named by the plan
    assert (
        world.post(
            "landholder",
            f"/cases/{cid}/assignments",
            {"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
        ).status_code
        == 201
    )
    assert world.get("evaluator", "/notifications").get_json()["items"][0]["kind"] == "assigned"


def test_a_discrepancy_reaches_the_bureau_and_the_contractor(world):
    cid = world.to_state("works")
    (m,) = world.case(cid, "env")["manifests"]
    world.post("contractor", f"/manifests/{m['id']}/dispatch", {"quantity_t": 120})
    world.post("facility", f"/manifests/{m['id']}/receive", {"quantity_t": 80})
    for who in ("env", "nr", "contractor"):
        items = world.get(who, "/notifications").get_json()["items"]
        assert any(i["kind"] == "discrepancy" and m["number"] in i["text"] for i in items), who
    assert not any(i["kind"] == "discrepancy"
                   for i in world.get("facility", "/notifications").get_json()["items"])  # fmt: skip


def test_notifications_need_a_login(client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 0
