"""The case lifecycle (DESIGN.md §2) checked on plain objects, no Flask, no database.

The expectations below are the DESIGN §2 tables written out by hand, never
read from ``workflows.TRANSITIONS``: a test that derives its answer from the
code under test cannot fail.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from workflows import (
    ACTION_LABELS_ZH,
    ACTIONS,
    GUARD_MESSAGES_ZH,
    GUARDS,
    STATE_LABELS_ZH,
    STATES,
    CaseFacts,
    CaseFlow,
    TransitionRefused,
    actors_for,
    build_machine,
    fire,
    possible,
)


@pytest.fixture(autouse=True)
def _clean():
    """Shadow tests/conftest.py's autouse database fixture: these tests need no app."""
    yield


# --- DESIGN §2, by hand -------------------------------------------------------

DESIGN_STATES = [
    "survey",
    "survey_review",
    "risk_assessment",
    "risk_assessment_review",
    "listed",
    "risk_control",
    "plan_filing",
    "plan_review",
    "transfer_reporting",
    "works",
    "evaluation",
    "evaluation_review",
    "released",
]
DESIGN_ACTIONS = [
    "submit",
    "cosign",
    "approve",
    "return",
    "require_remediation",
    "require_control",
    "complete_works",
    "start_evaluation",
    "reopen",
]
GUARD_NAMES = [
    "has_stage_filing",
    "has_reported_manifest",
    "cosigned_this_round",
    "samples_exceed_screening",
    "risk_unacceptable",
    "plan_has_offsite_transfer",
    "evaluation_passed",
    "evaluated_after_control",
    "has_comment",
    "notice_published",
    "manifests_settled",
    "monitoring_filed",
    # Issue 15 (true unless configured or alerted): an expert meeting that passed the
    # report; no monitoring alert waiting for emergency measures.
    "expert_review_passed",
    "no_open_alert",
]
PREPARING = ["survey", "risk_assessment", "plan_filing", "transfer_reporting", "evaluation"]
JOINT = ["survey_review", "risk_assessment_review", "evaluation_review"]
RETURNS_TO = {
    "survey_review": "survey",
    "risk_assessment_review": "risk_assessment",
    "plan_review": "plan_filing",
    "evaluation_review": "evaluation",
}
COSIGNED = ("cosigned_this_round",)
EXPERTS = ("expert_review_passed",)


@dataclass(frozen=True)
class Row:
    """One transition of DESIGN §2.

    ``needs`` must hold and ``needs_not`` must not (a failing one refuses the action,
    naming it); ``when`` / ``when_not`` pick between conditional destinations.
    """

    action: str
    source: str
    dest: str
    needs: tuple[str, ...] = ()
    needs_not: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    when_not: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.action}:{self.source}->{self.dest}"

    def minimal_facts(self) -> CaseFacts:
        """Only what the row needs is true."""
        return facts(*self.needs, *self.when)

    def maximal_facts(self) -> CaseFacts:
        """Everything is true except what the row needs false."""
        return facts(*(g for g in GUARD_NAMES if g not in self.needs_not + self.when_not))


