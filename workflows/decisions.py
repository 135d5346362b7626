"""Numbered decisions (DESIGN.md §10) as data: which actions issue one, of what
kind, and how its number reads (文号, e.g. 陇环土备〔2026〕7号).

Every ``approve`` and ``require_*`` is a decision of the bureau. Its number is
unique per county, kind and year and has no gaps (the service allocates it in
the decision's own transaction). Listing on the register and release from it are
decided by the provincial authorities by law (《土壤污染防治法》第五十八条、第六十六条):
those decisions may carry the provincial decision's number and date.
"""

from __future__ import annotations

KINDS = ("review", "listing", "release", "plan_filing", "route")
# Label, and the character of the number that says which kind it is.
KIND_LABELS_ZH = {
    "review": "审查意见",
    "listing": "列入名录决定",
    "release": "移出名录/无需列入名录决定",
    "plan_filing": "修复方案备案",
    "route": "风险管控或修复决定",
    # Issue 21: not a case decision: the class of a unit of cultivated land.
    "farmland": "耕地土壤环境质量类别划定",
}
KIND_CHAR = {
    "review": "审",
    "listing": "录",
    "release": "移",
    "plan_filing": "备",
    "route": "决",
    "farmland": "农",
}
PROVINCIAL_KINDS = frozenset({"listing", "release"})
DECIDING_ACTIONS = frozenset({"approve", "require_remediation", "require_control"})


def kind_of(action: str, from_state: str, to_state: str) -> str | None:
    """The kind of decision ``action`` from ``from_state`` to ``to_state`` issues, or None."""
    if action in ("require_remediation", "require_control"):
        return "route"
    if action != "approve":
        return None
    if to_state == "listed":
        return "listing"
    if to_state == "released":
        return "release"
    if from_state == "plan_review":
        return "plan_filing"
    return "review"


def number_text(prefix: str, kind: str, year: int, seq: int) -> str:
    """``陇环土备〔2026〕7号``: prefix, kind character, year in 〔〕, sequence, 号."""
    return f"{prefix}{KIND_CHAR[kind]}〔{year}〕{seq}号"
