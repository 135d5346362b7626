"""The case lifecycle of DESIGN.md §2 as data, run with the ``transitions`` library.

Pure Python: no Flask, no SQLAlchemy. A service computes the facts the guards
read (``CaseFacts``), wraps the row's state in a ``CaseFlow`` and triggers the
action; the machine says whether it may happen and where the case goes.
The same ``STATES`` and ``TRANSITIONS`` draw the diagram shown in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transitions import Machine, MachineError

STATES = [
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

# 《土壤污染防治法》第五十八条: the register is public from listing on. A plot still
# in survey or risk assessment is not (DESIGN.md §7); one that has been public
# stays public, reopened or not (§10).
NON_PUBLIC_STATES = ("survey", "survey_review", "risk_assessment", "risk_assessment_review")
PUBLIC_STATES = tuple(s for s in STATES if s not in NON_PUBLIC_STATES)

STATE_LABELS_ZH = {
    "survey": "土壤污染状况调查",
    "survey_review": "调查报告审查",
    "risk_assessment": "风险评估",
    "risk_assessment_review": "风险评估报告审查",
    "listed": "列入名录",
    "risk_control": "风险管控",
    "plan_filing": "修复方案编制",
    "plan_review": "修复方案备案",
    "transfer_reporting": "污染土壤转运报告",
    "works": "修复施工",
    "evaluation": "效果评估",
    "evaluation_review": "效果评估报告审查",
    "released": "移出名录/无需列入",
}

ACTION_LABELS_ZH = {
    "submit": "提交",
    "cosign": "会同审查（自然资源）",
    "approve": "审查通过",
    "return": "退回修改",
    "require_remediation": "要求实施修复",
    "require_control": "要求实施风险管控",
    "complete_works": "施工完成",
    "start_evaluation": "启动效果评估",
    "reopen": "重新启动",
}

# A *_review state and the state its filer prepares it in.
REVIEW_OF = {
    "survey_review": "survey",
    "risk_assessment_review": "risk_assessment",
    "plan_review": "plan_filing",
    "evaluation_review": "evaluation",
}
JOINT_REVIEWS = ("survey_review", "risk_assessment_review", "evaluation_review")

# The filing whose presence in the current round lets a stage be submitted.
STAGE_FILING = {
    "survey": "survey_report",
    "risk_assessment": "risk_assessment_report",
    "plan_filing": "remediation_plan",
    "evaluation": "evaluation_report",
}

# Each transition: trigger, source(s), dest (None = stays), guards that must hold
# ("conditions") and guards that must not ("unless"). The first transition of a
# trigger whose guards pass wins, so conditional destinations are listed in order.
TRANSITIONS: list[dict] = [
    {"trigger": "submit", "source": "survey", "dest": "survey_review",
     "conditions": ["has_stage_filing"]},
    {"trigger": "submit", "source": "risk_assessment", "dest": "risk_assessment_review",
     "conditions": ["has_stage_filing"]},
    {"trigger": "submit", "source": "plan_filing", "dest": "plan_review",
     "conditions": ["has_stage_filing"]},
    {"trigger": "submit", "source": "evaluation", "dest": "evaluation_review",
     "conditions": ["has_stage_filing"]},
    {"trigger": "submit", "source": "transfer_reporting", "dest": "works",
     "conditions": ["has_reported_manifest"]},
    {"trigger": "cosign", "source": list(JOINT_REVIEWS), "dest": None,
     "unless": ["cosigned_this_round"]},
    {"trigger": "approve", "source": "survey_review", "dest": "risk_assessment",
     "conditions": ["expert_review_passed", "cosigned_this_round", "samples_exceed_screening"]},
    {"trigger": "approve", "source": "survey_review", "dest": "released",
     "conditions": ["expert_review_passed", "cosigned_this_round"], "unless": ["samples_exceed_screening"]},
    {"trigger": "approve", "source": "risk_assessment_review", "dest": "listed",
     "conditions": ["expert_review_passed", "cosigned_this_round", "risk_unacceptable"]},
    {"trigger": "approve", "source": "risk_assessment_review", "dest": "released",
     "conditions": ["expert_review_passed", "cosigned_this_round"], "unless": ["risk_unacceptable"]},
    {"trigger": "approve", "source": "plan_review", "dest": "transfer_reporting",
     "conditions": ["expert_review_passed", "plan_has_offsite_transfer"]},
    {"trigger": "approve", "source": "plan_review", "dest": "works",
     "conditions": ["expert_review_passed"], "unless": ["plan_has_offsite_transfer"]},
    {"trigger": "approve", "source": "evaluation_review", "dest": "released",
     "conditions": ["expert_review_passed", "cosigned_this_round", "evaluation_passed"]},
    # A failed evaluation goes back to the route the case came by (§10): risk
    # control if it reached evaluation by start_evaluation, else remediation works.
    {"trigger": "approve", "source": "evaluation_review", "dest": "risk_control",
     "conditions": ["expert_review_passed", "cosigned_this_round", "evaluated_after_control"],
     "unless": ["evaluation_passed"]},
    {"trigger": "approve", "source": "evaluation_review", "dest": "works",
     "conditions": ["expert_review_passed", "cosigned_this_round"], "unless": ["evaluation_passed", "evaluated_after_control"]},
    *[
        {"trigger": "return", "source": review, "dest": prepare, "conditions": ["has_comment"]}
        for review, prepare in REVIEW_OF.items()
    ],
    {"trigger": "require_remediation", "source": ["listed", "risk_control"],
     "dest": "plan_filing"},
    {"trigger": "require_control", "source": "listed", "dest": "risk_control"},
    {"trigger": "complete_works", "source": "works", "dest": "evaluation",
     "conditions": ["notice_published", "manifests_settled"]},
    {"trigger": "start_evaluation", "source": "risk_control", "dest": "evaluation",
     "conditions": ["monitoring_filed", "no_open_alert"]},
    {"trigger": "reopen", "source": "released", "dest": "survey",
     "conditions": ["has_comment"]},
]  # fmt: skip

ACTIONS = list(dict.fromkeys(t["trigger"] for t in TRANSITIONS))

# Who may take each action, as capacities the service derives from the user
# and the case: the case's landholder / responsible party / assigned units, or
# a bureau officer of a department. "submit" depends on the stage.
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

GUARD_MESSAGES_ZH = {
    "has_stage_filing": "本轮尚未提交该阶段的申报材料",
    "has_reported_manifest": "尚无已报告的转运联单",
    "cosigned_this_round": "需先由自然资源部门会同审查（cosign）",
    "samples_exceed_screening": "样品检测值均未超过筛选值，且无检出的无标准值污染物",
    "risk_unacceptable": "风险评估结论为风险可接受",
    "plan_has_offsite_transfer": "修复方案无异位转运",
    "evaluation_passed": "效果评估结论为未通过",
    "evaluated_after_control": "案件不是经风险管控进入效果评估的",
    "has_comment": "须填写意见（comment）",
    "notice_published": "尚未公开施工公告牌（works_notice）",
    "manifests_settled": "尚有转运联单未接收或存在未处理的数量差异",
    "monitoring_filed": "尚未提交监测报告（monitoring_report）",
    "no_open_alert": "监测超出风险管控方案的限值，须先报送应急措施（emergency_measures）",
    "expert_review_passed": "须有本轮专家评审会结论为“通过”，或“修改后通过”且已提交修改后的报告",
}
# Messages for guards that must NOT hold ("unless").
GUARD_UNLESS_MESSAGES_ZH = {
    "cosigned_this_round": "本轮已会同审查，不能重复会签",
}


def actors_for(action: str, state: str) -> set[str]:
    if action == "submit":
        return set(SUBMITTERS.get(state, ()))
    return set(ACTORS.get(action, ()))


@dataclass
class CaseFacts:
    """What the guards read, computed by the caller from the database."""

    has_stage_filing: bool = False
    has_reported_manifest: bool = False
    cosigned_this_round: bool = False
    samples_exceed_screening: bool = False
    risk_unacceptable: bool = False
    plan_has_offsite_transfer: bool = False
    evaluation_passed: bool = False
    # The case entered evaluation from risk_control (start_evaluation), not from works.
    evaluated_after_control: bool = False
    has_comment: bool = False
    notice_published: bool = False
    manifests_settled: bool = False
    monitoring_filed: bool = False
    # Expert review (issue 15): true unless the stage needs a meeting and this
    # round's has not concluded pass (or pass with revisions, then revised).
    expert_review_passed: bool = True
    # Risk control (issue 15): no monitoring alert waits for emergency measures.
    no_open_alert: bool = True


GUARDS = [name for name in CaseFacts.__dataclass_fields__]


class TransitionRefused(Exception):
    """The action cannot happen now; ``guard`` names the failed condition, if any."""

    def __init__(self, action: str, state: str, guard: str | None = None, negated=False):
        self.action, self.state, self.guard = action, state, guard
        if guard and negated:
            text = GUARD_UNLESS_MESSAGES_ZH.get(guard, guard)
            message = f"{action} 不满足条件 not {guard}：{text}"
        elif guard:
            message = f"{action} 不满足条件 {guard}：{GUARD_MESSAGES_ZH.get(guard, guard)}"
        else:
            message = f"当前状态 {state} 不能执行 {action}"
        super().__init__(message)


@dataclass
class CaseFlow:
    """The transient object the machine is bound to; never an ORM row."""

    state: str
    facts: CaseFacts = field(default_factory=CaseFacts)


def _guard(name: str):
    def check(self: CaseFlow, event=None) -> bool:
        return bool(getattr(self.facts, name))

    check.__name__ = name
    return check


for _name in GUARDS:
    setattr(CaseFlow, _name, _guard(_name))


def build_machine(flow: CaseFlow) -> Machine:
    return Machine(
        model=flow,
        states=STATES,
        transitions=TRANSITIONS,
        initial=flow.state,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )


def candidates(action: str, state: str) -> list[dict]:
    return [
        t for t in TRANSITIONS
        if t["trigger"] == action
        and (t["source"] == state or (isinstance(t["source"], list) and state in t["source"]))
    ]  # fmt: skip


def failing_guard(action: str, state: str, facts: CaseFacts) -> tuple[str | None, bool]:
    """The first guard that blocks the first candidate transition, for the error
    message, and whether it failed by holding (an "unless" guard)."""
    for t in candidates(action, state):
        for name in t.get("conditions", []):
            if not getattr(facts, name):
                return name, False
        for name in t.get("unless", []):
            if getattr(facts, name):
                return name, True
    return None, False


def destination(action: str, state: str, facts: CaseFacts, **assume: bool) -> str | None:
    """Where ``action`` would take the case, with some facts assumed (e.g. where a
    failed evaluation goes: ``evaluation_passed=False``); None if it cannot happen.
    Comments are assumed given. Reads the same TRANSITIONS as the machine."""
    facts = CaseFacts(**{**facts.__dict__, "has_comment": True, **assume})
    try:
        return fire(state, action, facts)
    except TransitionRefused:
        return None


def fire(state: str, action: str, facts: CaseFacts) -> str:
    """Run ``action`` from ``state``; return the new state or raise TransitionRefused."""
    if action not in ACTIONS:
        raise TransitionRefused(action, state)
    flow = CaseFlow(state=state, facts=facts)
    build_machine(flow)
    try:
        moved = flow.trigger(action)
    except MachineError:
        raise TransitionRefused(action, state) from None
    if not moved:
        raise TransitionRefused(action, state, *failing_guard(action, state, facts))
    return flow.state


def possible(action: str, state: str, facts: CaseFacts, *, ignore=("has_comment",)) -> bool:
    """Whether ``action`` would pass from ``state``, inputs such as a comment assumed
    given. Reads the same TRANSITIONS as the machine, with its first-match rule."""
    assumed = set(ignore)
    for t in candidates(action, state):
        if all(
            name in assumed or getattr(facts, name) for name in t.get("conditions", [])
        ) and not any(name not in assumed and getattr(facts, name) for name in t.get("unless", [])):
            return True
    return False