ROWS = [
    Row("submit", "survey", "survey_review", needs=("has_stage_filing",)),
    Row("submit", "risk_assessment", "risk_assessment_review", needs=("has_stage_filing",)),
    Row("submit", "plan_filing", "plan_review", needs=("has_stage_filing",)),
    Row("submit", "evaluation", "evaluation_review", needs=("has_stage_filing",)),
    Row("submit", "transfer_reporting", "works", needs=("has_reported_manifest",)),
    *[Row("cosign", s, s, needs_not=COSIGNED) for s in JOINT],
    Row(
        "approve",
        "survey_review",
        "risk_assessment",
        needs=COSIGNED + EXPERTS,
        when=("samples_exceed_screening",),
    ),
    Row(
        "approve",
        "survey_review",
        "released",
        needs=COSIGNED + EXPERTS,
        when_not=("samples_exceed_screening",),
    ),
    Row(
        "approve",
        "risk_assessment_review",
        "listed",
        needs=COSIGNED + EXPERTS,
        when=("risk_unacceptable",),
    ),
    Row(
        "approve",
        "risk_assessment_review",
        "released",
        needs=COSIGNED + EXPERTS,
        when_not=("risk_unacceptable",),
    ),
    # plan_review is a filing (备案), not a joint review: no cosign needed.
    Row(
        "approve",
        "plan_review",
        "transfer_reporting",
        needs=EXPERTS,
        when=("plan_has_offsite_transfer",),
    ),
    Row("approve", "plan_review", "works", needs=EXPERTS, when_not=("plan_has_offsite_transfer",)),
    Row(
        "approve",
        "evaluation_review",
        "released",
        needs=COSIGNED + EXPERTS,
        when=("evaluation_passed",),
    ),
    # §10: a failed evaluation goes back to its route.
    Row(
        "approve",
        "evaluation_review",
        "risk_control",
        needs=COSIGNED + EXPERTS,
        when=("evaluated_after_control",),
        when_not=("evaluation_passed",),
    ),
    Row(
        "approve",
        "evaluation_review",
        "works",
        needs=COSIGNED + EXPERTS,
        when_not=("evaluation_passed", "evaluated_after_control"),
    ),
    *[Row("return", r, p, needs=("has_comment",)) for r, p in RETURNS_TO.items()],
    Row("require_remediation", "listed", "plan_filing"),
    Row("require_remediation", "risk_control", "plan_filing"),
    Row("require_control", "listed", "risk_control"),
    Row("complete_works", "works", "evaluation", needs=("notice_published", "manifests_settled")),
    Row(
        "start_evaluation",
        "risk_control",
        "evaluation",
        needs=("monitoring_filed", "no_open_alert"),
    ),
    Row("reopen", "released", "survey", needs=("has_comment",)),
]
DEFINED = {(r.source, r.action) for r in ROWS}
UNDEFINED = [(s, a) for s in DESIGN_STATES for a in DESIGN_ACTIONS if (s, a) not in DEFINED]

# (row, guard, value that fails it) for every gate of every row.
GATE_CASES = [(r, g, False) for r in ROWS for g in r.needs] + [
    (r, g, True) for r in ROWS for g in r.needs_not
]

SUBMITTERS = {
    "survey": {"landholder", "responsible"},
    "risk_assessment": {"landholder", "responsible"},
    "plan_filing": {"landholder", "responsible"},
    "transfer_reporting": {"contractor", "responsible"},
    "evaluation": {"evaluator"},
}
ACTORS = {
    "cosign": {"bureau_natural_resources"},
    "approve": {"bureau_environment"},
    "return": {"bureau_environment", "bureau_natural_resources"},
    "require_remediation": {"bureau_environment"},
    "require_control": {"bureau_environment"},
    "complete_works": {"contractor", "responsible"},
    "start_evaluation": {"responsible"},
    "reopen": {"bureau_environment"},
}


# Guards that hold unless something happened (issue 15): no expert meeting is
# required unless configured, no alert is open unless monitoring exceeded a limit.
HOLD_UNLESS_SET = ("expert_review_passed", "no_open_alert")


def facts(*true: str) -> CaseFacts:
    """Facts with exactly the named guards true (CaseFacts' own defaults ignored),
    besides those that hold by default (``HOLD_UNLESS_SET``)."""
    unknown = set(true) - set(GUARD_NAMES)
    assert not unknown, unknown
    return CaseFacts(**{g: g in true or g in HOLD_UNLESS_SET for g in GUARD_NAMES})


def refused(state: str, action: str, case_facts: CaseFacts) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as info:
        fire(state, action, case_facts)
    return info.value


def fires(state: str, action: str, case_facts: CaseFacts) -> bool:
    try:
        fire(state, action, case_facts)
    except TransitionRefused:
        return False
    return True


FACT_SETS = [
    pytest.param(facts(), id="all_false"),
    pytest.param(facts(*GUARD_NAMES), id="all_true"),
    *[
        pytest.param(
            CaseFacts(**{g: rng.random() < 0.5 for g in GUARD_NAMES}),
            id=f"random{i}",
        )
        for rng in [random.Random(20180801)]  # GB 36600-2018 took effect 2018-08-01
        for i in range(12)
    ],
]


# --- the module names the same things DESIGN names -------------------------------


def test_states_are_the_design_states_in_order():
    assert STATES == DESIGN_STATES


def test_actions_are_the_design_actions():
    assert sorted(ACTIONS) == sorted(DESIGN_ACTIONS)


def test_guards_are_the_case_facts():
    assert sorted(GUARDS) == sorted(GUARD_NAMES)


