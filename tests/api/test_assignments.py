"""Assignments (DESIGN.md §3): who engages units on a case, and the statutory
independence of the effect evaluator (法定独立性)."""

from tests.support import Actor, bearer, make_party, make_user, new_credit_code

INDEPENDENCE = "法定独立性"


def assign(world, cid, role, credit_code, who="landholder"):
    return world.post(who, f"/cases/{cid}/assignments", {"role": role, "credit_code": credit_code})


def code_of(world, who) -> str:
    return world.actors[who].party.credit_code


def error(r) -> dict:
    body = r.get_json()
    assert body and "error" in body, body
    return body["error"]


def current(world, cid, role) -> list[str]:
    case = world.case(cid, "env")
    return [a["party"]["credit_code"] for a in case["assignments"] if a["role"] == role]


def assign_events(world, cid) -> list[dict]:
    events = world.get("env", f"/cases/{cid}/ledger").get_json()["events"]
    return [e for e in events if e["action"] == "assign"]


def test_the_landholder_assigns_a_unit(world):
    cid = world.register()["case"]["id"]
    r = assign(world, cid, "surveyor", code_of(world, "surveyor"))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["role"] == "surveyor"
    assert body["party"]["credit_code"] == code_of(world, "surveyor")
    assert body["ended_at"] is None
    assert current(world, cid, "surveyor") == [code_of(world, "surveyor")]
    assert world.case(cid, "env")["responsibility"]["surveyor"]["credit_code"] == code_of(
        world, "surveyor"
    )
    # The assigned unit's users now see the case.
    assert world.get("surveyor", f"/cases/{cid}").status_code == 200

    (event,) = assign_events(world, cid)
    assert event["actor"] == world.landholder.user.username
    assert event["party"] == code_of(world, "landholder")
    assert event["detail"]["role"] == "surveyor"
    assert event["detail"]["assignee"] == code_of(world, "surveyor")


def test_the_responsible_party_assigns_too(world):
    responsible = make_party("责任单位")
    user = make_user("landholder", responsible)
    world.actors["responsible"] = Actor(user, bearer(user), responsible)
    cid = world.register(responsible_party_credit_code=responsible.credit_code)["case"]["id"]
    r = assign(world, cid, "contractor", code_of(world, "contractor"), who="responsible")
    assert r.status_code == 201, r.get_json()
    assert current(world, cid, "contractor") == [code_of(world, "contractor")]
    (event,) = assign_events(world, cid)
    assert event["party"] == responsible.credit_code


def test_an_assigned_contractor_may_not_assign(world):
    cid = world.register()["case"]["id"]
    assert assign(world, cid, "contractor", code_of(world, "contractor")).status_code == 201
    r = assign(world, cid, "evaluator", code_of(world, "evaluator"), who="contractor")
    assert r.status_code == 403
    assert error(r)["code"] == "forbidden"
    assert current(world, cid, "evaluator") == []
    # The bureau reviews; it does not engage units for the landholder.
    assert (
        assign(world, cid, "evaluator", code_of(world, "evaluator"), who="env").status_code == 403
    )


def test_another_landholder_cannot_assign_on_a_case_it_does_not_see(world):
    cid = world.register()["case"]["id"]
    r = assign(world, cid, "surveyor", code_of(world, "surveyor"), who="other_landholder")
    assert r.status_code == 404
    assert current(world, cid, "surveyor") == []


def test_unknown_role_and_bad_codes_are_400(world):
    cid = world.register()["case"]["id"]
    r = assign(world, cid, "auditor", code_of(world, "evaluator"))
    assert r.status_code == 400
    assert "role" in error(r)["fields"]

    unregistered = new_credit_code()
    r = assign(world, cid, "evaluator", unregistered)
    assert r.status_code == 400
    assert "credit_code" in error(r)["fields"]
    assert unregistered in error(r)["message"]

    code = code_of(world, "evaluator")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = assign(world, cid, "evaluator", bad)
    assert r.status_code == 400
    assert "credit_code" in error(r)["fields"]

    for body in (
        {"role": "evaluator"},
        {"credit_code": code},
        {"role": "evaluator", "credit_code": code, "x": 1},
    ):
        r = world.post("landholder", f"/cases/{cid}/assignments", body)
        assert r.status_code == 400, body
    assert current(world, cid, "evaluator") == []
    assert assign_events(world, cid) == []


def test_evaluator_may_not_be_the_responsible_party(world):
    responsible = make_party("责任单位")
    cid = world.register(responsible_party_credit_code=responsible.credit_code)["case"]["id"]
    r = assign(world, cid, "evaluator", responsible.credit_code)
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]
    assert "credit_code" in error(r)["fields"]
    assert current(world, cid, "evaluator") == []


