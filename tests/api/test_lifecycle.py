"""The three release routes and the risk-control route, end to end over the API,
and the rules every action obeys (DESIGN.md §2): guards, locking, who may act."""


def ledger(world, cid, who="env") -> list[dict]:
    r = world.get(who, f"/cases/{cid}/ledger")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["events"]


def action_raw(world, who, cid, action, body):
    return world.post(who, f"/cases/{cid}/actions/{action}", body)


def assign_evaluator(world, cid):
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
    )
    assert r.status_code == 201, r.get_json()


def error(r) -> dict:
    body = r.get_json()
    assert "error" in body, body
    return body["error"]


# ---------------------------------------------------------------- release routes


def test_remediation_with_offsite_transfer_reaches_release(world):
    cid = world.to_state("released")
    case = world.case(cid, "env")
    assert case["state"] == "released"
    assert [m["status"] for m in case["manifests"]] == ["received"]
    events = world.get("env", f"/cases/{cid}/ledger").get_json()["events"]
    actions = [e["action"] for e in events]
    assert actions[0] == "site_registered"
    assert actions[-1] == "approve" and events[-1]["to_state"] == "released"
    assert all(e["prev_hash"] != e["hash"] for e in events)
    verify = world.get("env", "/ledger/verify").get_json()
    assert verify["ok"] is True and verify["first_bad_seq"] is None


def test_survey_below_screening_is_released_after_cosign_and_approve(world):
    reg = world.register()  # residential: first category, lead screening value 400 mg/kg
    assert reg["land_category"] == 1
    cid = reg["case"]["id"]
    filing = world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=100))
    assert filing["exceedances"] == []
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    case = world.act("env", cid, "approve")
    assert case["state"] == "released"
    last = ledger(world, cid)[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "approve",
        "survey_review",
        "released",
    )


def test_survey_is_screened_against_the_plots_own_land_category(world):
    # 650 mg/kg lead exceeds the first-category value (400) but not the second (800).
    residential = world.register()["case"]["id"]
    industrial_reg = world.register(planned_use="industrial")
    assert industrial_reg["land_category"] == 2
    industrial = industrial_reg["case"]["id"]
    for cid in (residential, industrial):
        world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=650))
        world.act("landholder", cid, "submit")
        world.act("nr", cid, "cosign")
        world.act("env", cid, "approve")
    assert world.case(residential)["state"] == "risk_assessment"
    assert world.case(industrial)["state"] == "released"


def test_acceptable_risk_is_released(world):
    cid = world.to_state("risk_assessment")
    world.file("landholder", cid, "risk_assessment_report", world.risk_data(acceptable=True))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"