def test_design_table_has_22_transition_pairs():
    # A typo in ROWS above would silently shrink the cross product.
    assert len(DEFINED) == 22
    assert len(UNDEFINED) == 13 * 9 - 22


# --- 1. every transition row -----------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_transition_with_only_its_guards_true(row):
    assert fire(row.source, row.action, row.minimal_facts()) == row.dest


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_transition_with_every_other_fact_true(row):
    # Facts that DESIGN does not name for this row must not change the outcome.
    assert fire(row.source, row.action, row.maximal_facts()) == row.dest


@pytest.mark.parametrize("state", PREPARING)
def test_submit_is_defined_from_each_preparing_state(state):
    assert (state, "submit") in DEFINED
    assert fire(state, "submit", facts(*GUARD_NAMES)) != state


@pytest.mark.parametrize("state", JOINT)
def test_cosign_stays_in_the_joint_review(state):
    assert fire(state, "cosign", facts()) == state


@pytest.mark.parametrize(("review", "preparing"), RETURNS_TO.items())
def test_return_goes_back_to_the_preparing_state(review, preparing):
    assert fire(review, "return", facts("has_comment")) == preparing


def test_a_whole_case_remediation_route_with_transfer_and_a_failed_evaluation():
    steps = [
        ("survey", "submit", ["has_stage_filing"], "survey_review"),
        ("survey_review", "return", ["has_comment"], "survey"),
        ("survey", "submit", ["has_stage_filing"], "survey_review"),
        ("survey_review", "cosign", [], "survey_review"),
        ("survey_review", "approve", [*COSIGNED, "samples_exceed_screening"], "risk_assessment"),
        ("risk_assessment", "submit", ["has_stage_filing"], "risk_assessment_review"),
        ("risk_assessment_review", "cosign", [], "risk_assessment_review"),
        ("risk_assessment_review", "approve", [*COSIGNED, "risk_unacceptable"], "listed"),
        ("listed", "require_control", [], "risk_control"),
        ("risk_control", "require_remediation", [], "plan_filing"),
        ("plan_filing", "submit", ["has_stage_filing"], "plan_review"),
        ("plan_review", "approve", ["plan_has_offsite_transfer"], "transfer_reporting"),
        ("transfer_reporting", "submit", ["has_reported_manifest"], "works"),
        ("works", "complete_works", ["notice_published", "manifests_settled"], "evaluation"),
        ("evaluation", "submit", ["has_stage_filing"], "evaluation_review"),
        ("evaluation_review", "cosign", [], "evaluation_review"),
        ("evaluation_review", "approve", list(COSIGNED), "works"),
        ("works", "complete_works", ["notice_published", "manifests_settled"], "evaluation"),
        ("evaluation", "submit", ["has_stage_filing"], "evaluation_review"),
        ("evaluation_review", "approve", [*COSIGNED, "evaluation_passed"], "released"),
        ("released", "reopen", ["has_comment"], "survey"),
    ]
    state = "survey"
    for source, action, true, dest in steps:
        assert state == source
        state = fire(state, action, facts(*true))
        assert state == dest, (source, action)


def test_risk_control_route_reaches_evaluation_without_a_plan():
    state = fire("listed", "require_control", facts())
    state = fire(state, "start_evaluation", facts("monitoring_filed"))
    assert state == "evaluation"


# --- 2. every guard refusal ------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "guard", "failing"),
    GATE_CASES,
    ids=[f"{r.id}:{'not ' if v else ''}{g}" for r, g, v in GATE_CASES],
)
@pytest.mark.parametrize("base", ["minimal", "maximal"])
def test_a_failing_guard_refuses_and_is_named(row, guard, failing, base):
    start = row.minimal_facts() if base == "minimal" else row.maximal_facts()
    error = refused(row.source, row.action, replace(start, **{guard: failing}))
    assert error.guard == guard
    assert guard in str(error)
    assert error.action == row.action and error.state == row.source
    if not failing:  # a condition that must hold: the Chinese message says which
        assert GUARD_MESSAGES_ZH[guard] in str(error)