def test_evaluator_may_not_be_the_landholder(world):
    cid = world.register()["case"]["id"]
    r = assign(world, cid, "evaluator", code_of(world, "landholder"))
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]
    assert current(world, cid, "evaluator") == []
    assert assign_events(world, cid) == []


def test_evaluator_may_not_be_the_contractor(world):
    # Assigned as contractor directly …
    cid = world.register()["case"]["id"]
    assert assign(world, cid, "contractor", code_of(world, "contractor")).status_code == 201
    r = assign(world, cid, "evaluator", code_of(world, "contractor"))
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]

    # … or named in the remediation plan.
    cid = world.to_state("plan_review")
    r = assign(world, cid, "evaluator", code_of(world, "contractor"))
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]
    assert current(world, cid, "evaluator") == []


def test_the_plans_contractor_may_not_be_the_assigned_evaluator(world):
    cid = world.to_state("plan_filing")
    assert assign(world, cid, "evaluator", code_of(world, "evaluator")).status_code == 201
    plan = {**world.plan_data(), "contractor_credit_code": code_of(world, "evaluator")}
    r = world.post(
        "landholder", f"/cases/{cid}/filings", {"kind": "remediation_plan", "data": plan}
    )
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]
    assert "contractor_credit_code" in error(r)["fields"]
    r = assign(world, cid, "contractor", code_of(world, "evaluator"))
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]


def test_the_contractor_cannot_file_the_evaluation(world):
    cid = world.to_state("evaluation")
    data = {**world.evaluation_data(), "evaluator_credit_code": code_of(world, "contractor")}
    # The contractor's users may not file an evaluation at all …
    r = world.post(
        "contractor", f"/cases/{cid}/filings", {"kind": "evaluation_report", "data": data}
    )
    assert r.status_code == 403
    # … nor can the contractor be engaged as evaluator …
    r = assign(world, cid, "evaluator", code_of(world, "contractor"))
    assert r.status_code == 400
    assert INDEPENDENCE in error(r)["message"]
    # … nor may the real evaluator file naming the contractor as the evaluating unit.
    assert assign(world, cid, "evaluator", code_of(world, "evaluator")).status_code == 201
    r = world.post(
        "evaluator", f"/cases/{cid}/filings", {"kind": "evaluation_report", "data": data}
    )
    assert r.status_code == 400
    assert "evaluator_credit_code" in error(r)["fields"]
    kinds = [f["kind"] for f in world.case(cid, "env")["filings"]]
    assert "evaluation_report" not in kinds


def test_replacing_the_evaluator_ends_the_previous_assignment(world):
    cid = world.to_state("evaluation")
    second = make_party("第二评估单位")
    make_user("evaluator", second, username="evaluator_b")
    assert assign(world, cid, "evaluator", code_of(world, "evaluator")).status_code == 201
    assert world.get("evaluator", f"/cases/{cid}").status_code == 200

    r = assign(world, cid, "evaluator", second.credit_code)
    assert r.status_code == 201
    assert current(world, cid, "evaluator") == [second.credit_code]
    case = world.case(cid, "env")
    assert case["responsibility"]["evaluator"]["credit_code"] == second.credit_code

    # The replaced evaluator no longer sees the case, nor can it file.
    assert world.get("evaluator", f"/cases/{cid}").status_code == 404
    r = world.post(
        "evaluator",
        f"/cases/{cid}/filings",
        {"kind": "evaluation_report", "data": world.evaluation_data()},
    )
    assert r.status_code == 404

    events = [e for e in assign_events(world, cid) if e["detail"]["role"] == "evaluator"]
    assert [e["detail"]["assignee"] for e in events] == [
        code_of(world, "evaluator"),
        second.credit_code,
    ]
    assert events[-1]["detail"]["replaced"] == [code_of(world, "evaluator")]


def test_assigning_the_same_unit_again_changes_nothing(world):
    cid = world.register()["case"]["id"]
    first = assign(world, cid, "surveyor", code_of(world, "surveyor"))
    again = assign(world, cid, "surveyor", code_of(world, "surveyor"))
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert current(world, cid, "surveyor") == [code_of(world, "surveyor")]
    assert len(assign_events(world, cid)) == 1


def test_no_assignment_on_a_released_case(world):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=100))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    r = assign(world, cid, "evaluator", code_of(world, "evaluator"))
    assert r.status_code == 409
    assert error(r)["code"] == "invalid_transition"
