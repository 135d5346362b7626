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
)
KIND_LABELS_ZH = {
    "survey_report": "土壤污染状况调查报告",
    "risk_assessment_report": "土壤污染风险评估报告",
    "remediation_plan": "修复方案",
    "monitoring_report": "风险管控监测报告",
    "works_notice": "施工公告牌",
    "progress_report": "施工进展报告",
    "evaluation_report": "效果评估报告",
}
KIND_STATES = {
    "survey_report": ("survey",),
    "risk_assessment_report": ("risk_assessment",),
    "remediation_plan": ("plan_filing",),
    "monitoring_report": ("risk_control",),
    "works_notice": ("works",),
    "progress_report": ("works",),
    "evaluation_report": ("evaluation",),
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
}
