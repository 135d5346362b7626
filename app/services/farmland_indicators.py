"""The safe-use rate of contaminated cultivated land (受污染耕地安全利用率), per township
and county and year, computed from the records (issue 21).

Definition (written on the page too, after 《受污染耕地安全利用率核算方法》):

    rate = (area of safe-use land used safely + area of strict-control land under
            strict control) ÷ (area of safe-use land + area of strict-control land)

for the land in each class at the end of the year (today, for the current year):

- safe-use land (安全利用类) counts as used safely for the area of the year's safe-use
  measures (up to the unit's area) when its harvest was tested that year and no
  result exceeds GB 2762 — untested land is not counted: safety has to be shown;
- strict-control land (严格管控类) counts for the area of the year's strict-control
  measures (up to the unit's area), unless a harvest tested that year exceeds GB 2762
  (food is still grown and is not safe);
- priority-protection land is not contaminated and is in neither term.

Four queries whatever the number of units (units, classes in force, the year's
measures, the year's crop results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import case, func, select

from app.extensions import db
from app.models import FarmlandClassification, FarmlandCropResult, FarmlandMeasure, FarmlandUnit
from app.services import clock, jurisdiction, regions
from workflows import farmland as rules

STATUS_LABELS_ZH = {
    "safe": "已实现安全利用",
    "controlled": "已落实严格管控",
    "no_measure": "未落实措施",
    "not_tested": "未开展农产品检测",
    "exceeds": "农产品超标",
}


@dataclass
class Tally:
    county_code: str
    township: str | None  # None: the county's total
    units: int = 0
    area: dict = field(default_factory=lambda: {"priority": 0.0, "safe_use": 0.0, "strict": 0.0,
                                                "unclassified": 0.0})  # fmt: skip
    safe_mu: float = 0.0  # safe-use land used safely
    controlled_mu: float = 0.0  # strict-control land under strict control

    @property
    def county(self) -> str:
        return regions.name(self.county_code)

    @property
    def contaminated_mu(self) -> float:
        return round(self.area["safe_use"] + self.area["strict"], 2)

    @property
    def achieved_mu(self) -> float:
        return round(self.safe_mu + self.controlled_mu, 2)

    @property
    def rate(self) -> float | None:
        """Percent, one decimal; None where no land is contaminated."""
        if self.contaminated_mu <= 0:
            return None
        return round(100.0 * self.achieved_mu / self.contaminated_mu, 1)

    def to_json(self) -> dict:
        return {"county_code": self.county_code, "county": self.county,
                "township": self.township, "units": self.units,
                "area_mu": {k: round(v, 2) for k, v in self.area.items()},
                "contaminated_mu": self.contaminated_mu, "safe_use_achieved_mu": round(self.safe_mu, 2),
                "strict_control_achieved_mu": round(self.controlled_mu, 2),
                "rate_pct": self.rate}  # fmt: skip


@dataclass
class UnitStatus:
    unit: FarmlandUnit
    class_: str
    status: str
    achieved_mu: float
    measure_mu: float
    crop_tests: int
    crop_exceeding: int


@dataclass
class Result:
    year: int
    as_of: date
    target_pct: float
    total: Tally
    counties: list[Tally]
    townships: list[Tally]
    units: list[UnitStatus]

    @property
    def meets_target(self) -> bool | None:
        rate = self.total.rate
        return None if rate is None else rate >= self.target_pct

    def to_json(self, *, with_units: bool = False) -> dict:
        out = {"year": self.year, "as_of": self.as_of.isoformat(), "target_pct": self.target_pct,
               "meets_target": self.meets_target, "total": self.total.to_json(),
               "counties": [c.to_json() for c in self.counties],
               "townships": [t.to_json() for t in self.townships]}  # fmt: skip
        if with_units:
            out["units"] = [{"code": s.unit.code, "name": s.unit.name, "class": s.class_,
                             "status": s.status, "achieved_mu": s.achieved_mu}
                            for s in self.units]  # fmt: skip
        return out


def target_pct() -> float:
    """The plan's target (≥ 90 %), or FARMLAND_SAFE_USE_TARGET_PCT."""
    return float(
        current_app.config.get("FARMLAND_SAFE_USE_TARGET_PCT") or rules.SAFE_USE_TARGET_PCT
    )