def test_unacceptable_risk_is_listed(world):
    cid = world.to_state("risk_assessment_review")
    r = action_raw(world, "env", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 409 and "cosigned_this_round" in error(r)["message"]
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "listed"


def test_plan_without_offsite_transfer_goes_straight_to_works(world):
    cid = world.to_state("plan_filing")
    world.file("landholder", cid, "remediation_plan", world.plan_data(offsite=False))
    world.act("landholder", cid, "submit")
    # Plan filing (备案) is not a joint review: no cosign is needed, and none is possible.
    r = action_raw(world, "nr", cid, "cosign", {"version": world.case(cid)["version"]})
    assert r.status_code == 409 and error(r)["code"] == "invalid_transition"
    case = world.act("env", cid, "approve")
    assert case["state"] == "works"
    assert "transfer_reporting" not in [e["to_state"] for e in ledger(world, cid)]
    # The plan's contractor was assigned and runs the works without any manifest.
    world.file("contractor", cid, "works_notice", world.notice_data())
    assert world.act("contractor", cid, "complete_works")["state"] == "evaluation"


def test_risk_control_route_reaches_release(world):
    cid = world.to_state("listed")
    assert world.act("env", cid, "require_control")["state"] == "risk_control"
    r = action_raw(
        world, "landholder", cid, "start_evaluation", {"version": world.case(cid)["version"]}
    )
    assert r.status_code == 409 and error(r)["code"] == "invalid_transition"
    assert "monitoring_filed" in error(r)["message"]
    world.file(
        "landholder",
        cid,
        "monitoring_report",
        {
            "unit_credit_code": world.surveyor.party.credit_code,
            "media": ["soil", "groundwater"],
            "summary": "管控区内地下水铅浓度稳定",
        },
    )
    assert world.act("landholder", cid, "start_evaluation")["state"] == "evaluation"
    assign_evaluator(world, cid)
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
    world.act("evaluator", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"
    path = [e["to_state"] for e in ledger(world, cid) if e["from_state"] != e["to_state"]]
    assert path[-4:] == ["risk_control", "evaluation", "evaluation_review", "released"]
    assert "plan_filing" not in path and "works" not in path


def test_failed_evaluation_goes_back_to_works_and_a_second_round_can_pass(world):
    cid = world.to_state("evaluation")
    assign_evaluator(world, cid)
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data(passed=False))
    world.act("evaluator", cid, "submit")
    r = action_raw(world, "env", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 409 and "cosigned_this_round" in error(r)["message"]
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "works"

    assert world.act("contractor", cid, "complete_works")["state"] == "evaluation"
    # The failed report belongs to the previous round: a new one is needed.
    r = action_raw(world, "evaluator", cid, "submit", {"version": world.case(cid)["version"]})
    assert r.status_code == 409 and "has_stage_filing" in error(r)["message"]
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data(passed=True))
    world.act("evaluator", cid, "submit")
    # The cosign of the first evaluation round does not carry over.
    r = action_raw(world, "env", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 409 and "cosigned_this_round" in error(r)["message"]
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"
    approvals = [e["to_state"] for e in ledger(world, cid) if e["action"] == "approve"]
    assert approvals[-2:] == ["works", "released"]


# ---------------------------------------------------------------- return and reopen


def test_return_needs_a_comment_and_a_new_filing_before_resubmission(world):
    cid = world.to_state("survey_review")
    before = world.case(cid)
    for body in ({"version": before["version"]}, {"version": before["version"], "comment": "  "}):
        r = action_raw(world, "env", cid, "return", body)
        assert r.status_code == 409
        assert error(r)["code"] == "invalid_transition"
        assert "has_comment" in error(r)["message"]
    assert world.case(cid)["state"] == "survey_review"

    case = world.act("env", cid, "return", comment="布点密度不足，请补充采样")
    assert case["state"] == "survey"
    assert case["round"] > before["round"]
    assert case["reviews"][-1]["comment"] == "布点密度不足，请补充采样"
    # The first report is of the previous round; submit is blocked until a new one.
    assert "submit" not in world.case(cid)["allowed_actions"]
    r = action_raw(world, "landholder", cid, "submit", {"version": case["version"]})
    assert r.status_code == 409
    assert error(r)["code"] == "invalid_transition"
    assert "has_stage_filing" in error(r)["message"]

    world.file("landholder", cid, "survey_report", world.survey_data())
    assert world.act("landholder", cid, "submit")["state"] == "survey_review"


def test_reopen_starts_a_new_round_of_the_same_case(world):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=100))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    released = world.act("env", cid, "approve")
    assert released["state"] == "released"

    r = action_raw(world, "env", cid, "reopen", {"version": released["version"]})
    assert r.status_code == 409 and "has_comment" in error(r)["message"]
    for who in ("landholder", "nr"):
        r = action_raw(world, who, cid, "reopen", {"version": released["version"], "comment": "x"})
        assert r.status_code == 403, who
    case = world.act("env", cid, "reopen", comment="举报反映地块内发现新的填埋物")
    assert case["id"] == cid
    assert case["state"] == "survey"
    assert case["round"] > released["round"]
    last = ledger(world, cid)[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "reopen",
        "released",
        "survey",
    )
    # The old survey does not count in the new round.
    landholder = world.case(cid)
    assert "submit" not in landholder["allowed_actions"]
    assert "has_stage_filing" in landholder["blocked_actions"]["submit"]


