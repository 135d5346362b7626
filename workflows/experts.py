"""Expert review (专家评审): the pool's specialities, which review stages a panel
judges, and the draw — as data and one pure function anyone can re-run.

The draw: every active expert of the pool is a candidate unless their employer is
a party of the case (landholder, responsible party, an engaged unit, the unit
that made the report) or they sat on a panel for the same stage of the same case
before. Candidates are ranked by ``sha256(seed + ":" + expert_id)`` (hex, lowest
first) and the first ``size`` make the panel. The seed, the candidates and the
exclusions go into the ledger event of the draw, so anyone holding the ledger
can repeat the ranking — in any language — and get the same panel.
"""

from __future__ import annotations

import hashlib

SPECIALITIES = {
    "soil": "土壤环境",
    "groundwater": "地下水与水文地质",
    "risk": "风险评估与环境毒理",
    "remediation": "修复与风险管控工程",
    "analysis": "监测分析",
    "management": "环境管理与法律",
    "agriculture": "农业与农产品安全",
}
# The review state a panel judges, and the report it reads there.
REVIEW_REPORTS = {
    "survey_review": "survey_report",
    "risk_assessment_review": "risk_assessment_report",
    "plan_review": "remediation_plan",
    "evaluation_review": "evaluation_report",
}
MIN_PANEL, MAX_PANEL = 3, 15
CONCLUSIONS = ("pass", "pass_with_revisions", "fail")
CONCLUSION_LABELS_ZH = {"pass": "通过", "pass_with_revisions": "修改后通过", "fail": "不通过"}

ALGORITHM = "sha256(seed:expert_id) ascending"

EXCLUSION_LABELS_ZH = {
    "landholder": "就职于土地使用权人",
    "responsible": "就职于责任人",
    "engaged": "就职于受委托单位",
    "report_unit": "就职于报告编制单位",
    "reviewed_before": "曾评审该报告",
}


def rank(seed: str, expert_id: int) -> str:
    return hashlib.sha256(f"{seed}:{expert_id}".encode()).hexdigest()


def draw(seed: str, candidates: list[int], size: int) -> list[int]:
    """The panel: the ``size`` candidates whose rank is lowest, in rank order."""
    return sorted(candidates, key=lambda e: (rank(seed, e), e))[:size]


def quorum(size: int) -> int:
    """Experts who must attend: more than half the panel, and at least three."""
    return max(MIN_PANEL, size // 2 + 1)