def compute(scope: frozenset[str] | None, year: int) -> Result:
    """The rate of ``year`` over the counties ``scope`` (None: every county)."""
    today = clock.today()
    as_of = min(date(year, 12, 31), today)
    where = jurisdiction.in_counties(scope, FarmlandUnit.county_code)
    units = {u.id: u for u in db.session.scalars(
        select(FarmlandUnit).where(where)
        .order_by(FarmlandUnit.county_code, FarmlandUnit.township, FarmlandUnit.code))}  # fmt: skip
    in_force: dict[int, str] = {}
    for unit_id, class_ in db.session.execute(
        select(FarmlandClassification.unit_id, FarmlandClassification.class_)
        .join(FarmlandUnit, FarmlandUnit.id == FarmlandClassification.unit_id)
        .where(where, FarmlandClassification.decided_on <= as_of)
        .order_by(FarmlandClassification.unit_id, FarmlandClassification.id)
    ):  # fmt: skip
        in_force[unit_id] = class_  # the last decided by then wins
    measures: dict[tuple[int, str], float] = {}
    category = case((FarmlandMeasure.kind.in_(tuple(rules.SAFE_USE_MEASURES)), "safe_use"),
                    else_="strict")  # fmt: skip
    for unit_id, cat, area in db.session.execute(
        select(FarmlandMeasure.unit_id, category, func.sum(FarmlandMeasure.area_mu))
        .join(FarmlandUnit, FarmlandUnit.id == FarmlandMeasure.unit_id)
        .where(where, FarmlandMeasure.year == year)
        .group_by(FarmlandMeasure.unit_id, category)
    ):  # fmt: skip
        measures[(unit_id, cat)] = float(area or 0)
    crops: dict[int, tuple[int, int]] = {}
    exceeding = func.sum(case((FarmlandCropResult.value_mg_kg > FarmlandCropResult.limit_mg_kg, 1),
                              else_=0))  # fmt: skip
    for unit_id, tests, bad in db.session.execute(
        select(FarmlandCropResult.unit_id, func.count(), exceeding)
        .join(FarmlandUnit, FarmlandUnit.id == FarmlandCropResult.unit_id)
        .where(where, FarmlandCropResult.year == year)
        .group_by(FarmlandCropResult.unit_id)
    ):  # fmt: skip
        crops[unit_id] = (int(tests), int(bad or 0))

    total = Tally(county_code="", township=None)
    by_county: dict[str, Tally] = {}
    by_township: dict[tuple[str, str], Tally] = {}
    statuses: list[UnitStatus] = []
    for unit in units.values():
        class_ = in_force.get(unit.id) or "unclassified"
        tallies = (total, by_county.setdefault(unit.county_code, Tally(unit.county_code, None)),
                   by_township.setdefault((unit.county_code, unit.township),
                                          Tally(unit.county_code, unit.township)))  # fmt: skip
        for t in tallies:
            t.units += 1
            t.area[class_] += unit.area_mu
        if class_ not in ("safe_use", "strict"):
            continue
        tests, bad = crops.get(unit.id, (0, 0))
        measured = min(unit.area_mu, measures.get((unit.id, class_), 0.0))
        if measured <= 0:
            status, achieved = "no_measure", 0.0
        elif bad:
            status, achieved = "exceeds", 0.0
        elif class_ == "safe_use" and not tests:
            status, achieved = "not_tested", 0.0
        else:
            status, achieved = ("safe" if class_ == "safe_use" else "controlled"), measured
        for t in tallies:
            if class_ == "safe_use":
                t.safe_mu += achieved
            else:
                t.controlled_mu += achieved
        statuses.append(UnitStatus(unit, class_, status, round(achieved, 2), round(measured, 2),
                                   tests, bad))  # fmt: skip
    return Result(
        year,
        as_of,
        target_pct(),
        total,
        list(by_county.values()),
        list(by_township.values()),
        statuses,
    )


def public_args(args) -> tuple[frozenset[str], int]:
    """The counties and year a public request asks for: ``county`` (a served county's
    code or name; anything else is a 400), default every served county; ``year``
    (2000 to this year), default this year."""
    from app.errors import ValidationError

    this_year = clock.today().year
    raw = (args.get("year") or "").strip()
    if not raw:
        year = this_year
    elif raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year:
        year = int(raw)
    else:
        raise ValidationError(f"year 须为 2000–{this_year}", {"year": f"须为 2000–{this_year}"})
    county = (args.get("county") or "").strip()[:50]
    if county:
        return frozenset({regions.county_code(county, field="county")}), year
    return regions.served_codes(), year
