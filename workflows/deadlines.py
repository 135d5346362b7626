"""Statutory clocks (DESIGN.md §11) as data: each kind of deadline, what opens it,
how its due date is counted, who owns it, and what closes it.

Pure Python like the rest of ``workflows/``: the dates are computed by
``app.services.deadlines`` on the Chinese working-day calendar (``workdays``);
this module only says which rule applies.

- ``review``: the bureau decides a report within ``REVIEW_WORKING_DAYS`` working
  days of receiving it (《污染地块土壤环境管理办法（试行）》 and the provincial time
  limits); opened when a case enters a ``*_review`` state, closed when it leaves.
- ``revision``: a returned report is resubmitted within ``REVISION_WORKING_DAYS``
  working days (the review meeting's opinion); opened by ``return``, closed when the
  stage is submitted again (the case leaves the preparing state).
- ``monitoring``: under risk control the responsible party reports monitoring every
  ``MONITORING_INTERVAL_DAYS`` calendar days (《土壤污染防治法》第六十条); opened on
  entering ``risk_control`` and again by every ``monitoring_report``.
- ``works_end``: remediation works end by the plan's ``end_date``; opened on
  entering ``works``, closed by ``complete_works`` (leaving ``works``).
- ``survey_order``: a survey ordered by the bureau is filed by the date the order
  gives (第五十九条); opened by the order, closed when the survey is submitted.
- ``post_release_monitoring``: a plot released after risk control keeps filing
  monitoring reports every ``MONITORING_INTERVAL_DAYS`` (issue 15).
- ``expert_revision``: an expert meeting concluding "pass with revisions" gives the
  filer ``REVISION_WORKING_DAYS`` to file the revised report (issue 15); closed by
  that filing, or by leaving the review.
"""

from __future__ import annotations

from dataclasses import dataclass

REVIEW_STATES = ("survey_review", "risk_assessment_review", "plan_review", "evaluation_review")
# The preparing state each review returns to, and who prepares it.
PREPARING_OWNER = {
    "survey": "responsible",
    "risk_assessment": "responsible",
    "plan_filing": "responsible",
    "evaluation": "evaluator",
}
# Who revises the report a review state reads.
REVIEW_OWNER = {
    "survey_review": "responsible",
    "risk_assessment_review": "responsible",
    "plan_review": "responsible",
    "evaluation_review": "evaluator",
}
REPORT_KINDS = ("survey_report", "risk_assessment_report", "remediation_plan", "evaluation_report")
OWNERS = ("bureau", "responsible", "contractor", "evaluator")
OWNER_LABELS_ZH = {
    "bureau": "生态环境局",
    "responsible": "土地使用权人/责任人",
    "contractor": "修复施工单位",
    "evaluator": "效果评估单位",
}


@dataclass(frozen=True)
class Rule:
    kind: str
    label_zh: str
    basis_zh: str
    # How the due date is counted: "working" days or "calendar" days from the day it
    # opens (``setting`` names the config variable, ``default`` its value), or a
    # "date" given by a filing or an order.
    count: str
    setting: str | None
    default: int | None
    # The states in which a deadline of this kind stays open; leaving them closes it.
    open_in: tuple[str, ...]


RULES: dict[str, Rule] = {
    r.kind: r
    for r in (
        Rule("review", "审查时限", "生态环境主管部门应在收到报告后规定的工作日内审查并出具意见（污染地块土壤环境管理办法）",
             "working", "REVIEW_WORKING_DAYS", 20, REVIEW_STATES),
        Rule("revision", "修改补充时限", "退回修改的报告应在规定的工作日内修改完善后重新提交",
             "working", "REVISION_WORKING_DAYS", 30, tuple(PREPARING_OWNER)),
        Rule("monitoring", "监测报告", "风险管控期间应按期开展监测并报送监测报告（土壤污染防治法第六十条）",
             "calendar", "MONITORING_INTERVAL_DAYS", 180, ("risk_control",)),
        Rule("works_end", "施工完成时限", "修复施工应在备案的修复方案确定的工期内完成",
             "date", None, None, ("works",)),
        Rule("survey_order", "责令调查时限", "应在生态环境主管部门责令的期限内完成土壤污染状况调查（土壤污染防治法第五十九条）",
             "date", None, None, ("survey",)),
        Rule("post_release_monitoring", "移出名录后监测", "风险管控地块移出名录后，责任人仍应按风险管控方案定期开展监测并报送监测报告",
             "calendar", "MONITORING_INTERVAL_DAYS", 180, ("released",)),
        Rule("expert_revision", "专家意见修改时限", "专家评审结论为修改后通过的，应在规定的工作日内按专家意见修改并重新提交报告",
             "working", "REVISION_WORKING_DAYS", 30, REVIEW_STATES),
    )
}  # fmt: skip
KINDS = tuple(RULES)
KIND_LABELS_ZH = {k: r.label_zh for k, r in RULES.items()}


@dataclass(frozen=True)
class Opening:
    """A deadline to open: its kind and owner; ``start`` is the day counting starts
    (the service supplies it), ``due`` is set for rules counted to a given date."""

    kind: str
    owner: str


def to_open(
    action: str, from_state: str | None, to_state: str | None, detail: dict | None = None
) -> list[Opening]:
    """The deadlines an event opens, from its action and the states it moved between.
    ``works_end`` and ``survey_order`` take their date from elsewhere (the plan, the
    order's ``due``); the caller supplies it."""
    out: list[Opening] = []
    moved = to_state is not None and to_state != from_state
    if moved and to_state in REVIEW_STATES:
        out.append(Opening("review", "bureau"))
    if action == "return" and to_state in PREPARING_OWNER:
        out.append(Opening("revision", PREPARING_OWNER[to_state]))
    if (moved and to_state == "risk_control") or (
        action == "monitoring_report" and to_state == "risk_control"
    ):
        out.append(Opening("monitoring", "responsible"))
    if moved and to_state == "works":
        out.append(Opening("works_end", "contractor"))
    if action == "survey_ordered":
        out.append(Opening("survey_order", "responsible"))
    # A plot released after risk control keeps its monitoring duty (issue 15).
    after_control = (detail or {}).get("after_control")
    if (moved and to_state == "released" and after_control) or (
        action == "monitoring_report" and to_state == "released"
    ):
        out.append(Opening("post_release_monitoring", "responsible"))
    conclusion = (detail or {}).get("conclusion")
    if action == "meeting_recorded" and conclusion == "pass_with_revisions":
        out.append(Opening("expert_revision", REVIEW_OWNER[to_state]))
    return out


def closes(kind: str, action: str, to_state: str | None) -> bool:
    """Whether an event closes an open deadline of ``kind``: leaving the states it
    lives in, or, for monitoring, the report it waits for."""
    if to_state is not None and to_state not in RULES[kind].open_in:
        return True
    if kind == "expert_revision":
        return action in REPORT_KINDS  # the revised report
    return kind in ("monitoring", "post_release_monitoring") and action == "monitoring_report"
