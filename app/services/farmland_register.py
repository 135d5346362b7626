"""Cultivated land beyond its own desk (issue 21): the construction plot a unit became
(trigger ``agricultural_conversion``) and the farmland history its case shows, and the
register of classified land as rows for a spreadsheet."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import FarmlandClassification, FarmlandUnit, User
from app.services import farmland, ledger, regions
from app.services.screening import farmland as standard


def link_site(user: User, unit: FarmlandUnit, code: str):
    """Record that ``unit`` became the construction plot ``code`` (its trigger
    ``agricultural_conversion``): the plot's case then shows the land's farmland
    history. An environment officer of the county; the plot's ledger carries it."""
    from app.models import Site

    if not farmland.may_confirm(user):
        raise Forbidden("由生态环境部门关联农用地转用的建设用地地块")
    code = (code or "").strip()
    site = db.session.scalar(select(Site).where(Site.code == code)) if code else None
    msg = None
    if site is None or site.county_code != unit.county_code:
        msg = "本县没有该编码的建设用地地块"
    elif site.trigger != "agricultural_conversion":
        msg = "该地块的启动原因不是“农用地转为建设用地”"
    elif unit.site_id not in (None, site.id):
        msg = "该耕地单元已关联其他地块"
    if msg:
        raise ValidationError(msg, {"site_code": msg})
    unit.site_id = site.id
    ledger.append("farmland_converted", actor=user, case_id=site.current_case_id,
                  detail={"unit": unit.code, "site": site.code, "class": unit.current_class})  # fmt: skip
    db.session.commit()
    return site


def for_site(site_id: int) -> list[dict]:
    """The farmland history of a construction plot: each unit it was, its classes
    (newest first), the worst of its samples, and the years of measures."""
    units = db.session.scalars(
        select(FarmlandUnit).where(FarmlandUnit.site_id == site_id).order_by(FarmlandUnit.code)
    ).all()
    out = []
    for unit in units:  # a plot is one or a few units
        results = farmland.screened(unit)
        _, worst = farmland.proposal(unit, results)
        out.append({"unit": unit, "history": farmland.history(unit), "worst": worst,
                    "samples": len(results), "years": farmland.year_records(unit)})  # fmt: skip
    return out


CSV_COLUMNS = ("单元编码", "单元名称", "县", "乡镇", "村（社区）", "面积（亩）", "地类", "主要作物",
               "经营主体", "类别", "决定文号", "决定日期")  # fmt: skip


def register_rows(user: User):
    """The register of classified land as rows for a spreadsheet (the user's counties):
    each unit with the class in force and its decision. Two queries."""
    units = db.session.scalars(farmland.units_query(user)).all()
    in_force = {c.unit_id: c for c in db.session.scalars(
        select(FarmlandClassification).where(
            FarmlandClassification.superseded_at.is_(None),
            FarmlandClassification.unit_id.in_([u.id for u in units] or [0])))}  # fmt: skip
    for u in units:
        c = in_force.get(u.id)
        yield (u.code, u.name, regions.name(u.county_code), u.township, u.village,
               f"{u.area_mu:.2f}", standard.LAND_USE_LABELS_ZH.get(u.land_use, u.land_use), u.crop,
               u.holder, standard.CLASS_LABELS_ZH[c.class_] if c else "未确认",
               c.number if c else "", c.decided_on.isoformat() if c else "")  # fmt: skip
