"""Soil transfer manifests (转运联单), DESIGN.md §6, over the JSON API."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import current_app

from app.services import auth, clock, regions, workdays
from tests.support import PASSWORD, World, _password_hash, bearer, new_credit_code

INPUT_FIELDS = (
    "quantity_t",
    "mode",
    "route",
    "origin_address",
    "destination_facility_credit_code",
    "destination_county",
    "planned_start",
    "planned_end",
    "final_disposal",
)


# ---------------------------------------------------------------- helpers


def error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_json()
    body = r.get_json()["error"]
    assert body["code"] == code, body
    return body


def report(world: World, cid: int, who: str = "contractor", **overrides):
    return world.post(who, f"/cases/{cid}/manifests", {**world.manifest_data(), **overrides})


def reported(world: World, cid: int, who: str = "contractor", **overrides) -> dict:
    r = report(world, cid, who, **overrides)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def step(world: World, who: str, mid: int, name: str, quantity=None, **body):
    if quantity is not None:
        body["quantity_t"] = quantity
    return world.post(who, f"/manifests/{mid}/{name}", body)


def ok(r) -> dict:
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def events(world: World, cid: int) -> list[dict]:
    r = world.get("env", f"/cases/{cid}/ledger")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["events"]


def manifests_of(world: World, cid: int) -> list[dict]:
    return world.case(cid, "env")["manifests"]


def in_works_with_manifest(world: World) -> tuple[int, dict]:
    """A case in ``works`` with its notice board published and one manifest reported."""
    cid = world.to_state("transfer_reporting")
    manifest = reported(world, cid)
    world.act("contractor", cid, "submit")
    world.file("contractor", cid, "works_notice", world.notice_data())
    return cid, manifest


def bureau_of(county: str):
    """An environment officer of ``county`` (a name), which the platform now serves."""
    regions.serve(regions.county_code(county, served_only=False))
    user = auth.create_user(
        f"env-{county}-{new_credit_code()[-6:]}",
        role="bureau",
        department="environment",
        county=county,
        password=PASSWORD,
        password_hash=_password_hash(current_app.config["PASSWORD_HASH_METHOD"]),
    )
    return bearer(user)


# ---------------------------------------------------------------- creation


def test_contractor_reports_a_manifest(world):
    cid = world.to_state("transfer_reporting")
    sent = world.manifest_data(quantity=250.5)
    r = world.post("contractor", f"/cases/{cid}/manifests", sent)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert isinstance(body["id"], int)
    assert isinstance(body["number"], str) and body["number"]
    assert body["status"] == "reported"
    for name in INPUT_FIELDS:
        assert body[name] == sent[name], name
    assert body["dispatched_t"] is None and body["received_t"] is None

    # Stored: the case lists it, GET answers the same, and a second one gets its own number.
    assert [m["id"] for m in manifests_of(world, cid)] == [body["id"]]
    assert ok(world.get("contractor", f"/manifests/{body['id']}")) == body
    second = reported(world, cid)
    assert second["number"] != body["number"]


def test_responsible_party_reports_in_works(world):
    cid, _ = in_works_with_manifest(world)
    assert world.case(cid)["state"] == "works"
    # The landholder is also the responsible party of the standard case.
    body = reported(world, cid, who="landholder", quantity_t=30)
    assert body["status"] == "reported" and body["quantity_t"] == 30


@pytest.mark.parametrize(
    ("state", "who"), [("survey", "landholder"), ("plan_review", "contractor")]
)
def test_manifest_refused_outside_transfer_reporting_and_works(world, state, who):
    cid = world.to_state(state)
    error(report(world, cid, who), 409, "invalid_transition")
    assert manifests_of(world, cid) == []


def test_manifest_refused_after_works(world):
    cid, manifest = in_works_with_manifest(world)
    ok(step(world, "contractor", manifest["id"], "dispatch", 120))
    ok(step(world, "facility", manifest["id"], "receive", 120))
    world.act("contractor", cid, "complete_works")
    error(report(world, cid), 409, "invalid_transition")
    assert len(manifests_of(world, cid)) == 1


def test_assigned_evaluator_may_not_report(world):
    cid = world.to_state("transfer_reporting")
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
    )
    assert r.status_code == 201, r.get_json()
    error(report(world, cid, "evaluator"), 403, "forbidden")
    error(report(world, cid, "env"), 403, "forbidden")
    assert manifests_of(world, cid) == []


def test_app_bug_facility_reporting_a_manifest_gets_403_not_404(world):
    # APP BUG (reported): the brief and §2 ("403 when the user's role/party may
    # not act on this case") want 403; the app answers 404 because cases.load
    # does not count the destination facility as related to the case. The
    # facility already receives soil from this case and sees its manifests, so
    # hiding the case's existence protects nothing.
    cid = world.to_state("transfer_reporting")
    reported(world, cid)
    error(report(world, cid, "facility"), 403, "forbidden")
    assert len(manifests_of(world, cid)) == 1


def test_other_landholder_and_unassigned_contractor_get_404(world):
    cid = world.to_state("transfer_reporting")
    error(report(world, cid, "other_landholder"), 404, "not_found")
    error(report(world, cid, "surveyor"), 404, "not_found")  # a contractor not on this case
    assert manifests_of(world, cid) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"mode": "air"}, "mode"),
        ({"quantity_t": 0}, "quantity_t"),
        ({"planned_start": "2027-13-01"}, "planned_start"),
        ({"route": ""}, "route"),
    ],
)
def test_manifest_validation(world, overrides, field):
    cid = world.to_state("transfer_reporting")
    body = error(report(world, cid, **overrides), 400, "validation_error")
    assert field in body["fields"], body
    assert manifests_of(world, cid) == []


def test_missing_fields_are_all_reported(world):
    cid = world.to_state("transfer_reporting")
    r = world.post("contractor", f"/cases/{cid}/manifests", {})
    body = error(r, 400, "validation_error")
    assert set(INPUT_FIELDS) <= set(body["fields"]), body


def test_planned_end_before_planned_start_is_refused(world):
    cid = world.to_state("transfer_reporting")
    start = dt.date.fromisoformat(world.manifest_data()["planned_start"])
    r = report(world, cid, planned_end=(start - dt.timedelta(days=1)).isoformat())
    body = error(r, 400, "validation_error")
    assert "planned_end" in body["fields"], body


def test_unregistered_facility_is_refused(world):
    cid = world.to_state("transfer_reporting")
    code = new_credit_code()  # valid check character, never registered
    body = error(report(world, cid, destination_facility_credit_code=code), 400, "validation_error")
    assert "destination_facility_credit_code" in body["fields"], body
    assert manifests_of(world, cid) == []


def test_malformed_facility_credit_code_is_refused(world):
    cid = world.to_state("transfer_reporting")
    code = world.facility.party.credit_code
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")  # wrong check character
    body = error(report(world, cid, destination_facility_credit_code=bad), 400, "validation_error")
    assert "destination_facility_credit_code" in body["fields"], body


# ---------------------------------------------------------------- the 5-working-day notice


def test_planned_start_tomorrow_is_refused(world):
    cid = world.to_state("transfer_reporting")
    tomorrow = clock.today() + dt.timedelta(days=1)
    r = report(
        world,
        cid,
        planned_start=tomorrow.isoformat(),
        planned_end=(tomorrow + dt.timedelta(days=30)).isoformat(),
    )
    body = error(r, 400, "validation_error")
    assert "planned_start" in body["fields"], body
    notice = current_app.config["TRANSFER_NOTICE_WORKING_DAYS"]
    earliest = workdays.earliest_transfer_start(clock.today(), notice)
    assert earliest.isoformat() in body["fields"]["planned_start"], body
    assert manifests_of(world, cid) == []


def test_planned_start_on_the_earliest_day_is_accepted_and_the_day_before_refused(world):
    cid = world.to_state("transfer_reporting")
    notice = current_app.config["TRANSFER_NOTICE_WORKING_DAYS"]
    earliest = workdays.earliest_transfer_start(clock.today(), notice)
    end = (earliest + dt.timedelta(days=30)).isoformat()
    too_early = earliest - dt.timedelta(days=1)
    body = error(
        report(world, cid, planned_start=too_early.isoformat(), planned_end=end),
        400,
        "validation_error",
    )
    assert "planned_start" in body["fields"]
    assert reported(world, cid, planned_start=earliest.isoformat(), planned_end=end)


@pytest.mark.parametrize(
    ("today", "refused", "accepted"),
    [
        # Mon 28 Sep 2026: Tue 29 (1), Wed 30 (2), National Day 1-7 Oct off,
        # Thu 8 (3), Fri 9 (4), Sat 10 Oct, a make-up workday (5).
        (dt.datetime(2026, 9, 28, 10, 0), "2026-10-09", "2026-10-10"),
        # Thu 24 Sep: Mid-Autumn 25-27 off, 28 (1), 29 (2), 30 (3), 8 Oct (4), 9 Oct (5).
        (dt.datetime(2026, 9, 24, 10, 0), "2026-10-08", "2026-10-09"),
        # Reported late on Mon 30 Nov (Beijing time): the report day never counts.
        (dt.datetime(2026, 11, 30, 23, 30), "2026-12-04", "2026-12-07"),
    ],
)
def test_transfer_notice_counts_chinese_working_days(client, today, refused, accepted):
    with clock.frozen(today):
        world = World.build(client)
        cid = world.to_state("transfer_reporting")
        body = error(
            report(world, cid, planned_start=refused, planned_end="2026-12-31"),
            400,
            "validation_error",
        )
        assert accepted in body["fields"]["planned_start"], body
        manifest = reported(world, cid, planned_start=accepted, planned_end="2026-12-31")
        assert manifest["planned_start"] == accepted


# ---------------------------------------------------------------- dispatch and receipt


def test_dispatch_then_receive_by_the_facility(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    after_report = [e["action"] for e in events(world, cid)]
    assert after_report[-1] == "manifest_reported"

    dispatched = ok(step(world, "contractor", m["id"], "dispatch", 100))
    assert dispatched["status"] == "in_transit"
    assert dispatched["dispatched_t"] == 100 and dispatched["received_t"] is None

    received = ok(step(world, "facility", m["id"], "receive", 98.5))
    assert received["status"] == "received"
    assert received["dispatched_t"] == 100 and received["received_t"] == 98.5
    assert ok(world.get("env", f"/manifests/{m['id']}"))["status"] == "received"

    evs = events(world, cid)
    assert [e["action"] for e in evs] == [
        *after_report,
        "manifest_dispatched",
        "manifest_received",
    ]
    by_action = {e["action"]: e for e in evs}
    assert by_action["manifest_reported"]["actor"] == world.contractor.user.username
    assert by_action["manifest_reported"]["party"] == world.contractor.party.credit_code
    assert by_action["manifest_dispatched"]["actor"] == world.contractor.user.username
    assert by_action["manifest_received"]["actor"] == world.facility.user.username
    assert by_action["manifest_received"]["party"] == world.facility.party.credit_code
    for action in ("manifest_reported", "manifest_dispatched", "manifest_received"):
        assert by_action[action]["detail"]["manifest"] == m["number"]
        assert by_action[action]["from_state"] == by_action[action]["to_state"]


def test_bureau_officer_may_confirm_receipt(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    ok(step(world, "contractor", m["id"], "dispatch", 100))
    assert ok(step(world, "env", m["id"], "receive", 100))["status"] == "received"


def test_receive_by_someone_else_is_forbidden(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    ok(step(world, "contractor", m["id"], "dispatch", 100))
    before = len(events(world, cid))
    error(step(world, "contractor", m["id"], "receive", 100), 403, "forbidden")
    error(step(world, "landholder", m["id"], "receive", 100), 403, "forbidden")
    error(step(world, "other_landholder", m["id"], "receive", 100), 404, "not_found")
    assert ok(world.get("env", f"/manifests/{m['id']}"))["status"] == "in_transit"
    assert len(events(world, cid)) == before


def test_the_facility_may_not_dispatch(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    error(step(world, "facility", m["id"], "dispatch", 100), 403, "forbidden")
    assert ok(world.get("env", f"/manifests/{m['id']}"))["status"] == "reported"


def test_steps_out_of_order_are_invalid_transitions(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    before = len(events(world, cid))
    error(step(world, "facility", m["id"], "receive", 100), 409, "invalid_transition")
    error(step(world, "env", m["id"], "resolve", comment="无差异"), 409, "invalid_transition")
    ok(step(world, "contractor", m["id"], "dispatch", 100))
    error(step(world, "contractor", m["id"], "dispatch", 100), 409, "invalid_transition")
    ok(step(world, "facility", m["id"], "receive", 100))
    error(step(world, "facility", m["id"], "receive", 100), 409, "invalid_transition")
    assert len(events(world, cid)) == before + 2


@pytest.mark.parametrize("quantity", [None, 0, -5, "100", True])
def test_dispatch_quantity_is_validated(world, quantity):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    body = {} if quantity is None else {"quantity_t": quantity}
    r = world.post("contractor", f"/manifests/{m['id']}/dispatch", body)
    assert "quantity_t" in error(r, 400, "validation_error")["fields"]


def test_unknown_manifest_step_is_404(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    error(step(world, "contractor", m["id"], "teleport", 100), 404, "not_found")


# ---------------------------------------------------------------- discrepancies


def test_shortfall_over_the_limit_blocks_completion_until_resolved(world):
    cid, m = in_works_with_manifest(world)
    ok(step(world, "contractor", m["id"], "dispatch", 100))

    # Still in transit: the works cannot be completed yet.
    refused = error(
        world.post(
            "contractor",
            f"/cases/{cid}/actions/complete_works",
            {"version": world.case(cid)["version"]},
        ),
        409,
        "invalid_transition",
    )
    assert "manifests_settled" in refused["message"]

    short = ok(step(world, "facility", m["id"], "receive", 85))
    assert short["status"] == "discrepancy"
    assert short["dispatched_t"] == 100 and short["received_t"] == 85

    refused = world.act("contractor", cid, "complete_works", expect=409)["error"]
    assert refused["code"] == "invalid_transition"
    assert "manifests_settled" in refused["message"]
    assert world.case(cid)["state"] == "works"

    # Only the bureau resolves it, and only with a comment.
    error(step(world, "facility", m["id"], "resolve", comment="已核实"), 403, "forbidden")
    error(step(world, "contractor", m["id"], "resolve", comment="已核实"), 403, "forbidden")
    body = error(step(world, "env", m["id"], "resolve"), 400, "validation_error")
    assert "comment" in body["fields"]
    body = error(step(world, "env", m["id"], "resolve", comment="   "), 400, "validation_error")
    assert "comment" in body["fields"]
    assert ok(world.get("env", f"/manifests/{m['id']}"))["status"] == "discrepancy"

    note = "经核查，差额为含水率下降所致，已现场复核过磅单"
    resolved = ok(step(world, "env", m["id"], "resolve", comment=note))
    assert resolved["status"] == "received"
    assert resolved["received_t"] == 85
    assert resolved["resolution"] == note
    assert ok(world.get("facility", f"/manifests/{m['id']}"))["resolution"] == note

    last = events(world, cid)[-1]
    assert last["action"] == "manifest_resolved"
    assert last["actor"] == world.env.user.username
    assert last["detail"]["comment"] == note

    assert world.act("contractor", cid, "complete_works")["state"] == "evaluation"


@pytest.mark.parametrize(
    ("received", "status"),
    [
        (90, "received"),  # exactly 10 % short: within the limit
        (110, "received"),  # exactly 10 % over
        (100, "received"),
        (89.9, "discrepancy"),
        (110.1, "discrepancy"),
        (85, "discrepancy"),
    ],
)
def test_discrepancy_threshold(world, received, status):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    ok(step(world, "contractor", m["id"], "dispatch", 100))
    assert ok(step(world, "facility", m["id"], "receive", received))["status"] == status


def test_complete_works_needs_every_manifest_received(world):
    cid, first = in_works_with_manifest(world)
    second = reported(world, cid)
    for m in (first, second):
        ok(step(world, "contractor", m["id"], "dispatch", 50))
    ok(step(world, "facility", first["id"], "receive", 50))
    refused = world.act("contractor", cid, "complete_works", expect=409)["error"]
    assert "manifests_settled" in refused["message"]
    ok(step(world, "facility", second["id"], "receive", 49))
    assert world.act("contractor", cid, "complete_works")["state"] == "evaluation"


# ---------------------------------------------------------------- visibility


def test_manifest_visible_to_the_facility_and_the_bureau_only(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    for who in ("facility", "env", "nr", "contractor", "landholder"):
        assert ok(world.get(who, f"/manifests/{m['id']}"))["id"] == m["id"], who
    for who in ("other_landholder", "evaluator", "surveyor"):
        error(world.get(who, f"/manifests/{m['id']}"), 404, "not_found")
    error(world.get("facility", "/manifests/99999999"), 404, "not_found")
    error(world.get("facility", "/manifests/99999999999999999999"), 404, "not_found")


def test_manifest_visible_to_the_destination_county_bureau(world, client):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid, destination_county="芒市")
    mangshi = bureau_of("芒市")
    r = client.get(f"/api/v1/manifests/{m['id']}", headers=mangshi)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["destination_county"] == "芒市"
    ids = [x["id"] for x in client.get("/api/v1/manifests", headers=mangshi).get_json()["items"]]
    assert ids == [m["id"]]
    # ... but not the case itself, nor does a third county see the manifest.
    assert client.get(f"/api/v1/cases/{cid}", headers=mangshi).status_code == 404
    ruili = bureau_of("瑞丽市")
    assert client.get(f"/api/v1/manifests/{m['id']}", headers=ruili).status_code == 404


def test_facility_lists_its_incoming_manifests(world):
    cid = world.to_state("transfer_reporting")
    m = reported(world, cid)
    items = ok(world.get("facility", "/manifests"))["items"]
    assert [x["id"] for x in items] == [m["id"]]
    assert ok(world.get("other_landholder", "/manifests"))["items"] == []


# ---------------------------------------------------------------- submit from transfer_reporting


def test_submit_from_transfer_reporting_needs_a_reported_manifest(world):
    cid = world.to_state("transfer_reporting")
    refused = world.act("contractor", cid, "submit", expect=409)["error"]
    assert refused["code"] == "invalid_transition"
    assert "has_reported_manifest" in refused["message"]
    assert world.case(cid)["state"] == "transfer_reporting"
    reported(world, cid)
    assert world.act("contractor", cid, "submit")["state"] == "works"


def test_a_list_refuses_an_empty_page_and_an_unknown_status(world, client):
    """Found by schemathesis' stateful phase: ``?page=`` (an empty value) and a status
    that is no manifest status were answered 200 as if absent."""
    assert world.get("env", "/manifests?page=").status_code == 400
    r = world.get("env", "/manifests?status=lost")
    assert r.status_code == 400 and "status" in r.get_json()["error"]["fields"]
    assert world.get("env", "/manifests?status=reported").status_code == 200
    assert client.get("/api/v1/public/sites?per_page=").status_code == 400
    assert client.get("/api/v1/public/sites?page=2").status_code == 200


def test_a_body_must_be_application_json_not_another_json_type(world):
    """Flask's is_json also takes "+json" types the API description does not offer."""
    r = world.client.post("/api/v1/sites", data='{"name": "x"}',
                          headers={**world.landholder.headers,
                                   "Content-Type": "application/vnd.api+json"})  # fmt: skip
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"


def test_the_manifest_list_refuses_unknown_parameters(world):
    r = world.get("env", "/manifests?page=1&colour=red")
    assert r.status_code == 400 and "colour" in r.get_json()["error"]["fields"]