def test_design_gates_are_covered():
    # Each gate DESIGN §2 lists appears in GATE_CASES at least once.
    gates = {g for _, g, _ in GATE_CASES}
    assert gates == {
        "has_stage_filing",
        "has_reported_manifest",
        "cosigned_this_round",
        "has_comment",
        "notice_published",
        "manifests_settled",
        "monitoring_filed",
        *HOLD_UNLESS_SET,  # issue 15's gates on approve and start_evaluation
    }


@pytest.mark.parametrize("state", JOINT)
def test_cosign_twice_in_a_round_is_refused(state):
    assert fire(state, "cosign", facts()) == state
    # The service records the cosign; this round's facts now say so.
    error = refused(state, "cosign", facts("cosigned_this_round"))
    assert error.guard == "cosigned_this_round"
    assert "cosigned_this_round" in str(error)


@pytest.mark.parametrize("state", JOINT)
@pytest.mark.parametrize("outcome", [True, False], ids=["branch_true", "branch_false"])
def test_approve_of_a_joint_review_without_cosign_is_refused(state, outcome):
    branch = {
        "survey_review": "samples_exceed_screening",
        "risk_assessment_review": "risk_unacceptable",
        "evaluation_review": "evaluation_passed",
    }[state]
    others = [g for g in GUARD_NAMES if g not in (branch, "cosigned_this_round")]
    error = refused(state, "approve", facts(*others, *([branch] if outcome else [])))
    assert error.guard == "cosigned_this_round"
    assert "cosigned_this_round" in str(error)


@pytest.mark.parametrize("offsite", [True, False])
def test_plan_review_approve_needs_no_cosign(offsite):
    true = ["plan_has_offsite_transfer"] if offsite else []
    dest = fire("plan_review", "approve", facts(*true))
    assert dest == ("transfer_reporting" if offsite else "works")


@pytest.mark.parametrize(
    ("state", "action"), [*[(r, "return") for r in RETURNS_TO], ("released", "reopen")]
)
def test_return_and_reopen_need_a_comment(state, action):
    error = refused(state, action, facts(*(g for g in GUARD_NAMES if g != "has_comment")))
    assert error.guard == "has_comment"
    assert "has_comment" in str(error)


def test_complete_works_with_both_guards_failing_names_one_of_them():
    error = refused("works", "complete_works", facts())
    assert error.guard in {"notice_published", "manifests_settled"}
    assert error.guard in str(error)


# --- 3. every action where DESIGN does not define it -----------------------------


@pytest.mark.parametrize(("state", "action"), UNDEFINED, ids=[f"{a}@{s}" for s, a in UNDEFINED])
def test_undefined_action_is_refused_without_a_guard(state, action):
    for case_facts in (facts(), facts(*GUARD_NAMES)):
        error = refused(state, action, case_facts)
        assert error.guard is None
        assert state in str(error) and action in str(error)


# --- 4. unknown actions; possible() agrees with fire() ---------------------------


@pytest.mark.parametrize(
    "action", ["delete", "to_released", "trigger", "state", "facts", "has_comment", "", "Submit"]
)
@pytest.mark.parametrize("state", ["survey", "works", "released"])
def test_unknown_action_is_refused(state, action):
    error = refused(state, action, facts(*GUARD_NAMES))
    assert error.guard is None
    assert not possible(action, state, facts(*GUARD_NAMES))


@pytest.mark.parametrize("case_facts", FACT_SETS)
def test_possible_agrees_with_fire_everywhere(case_facts):
    for state in DESIGN_STATES:
        for action in DESIGN_ACTIONS:
            expected = fires(state, action, case_facts)
            assert possible(action, state, case_facts, ignore=()) is expected, (state, action)
            # By default possible() assumes the comment will be given.
            with_comment = replace(case_facts, has_comment=True)
            assert possible(action, state, case_facts) is fires(state, action, with_comment), (
                state,
                action,
            )


def test_possible_is_false_for_undefined_pairs_even_with_every_fact_true():
    everything = facts(*GUARD_NAMES)
    assert [p for p in UNDEFINED if possible(p[1], p[0], everything)] == []


# --- 5. who may act ---------------------------------------------------------------


@pytest.mark.parametrize(("state", "actors"), SUBMITTERS.items())
def test_submit_actors_per_stage(state, actors):
    assert actors_for("submit", state) == actors


@pytest.mark.parametrize("state", [s for s in DESIGN_STATES if s not in PREPARING])
def test_nobody_submits_outside_a_preparing_state(state):
    assert actors_for("submit", state) == set()


