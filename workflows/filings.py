"""Filing kinds (DESIGN.md §3) as data: their labels, the states each may be filed
in and who may file it (capacities on the case, as in ``workflows.lifecycle``)."""

from __future__ import annotations

KINDS = (
    "survey_report",
    "risk_assessment_report",
    "remediation_plan",
    "monitoring_report",
    "works_notice",
    "progress_report",
    "evaluation_report",
    "risk_control_plan",
    "emergency_measures",
)
KIND_LABELS_ZH = {
    "survey_report": "土壤污染状况调查报告",
    "risk_assessment_report": "土壤污染风险评估报告",
    "remediation_plan": "修复方案",
    "monitoring_report": "风险管控监测报告",
    "works_notice": "施工公告牌",
    "progress_report": "施工进展报告",
    "evaluation_report": "效果评估报告",
    "risk_control_plan": "风险管控方案",
    "emergency_measures": "应急措施报告",
}
KIND_STATES = {
    "survey_report": ("survey",),
    "risk_assessment_report": ("risk_assessment",),
    "remediation_plan": ("plan_filing",),
    "monitoring_report": ("risk_control",),
    "works_notice": ("works",),
    "progress_report": ("works",),
    "evaluation_report": ("evaluation",),
    # Issue 15: the control plan (管控区域, signs, the monitoring plan and its limits)
    # and the measures taken when monitoring exceeds them.
    "risk_control_plan": ("risk_control",),
    "emergency_measures": ("risk_control",),
}
_OWNERS = frozenset({"landholder", "responsible"})
KIND_FILERS = {
    "survey_report": _OWNERS | {"surveyor"},
    "risk_assessment_report": _OWNERS,
    "remediation_plan": _OWNERS,
    "monitoring_report": _OWNERS,
    "works_notice": {"contractor", "responsible"},
    "progress_report": {"contractor", "responsible"},
    "evaluation_report": {"evaluator"},
    "risk_control_plan": _OWNERS,
    "emergency_measures": _OWNERS,
}