def test_a_comment_with_a_nul_character_is_not_a_500(world):
    # Found on PostgreSQL: a text column cannot hold NUL, and the comment went
    # to the database unchecked (500). Refusing it (400) or cleaning it is fine.
    cid = world.to_state("survey_review")
    version = world.case(cid)["version"]
    r = action_raw(world, "env", cid, "return", {"version": version, "comment": "补充\u0000采样"})
    assert r.status_code in (200, 400), (r.status_code, r.get_json())
    case = world.case(cid)
    if r.status_code == 400:
        assert error(r)["code"] == "validation_error"
        assert case["state"] == "survey_review"
    else:
        assert case["state"] == "survey"
        assert "\x00" not in case["reviews"][-1]["comment"]


# ---------------------------------------------------------------- joint review, locking


def test_approve_of_a_joint_review_needs_a_cosign_first(world):
    cid = world.to_state("survey_review")
    r = action_raw(world, "env", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 409
    assert error(r)["code"] == "invalid_transition"
    assert "cosigned_this_round" in error(r)["message"]
    assert world.case(cid)["state"] == "survey_review"


def test_cosign_only_once_per_round_and_only_by_natural_resources(world):
    cid = world.to_state("survey_review")
    r = action_raw(world, "env", cid, "cosign", {"version": world.case(cid)["version"]})
    assert r.status_code == 403 and error(r)["code"] == "forbidden"
    world.act("nr", cid, "cosign")
    r = action_raw(world, "nr", cid, "cosign", {"version": world.case(cid)["version"]})
    assert r.status_code == 409
    assert error(r)["code"] == "invalid_transition"
    assert "cosigned_this_round" in error(r)["message"]
    r = action_raw(world, "nr", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 403
    assert [e["action"] for e in ledger(world, cid)].count("cosign") == 1


def test_stale_version_is_refused_and_leaves_no_ledger_event(world):
    cid = world.to_state("survey_review")
    seen = world.case(cid, "env")["version"]
    world.act("nr", cid, "cosign")  # moves the version under the env officer's feet
    events = ledger(world, cid)
    r = action_raw(world, "env", cid, "approve", {"version": seen})
    assert r.status_code == 409
    assert error(r)["code"] == "stale_version"
    r = action_raw(world, "env", cid, "approve", {"version": seen + 100})
    assert r.status_code == 409 and error(r)["code"] == "stale_version"
    assert ledger(world, cid) == events
    assert world.case(cid)["state"] == "survey_review"
    # With the current version it goes through.
    assert world.act("env", cid, "approve")["state"] == "risk_assessment"


def test_every_action_moves_the_version(world):
    cid = world.to_state("survey_review")
    v0 = world.case(cid)["version"]
    v1 = world.act("nr", cid, "cosign")["version"]  # stays in the state, still a change
    assert v1 != v0
    v2 = world.act("env", cid, "approve")["version"]
    assert len({v0, v1, v2}) == 3


# ---------------------------------------------------------------- allowed_actions


def test_allowed_actions_depend_on_the_caller_and_the_facts(world):
    cid = world.register()["case"]["id"]
    assert world.case(cid, "landholder")["allowed_actions"] == []
    world.file("landholder", cid, "survey_report", world.survey_data())
    assert world.case(cid, "landholder")["allowed_actions"] == ["submit"]
    assert world.case(cid, "env")["allowed_actions"] == []
    world.act("landholder", cid, "submit")

    assert world.case(cid, "landholder")["allowed_actions"] == []
    assert set(world.case(cid, "nr")["allowed_actions"]) == {"cosign", "return"}
    env = world.case(cid, "env")
    assert "approve" not in env["allowed_actions"]
    assert "cosigned_this_round" in env["blocked_actions"]["approve"]
    world.act("nr", cid, "cosign")
    assert set(world.case(cid, "env")["allowed_actions"]) == {"approve", "return"}
    assert set(world.case(cid, "nr")["allowed_actions"]) == {"return"}
    assert "approve" not in world.case(cid, "landholder")["allowed_actions"]
    world.act("env", cid, "approve")

    # risk_assessment: the landholder prepares; the bureau has nothing to do.
    assert world.case(cid, "landholder")["allowed_actions"] == []
    assert world.case(cid, "env")["allowed_actions"] == []


def test_a_landholder_never_sees_approve(world):
    cid = world.to_state("plan_review")  # approve needs no cosign here
    assert "approve" in world.case(cid, "env")["allowed_actions"]
    landholder = world.case(cid, "landholder")
    assert "approve" not in landholder["allowed_actions"]
    assert "approve" not in landholder["blocked_actions"]


# ---------------------------------------------------------------- who may act


def test_landholder_may_not_approve(world):
    cid = world.to_state("survey_review")
    world.act("nr", cid, "cosign")
    r = action_raw(world, "landholder", cid, "approve", {"version": world.case(cid)["version"]})
    assert r.status_code == 403
    assert error(r)["code"] == "forbidden"
    assert world.case(cid)["state"] == "survey_review"


def test_contractor_may_not_submit_the_survey(world):
    cid = world.register()["case"]["id"]
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "contractor", "credit_code": world.contractor.party.credit_code},
    )
    assert r.status_code == 201
    world.file("landholder", cid, "survey_report", world.survey_data())
    version = world.case(cid, "contractor")["version"]  # the contractor now sees the case
    r = action_raw(world, "contractor", cid, "submit", {"version": version})
    assert r.status_code == 403
    assert error(r)["code"] == "forbidden"
    assert world.case(cid)["state"] == "survey"