@pytest.mark.parametrize(("action", "actors"), ACTORS.items())
def test_actors_per_action(action, actors):
    sources = [s for s, a in DEFINED if a == action]
    assert sources
    for state in sources:
        assert actors_for(action, state) == actors, state


def test_only_natural_resources_cosigns_and_only_environment_decides():
    for state in JOINT:
        assert actors_for("cosign", state) == {"bureau_natural_resources"}
    for action in ("approve", "require_remediation", "require_control", "reopen"):
        assert actors_for(action, "listed") == {"bureau_environment"}


def test_unknown_action_has_no_actors():
    assert actors_for("delete", "survey") == set()


# --- 6. the machine and its wrapper ------------------------------------------------


@pytest.mark.parametrize("state", DESIGN_STATES)
def test_machine_is_bound_to_the_wrapper_and_keeps_the_given_state(state):
    flow = CaseFlow(state=state)
    machine = build_machine(flow)
    assert flow.state == state
    assert machine.models == [flow]
    assert type(flow) is CaseFlow
    assert machine.send_event is True


def test_works_stays_works_and_there_are_no_auto_transitions():
    flow = CaseFlow(state="works")
    build_machine(flow)
    assert flow.state == "works"
    assert not hasattr(flow, "to_released")
    assert [s for s in DESIGN_STATES if hasattr(flow, f"to_{s}")] == []


def test_every_action_is_a_trigger_on_the_wrapper():
    # transitions silently skips a trigger whose name clashes with an attribute.
    flow = CaseFlow(state="survey")
    build_machine(flow)
    assert [a for a in DESIGN_ACTIONS if not callable(getattr(flow, a, None))] == []


@pytest.mark.parametrize("state", DESIGN_STATES)
def test_machine_offers_exactly_the_design_triggers(state):
    machine = build_machine(CaseFlow(state=state))
    assert set(machine.get_triggers(state)) == {a for s, a in DEFINED if s == state}


def test_guards_read_the_wrappers_facts_when_triggered():
    flow = CaseFlow(state="survey", facts=facts())
    build_machine(flow)
    assert flow.trigger("submit") is False
    assert flow.state == "survey"
    flow.facts.has_stage_filing = True
    assert flow.trigger("submit") is True
    assert flow.state == "survey_review"
    assert flow.trigger("return") is False  # no comment
    flow.facts.has_comment = True
    assert flow.trigger("return") is True
    assert flow.state == "survey"


def test_workflows_import_no_flask_or_sqlalchemy():
    code = (
        "import sys, workflows; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'app'}))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- 7. Chinese labels -------------------------------------------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("state", DESIGN_STATES)
def test_every_state_has_a_chinese_label(state):
    assert HAN.search(STATE_LABELS_ZH[state])


@pytest.mark.parametrize("action", DESIGN_ACTIONS)
def test_every_action_has_a_chinese_label(action):
    assert HAN.search(ACTION_LABELS_ZH[action])


@pytest.mark.parametrize("guard", GUARD_NAMES)
def test_every_guard_has_a_chinese_message(guard):
    assert HAN.search(GUARD_MESSAGES_ZH[guard])


def test_label_tables_cover_the_modules_own_lists():
    assert set(STATES) <= set(STATE_LABELS_ZH)
    assert set(ACTIONS) <= set(ACTION_LABELS_ZH)
    assert set(GUARDS) <= set(GUARD_MESSAGES_ZH)


def test_a_failed_evaluation_after_risk_control_goes_back_to_risk_control():
    after_control = facts("cosigned_this_round", "evaluated_after_control")
    assert fire("evaluation_review", "approve", after_control) == "risk_control"
    after_works = facts("cosigned_this_round")
    assert fire("evaluation_review", "approve", after_works) == "works"
    passed = facts("cosigned_this_round", "evaluated_after_control", "evaluation_passed")
    assert fire("evaluation_review", "approve", passed) == "released"


def test_destination_tells_where_an_action_would_go_with_facts_assumed():
    from workflows import destination

    now = facts("evaluated_after_control")
    assert (
        destination("approve", "evaluation_review", now, cosigned_this_round=True) == "risk_control"
    )
    assert destination("approve", "evaluation_review", now) is None  # not co-signed yet
    assert destination("return", "evaluation_review", now) == "evaluation"  # comment assumed
