"""Change of a plot's planned use (DESIGN.md §10).

《土壤污染防治法》第五十九条: a plot whose use changes to housing or public
services must be surveyed before the change. A plot cleared for industry that is
rezoned for housing was never cleared for housing: when the new use falls in a
more sensitive land category (GB 36600 第二类 → 第一类) than the one it was released
for, its case is reopened at once — a new survey round, recorded by the system
with the planning decision as the reason. Whatever the category, every sample of
the plot is screened again against the values of the new one.

Either department of the bureau may record the change (the planning decision is
natural resources'; the bureau enters it); a landholder cannot.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, update

from app import security_log
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Case, Filing, Sample, Site, User
from app.services import cases, clock, jurisdiction, ledger, screening
from app.services.schema import F, validate
from app.services.sites import LAND_CATEGORY, PLANNED_USE_ZH, land_category

SPEC = {
    "planned_use": F("enum", choices=tuple(LAND_CATEGORY)),
    "basis": F("str", max_len=2000),
}
_LEVEL_ORDER = ("above_intervention", "above_screening", "below_screening", "no_standard")


def change_use(user: User, code: str, payload) -> Site:
    """Record the new planned use of the plot ``code``, re-screen its samples and,
    where the plot was cleared for a less sensitive use, reopen it. Commits once."""
    if user.role != "bureau":
        raise Forbidden("只有生态环境局（生态环境或自然资源部门）可以登记规划用途变更")
    data = validate(payload, SPEC, message="规划用途变更信息有误")
    basis = data["basis"].strip()
    if not basis:
        raise ValidationError("须填写变更依据（规划批复文号等）", {"basis": "不能为空"})
    found = db.session.execute(
        select(Site.id, Site.county_code, Site.current_case_id).where(Site.code == str(code)[:32])
    ).first()
    if found is None or not jurisdiction.covers(user, found.county_code):
        if found is not None:
            security_log.event("authz_fail", user=user, object=f"site:{code}")
        raise NotFound("地块不存在")
    # Locks in the order cases.act takes them (the case row, then the plot it
    # updates on release), so the two never deadlock. A filing screening samples on
    # this case, or an action on it, waits for this change, or this change for them.
    case = db.session.scalar(select(Case).where(Case.id == found.current_case_id).with_for_update())
    site = db.session.scalar(select(Site).where(Site.id == found.id).with_for_update())
    if case is None or site is None:
        raise NotFound("地块不存在")
    new_use = data["planned_use"]
    if new_use == site.planned_use:
        msg = f"规划用途已是{PLANNED_USE_ZH[new_use]}"
        raise ValidationError(msg, {"planned_use": msg})

    old_use, old_category = site.planned_use, site.land_category
    site.planned_use, site.land_category = new_use, land_category(new_use)
    now = clock.now()
    case.updated_at = now  # the version moves: what the guards read has changed
    rescreened = rescreen(site) if site.land_category != old_category else {}
    ledger.append(
        "use_changed",
        actor=user,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        detail={
            "site": site.code,
            "from_use": old_use,
            "to_use": new_use,
            "from_category": old_category,
            "to_category": site.land_category,
            "basis": basis,
            "department": user.department,
            "rescreened": sum(len(v) for v in rescreened.values()),
            "levels_changed": {k: len(v) for k, v in sorted(rescreened.items())},
        },
        at=now,
    )
    if more_sensitive_than_cleared(site, case):
        reopen_for_use(case, basis, now)
    db.session.commit()
    return site


def more_sensitive_than_cleared(site: Site, case: Case) -> bool:
    """A released plot now planned for a more sensitive category than it was cleared
    for (category 1 is the more sensitive: housing, schools, hospitals, care)."""
    return (
        case.state == "released"
        and site.cleared_category is not None
        and site.land_category < site.cleared_category
    )


def reopen_for_use(case: Case, basis: str, now) -> None:
    """Reopen by the system: a new survey round, the planning decision as comment."""
    review_round = case.round
    cases.enter(case, "survey", now)
    ledger.append(
        "reopen",
        actor=None,
        case_id=case.id,
        from_state="released",
        to_state="survey",
        detail={
            "round": review_round,
            "comment": basis,
            "department": None,
            "by": "system",
            "cause": "use_changed",
            "cleared_category": case.site.cleared_category,
            "new_category": case.site.land_category,
        },
        at=now,
    )


def rescreen(site: Site) -> dict[str, list[int]]:
    """Screen every sample of the plot (all its cases) against its current category.
    Returns the ids whose level changed, by new level; updates the stored levels
    and each survey filing's highest level."""
    index = site.land_category - 1
    backgrounds = site.backgrounds or {}
    case_ids = select(Case.id).where(Case.site_id == site.id).scalar_subquery()
    rows = db.session.execute(
        select(Sample.id, Sample.filing_id, Sample.pollutant_key, Sample.value_mg_kg,
               Sample.level).where(Sample.case_id.in_(case_ids))
    ).all()  # fmt: skip
    changed: dict[str, list[int]] = defaultdict(list)
    levels_by_filing: dict[int, set[str]] = defaultdict(set)
    for sample_id, filing_id, key, value, old in rows:
        pollutant = screening.pollutant_by_key(key)
        level = (
            screening.level_of(pollutant, index, value, backgrounds.get(key)) if pollutant else old
        )
        levels_by_filing[filing_id].add(level)
        if level != old:
            changed[level].append(sample_id)
    for level, ids in changed.items():
        for start in range(0, len(ids), 500):
            db.session.execute(
                update(Sample)
                .where(Sample.id.in_(ids[start : start + 500]))
                .values(level=level)
                .execution_options(synchronize_session=False)
            )
    for filing in db.session.scalars(select(Filing).where(Filing.id.in_(list(levels_by_filing)))):
        found = levels_by_filing[filing.id]
        top = next((lv for lv in _LEVEL_ORDER if lv in found), "below_screening")
        filing.data = {**filing.data, "max_level": top, "screened_for_category": site.land_category}
    return dict(changed)