def test_another_landholder_gets_404_everywhere(world):
    reg = world.register()
    cid, code = reg["case"]["id"], reg["code"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    for url in (
        f"/cases/{cid}",
        f"/sites/{code}",
        f"/cases/{cid}/filings",
        f"/cases/{cid}/ledger",
        f"/cases/{cid}/manifests",
    ):
        r = world.get("other_landholder", url)
        assert r.status_code == 404, url
        assert error(r)["code"] == "not_found"
    r = action_raw(world, "other_landholder", cid, "submit", {"version": 1})
    assert r.status_code == 404 and error(r)["code"] == "not_found"
    r = world.post(
        "other_landholder",
        f"/cases/{cid}/filings",
        {"kind": "survey_report", "data": world.survey_data()},
    )
    assert r.status_code == 404
    # The owner does see them, and nothing happened to the case.
    assert world.get("landholder", f"/sites/{code}").status_code == 200
    assert world.case(cid)["state"] == "survey"
    assert len(world.case(cid)["filings"]) == 1


def test_unknown_action_is_404(world):
    cid = world.register()["case"]["id"]
    for name in ("delete", "to_released", "trigger", "state", "APPROVE"):
        r = action_raw(world, "env", cid, name, {"version": world.case(cid)["version"]})
        assert r.status_code == 404, name
        assert error(r)["code"] == "not_found"
    assert world.case(cid)["state"] == "survey"


def test_unknown_case_is_404(world):
    r = action_raw(world, "env", 999_999, "approve", {"version": 1})
    assert r.status_code == 404
    assert world.get("env", "/cases/999999").status_code == 404


def test_version_must_be_an_integer(world):
    cid = world.to_state("survey_review")
    world.act("nr", cid, "cosign")
    version = world.case(cid)["version"]
    for body in (
        {},
        {"comment": "同意"},
        {"version": str(version)},
        {"version": version + 0.5},
        {"version": True},
        {"version": None},
        {"version": version, "extra": 1},
        [version],
    ):
        r = action_raw(world, "env", cid, "approve", body)
        assert r.status_code == 400, body
        assert error(r)["code"] == "validation_error"
    assert world.case(cid)["state"] == "survey_review"
    events = [e["action"] for e in ledger(world, cid)]
    assert events.count("approve") == 0


def test_action_without_token_is_401(world, client):
    cid = world.register()["case"]["id"]
    r = client.post(f"/api/v1/cases/{cid}/actions/submit", json={"version": 1})
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"
