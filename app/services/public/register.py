"""The public register (名录), plot pages and open data (DESIGN.md §7).

《土壤污染防治法》第五十八条、第六十二条、第八十一条: the register of plots under
risk control or remediation, the effect-evaluation results and the release of a
plot from the register are public; 《污染地块土壤环境管理办法（试行）》第十八条
adds the works notice board. Everything here is for an anonymous reader:

- a plot is public once its latest case has been listed (any state from
  ``listed`` on, and ``released``); a plot still in survey or risk assessment
  does not exist for the public (404);
- nothing personal leaves this module: no usernames, display names, project
  leads or phone numbers — except the works notice's ``contact`` line, which
  the law publishes on the board at the fence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select

import workflows
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Case, PlotCount, PlotPollutant, PollutantCount, Sample, Site
from app.services import jurisdiction, regions
from app.services import screening as screening_service
from app.services import search as search_service
from app.services.sites import cleared_for_json

NON_PUBLIC_STATES = workflows.NON_PUBLIC_STATES
PUBLIC_STATES = workflows.PUBLIC_STATES
EXCEEDING = ("above_screening", "above_intervention")
LEVEL_RANK = {"above_screening": 1, "above_intervention": 2}
LEVEL_LABELS_ZH = {"above_screening": "超筛选值", "above_intervention": "超管制值"}

# Public stages grouped the way a resident thinks about them.
PHASES = {
    "listed": "listed",
    "risk_control": "control",
    "plan_filing": "remediation",
    "plan_review": "remediation",
    "transfer_reporting": "remediation",
    "works": "remediation",
    "evaluation": "evaluation",
    "evaluation_review": "evaluation",
    "released": "released",
    # A plot that has been public and is investigated again (reopened, §10).
    "survey": "reinvestigation",
    "survey_review": "reinvestigation",
    "risk_assessment": "reinvestigation",
    "risk_assessment_review": "reinvestigation",
}
PHASE_LABELS_ZH = {
    "listed": "已列入名录",
    "control": "风险管控中",
    "remediation": "修复中",
    "evaluation": "效果评估中",
    "released": "已移出名录/无需列入",
    "reinvestigation": "重新调查评估中",
}
# What each public state means to a neighbour, in one sentence.
STATE_EXPLAINED_ZH = {
    "listed": "经风险评估，地块风险不可接受，已列入名录，正在确定风险管控或修复方式。",
    "risk_control": "地块实施风险管控：划定管控区、设置标识、开展监测，暂不开发利用。",
    "plan_filing": "责任人正在编制修复方案。",
    "plan_review": "修复方案已提交生态环境部门备案审查。",
    "transfer_reporting": "修复方案已备案，正在报告污染土壤外运转移计划。",
    "works": "修复施工正在进行，施工现场设有公告牌。",
    "evaluation": "修复或管控已完成，第三方单位正在开展效果评估。",
    "evaluation_review": "效果评估报告正在接受生态环境部门与自然资源部门审查。",
    "released": "地块已移出名录或经调查评估无需列入名录，可依法进入用地程序。",
    "survey": "地块重新开展土壤污染状况调查（如规划用途变更为更敏感的用途），调查评估完成前暂不开发利用。",
    "survey_review": "重新开展的土壤污染状况调查报告正在接受审查。",
    "risk_assessment": "重新调查发现污染物超过筛选值，正在开展风险评估。",
    "risk_assessment_review": "重新开展的风险评估报告正在接受审查。",
}


def is_public():
    """The plots the public may see: those that have been on the register (listed
    or released) at least once; reopening does not take a plot off the public side."""
    return Site.public_since.is_not(None)


def in_counties(counties, column=None):
    """A WHERE clause keeping rows of ``counties`` (county codes; None = all) on
    ``column`` (default ``sites.county_code``, which is indexed)."""
    return jurisdiction.in_counties(counties, Site.county_code if column is None else column)


MAX_RADIUS_KM = 50.0
EARTH_RADIUS_KM = 6371.0088


# ---------------------------------------------------------------- filters


@dataclass
class Filters:
    county: str | None = None  # a served county's code (issue 18)
    state: str | None = None
    township: str | None = None
    q: str | None = None
    pollutant: str | None = None  # pollutant key
    land_category: int | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None

    @property
    def near(self) -> bool:
        return self.lat is not None and self.lon is not None

    def args(self, near: bool = True) -> dict:
        """The filters as query-string arguments (for links and the map's data URL)."""
        out = {
            "county": self.county,
            "state": self.state,
            "township": self.township,
            "q": self.q,
            "pollutant": self.pollutant,
            "land_category": self.land_category,
        }
        if near and self.near:
            out.update(lat=f"{self.lat:.6f}", lon=f"{self.lon:.6f}", radius=f"{self.radius_km:g}")
        return {k: v for k, v in out.items() if v not in (None, "")}


def _printable(text: str) -> bool:
    """No NUL or other control characters (PostgreSQL refuses NUL in text)."""
    return not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _text_arg(args, name: str, max_len: int) -> str | None:
    raw = args.get(name, "")
    if not isinstance(raw, str):
        return None
    raw = " ".join(raw.split())
    if not _printable(raw):
        raise ValidationError(f"{name} 含有无效字符", {name: "含有无效字符"})
    if len(raw) > max_len:
        raise ValidationError(f"{name} 过长（不超过 {max_len} 个字符）", {name: "过长"})
    return raw or None


def _float_arg(args, name: str, low: float, high: float) -> float | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(f"{name} 须为 {low:g}–{high:g} 之间的数", {name: "取值无效"})
    return value


def parse_filters(args) -> Filters:
    """Read the register's filters from query arguments; bad ones are a 400."""
    f = Filters()
    county = _text_arg(args, "county", 50)
    if county is not None:
        # A code (or name) of a county this platform serves; others are a 400.
        f.county = regions.county_code(county, field="county")
    state = _text_arg(args, "state", 40)
    if state is not None and state not in workflows.STATES:
        raise ValidationError(
            f"state 须为 {', '.join(PUBLIC_STATES)} 之一", {"state": "未知的状态"}
        )
    f.state = state
    f.township = _text_arg(args, "township", 50)
    f.q = _text_arg(args, "q", 100)
    pollutant = _text_arg(args, "pollutant", 100)
    if pollutant is not None:
        p = screening_service.pollutant_by_key(pollutant) or screening_service.lookup_pollutant(
            pollutant
        )
        if p is None:
            raise ValidationError(f"未知污染物：{pollutant[:50]}", {"pollutant": "未知污染物"})
        f.pollutant = p.key
    category = _text_arg(args, "land_category", 2)
    if category is not None:
        if category not in ("1", "2"):
            raise ValidationError("land_category 须为 1 或 2", {"land_category": "须为 1 或 2"})
        f.land_category = int(category)
    lat = _float_arg(args, "lat", -90, 90)
    lon = _float_arg(args, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise ValidationError("lat 与 lon 须同时提供", {"lat": "须与 lon 同时提供"})
    if lat is not None:
        f.lat, f.lon = lat, lon
        f.radius_km = _float_arg(args, "radius", 0.1, MAX_RADIUS_KM) or 3.0
    return f


# ---------------------------------------------------------------- queries


def conditions(filters: Filters | None = None, ordered: bool = False) -> list:
    """The WHERE clauses of the register's filters, on ``sites`` alone (issue 19:
    the current case's state is kept on the plot), so a page is found from the
    partial indexes over public plots (models.cases.PUBLIC_INDEXES) and the case is
    joined for the rows shown only."""
    f = filters or Filters()
    out = [is_public()]
    if f.county:
        out.append(Site.county_code == f.county)
    if f.state:
        out.append(Site.case_state == f.state)
    if f.township:
        out.append(Site.township == f.township)
    if f.land_category:
        out.append(Site.land_category == f.land_category)
    if f.q:
        out.append(search_service.condition(f.q))
    if f.pollutant:
        # The plots whose current case has an exceeding sample (kept with every
        # change, counts.refresh_pollutants): looked up per plot when plots are read
        # in code order (a page) or another filter narrows them first; else the
        # pollutant's plots listed once.
        narrowed = f.county or f.township or f.state or f.q
        if ordered or narrowed:
            out.append(exists().where(PlotPollutant.site_id == Site.id,
                                      PlotPollutant.pollutant_key == f.pollutant))  # fmt: skip
        else:
            out.append(Site.id.in_(select(PlotPollutant.site_id).where(
                PlotPollutant.pollutant_key == f.pollutant)))  # fmt: skip
    if f.near:
        # A bounding box the database can use the lat/lon indexes for; the
        # exact great-circle distance is computed on what is left.
        dlat = math.degrees(f.radius_km / EARTH_RADIUS_KM)
        coslat = max(math.cos(math.radians(f.lat)), 0.01)
        dlon = min(dlat / coslat, 180.0)
        out += [
            Site.lat.is_not(None),
            Site.lat.between(f.lat - dlat, f.lat + dlat),
            Site.lon.between(f.lon - dlon, f.lon + dlon),
        ]
    return out


def public_query(filters: Filters | None = None):
    """``select(Site, Case)`` of public plots with their latest case, filtered."""
    return (
        select(Site, Case).join(Case, Case.id == Site.current_case_id).where(*conditions(filters))
    )


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Row:
    site: Site
    case: Case
    pollutants: list[dict] = field(default_factory=list)
    distance_km: float | None = None

    @property
    def state(self) -> str:
        return self.case.state


@dataclass
class Page:
    items: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, around: int = 2) -> list[int | None]:
        """The page links a pager shows: the first, the last and ``around`` either
        side of this one, ``None`` for each gap (a few numbers, whatever the number
        of pages: a province's register has thousands)."""
        last = self.pages
        shown = sorted(
            {1, last, *range(max(1, self.page - around), min(last, self.page + around) + 1)}
        )
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def pollutants_for(case_ids: list[int]) -> dict[int, list[dict]]:
    """Pollutants of concern per case — above a screening value — each with its
    worst level and highest content, in one grouped query."""
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(
            Sample.case_id,
            Sample.pollutant_key,
            Sample.level,
            func.max(Sample.value_mg_kg),
            func.count(),
        )
        .where(Sample.case_id.in_(case_ids), Sample.level.in_(EXCEEDING))
        .group_by(Sample.case_id, Sample.pollutant_key, Sample.level)
    )
    for case_id, key, level, max_value, count in rows:
        entry = out[case_id].get(key)
        if entry is None:
            p = screening_service.pollutant_by_key(key)
            entry = out[case_id][key] = {
                "key": key,
                "name": p.name_zh if p else key,
                "cas": p.cas if p else None,
                "level": level,
                "max_mg_kg": max_value,
                "samples_exceeding": 0,
            }
        if LEVEL_RANK[level] > LEVEL_RANK[entry["level"]]:
            entry["level"] = level
        entry["max_mg_kg"] = max(entry["max_mg_kg"], max_value)
        entry["samples_exceeding"] += count
    return {
        cid: sorted(by_key.values(), key=lambda e: (-LEVEL_RANK[e["level"]], e["name"]))
        for cid, by_key in out.items()
    }


def _rows(pairs) -> list[Row]:
    rows = [Row(site, case) for site, case in pairs]
    found = pollutants_for([r.case.id for r in rows])
    for r in rows:
        r.pollutants = found.get(r.case.id, [])
    return rows


def search(filters: Filters, page: int = 1, per_page: int = 20) -> Page:
    """One page of the register: two or three queries whatever the page size."""
    if filters.near:
        pairs = db.session.execute(public_query(filters)).all()
        near = []
        for site, case in pairs:
            d = haversine_km(filters.lat, filters.lon, site.lat, site.lon)
            if d <= filters.radius_km:
                near.append((d, site, case))
        near.sort(key=lambda t: (t[0], t[1].code or ""))
        chunk = near[(page - 1) * per_page : page * per_page]
        rows = _rows([(s, c) for _, s, c in chunk])
        for row, (d, _, _) in zip(rows, chunk, strict=True):
            row.distance_km = d
        return Page(rows, len(near), page, per_page)
    total = _total(filters, conditions(filters))
    # The page's plots from an index over public plots (skipping entries, not
    # rows), then those twenty joined with their cases.
    ids = (
        select(Site.id).where(*conditions(filters, ordered=True)).order_by(Site.code)
        .limit(per_page).offset((page - 1) * per_page)
    )  # fmt: skip
    pairs = db.session.execute(
        select(Site, Case)
        .join(Case, Case.id == Site.current_case_id)
        .where(Site.id.in_(ids.scalar_subquery()))
        .order_by(Site.code)
    ).all()
    return Page(_rows(pairs), total, page, per_page)


def _total(f: Filters, where: list) -> int:
    """How many plots match: from the kept counts when the filters are among their
    columns (county, township, state, category), else counted on ``sites``."""
    if f.pollutant and not (f.q or f.near or f.township or f.state or f.land_category):
        total = select(func.coalesce(func.sum(PollutantCount.n), 0)).where(
            PollutantCount.public.is_(True), PollutantCount.pollutant_key == f.pollutant
        )
        if f.county:
            total = total.where(PollutantCount.county_code == f.county)
        return int(db.session.scalar(total) or 0)
    if f.q or f.pollutant or f.near:
        return db.session.scalar(select(func.count()).select_from(Site).where(*where)) or 0
    total = select(func.coalesce(func.sum(PlotCount.n), 0)).where(PlotCount.public.is_(True))
    for column, value in (
        (PlotCount.county_code, f.county),
        (PlotCount.township, f.township),
        (PlotCount.state, f.state),
        (PlotCount.land_category, f.land_category),
    ):
        if value:
            total = total.where(column == value)
    return int(db.session.scalar(total) or 0)


def all_public(filters: Filters | None = None) -> list[Row]:
    """Every public plot matching ``filters`` (map, GeoJSON, CSV), by code."""
    f = filters or Filters()
    pairs = db.session.execute(public_query(f).order_by(Site.code)).all()
    if f.near:
        pairs = [
            (s, c) for s, c in pairs if haversine_km(f.lat, f.lon, s.lat, s.lon) <= f.radius_km
        ]
    return _rows(pairs)


def get_public(code: str) -> Row:
    """A public plot by its code; anything else is ``NotFound`` (never "forbidden",
    which would tell that the code exists)."""
    if not isinstance(code, str) or not code or len(code) > 32 or not _printable(code):
        raise NotFound("地块不存在或尚未公开")
    pair = db.session.execute(
        select(Site, Case).join(Case, Case.id == Site.current_case_id).where(Site.code == code)
    ).first()
    if pair is None or pair[0].public_since is None:
        raise NotFound("地块不存在或尚未公开")
    return _rows([pair])[0]


def filter_options(county: str | None = None) -> dict:
    """Choices for the register's filter form, from public plots only (of
    ``county`` when the register is filtered by one)."""
    scope = None if county is None else frozenset({county})
    # From the kept counts (issue 19): a few hundred rows, not every plot.
    townships = db.session.scalars(
        select(PlotCount.township)
        .where(PlotCount.public.is_(True), PlotCount.n > 0,
               in_counties(scope, PlotCount.county_code))
        .distinct()
        .order_by(PlotCount.township)
    ).all()  # fmt: skip
    # From the kept pollutant counts (issue 19): a few dozen rows.
    keys = db.session.scalars(
        select(PollutantCount.pollutant_key)
        .where(PollutantCount.public.is_(True), PollutantCount.n > 0,
               in_counties(scope, PollutantCount.county_code))
        .distinct()
    ).all()  # fmt: skip
    pollutants = []
    for key in keys:
        p = screening_service.pollutant_by_key(key)
        pollutants.append((key, p.name_zh if p else key))
    pollutants.sort(key=lambda kv: kv[1])
    return {
        "townships": list(townships),
        "states": [(s, workflows.STATE_LABELS_ZH[s]) for s in PUBLIC_STATES],
        "pollutants": pollutants,
        "land_categories": [(1, "第一类用地"), (2, "第二类用地")],
    }


def summary(counties: frozenset[str] | None = None) -> dict:
    """Counts for the register's header: by phase, over public plots (of
    ``counties``, county codes; None = every county)."""
    # A few rows of the counts kept with every change (issue 19), not a count of
    # every plot.
    rows = db.session.execute(
        select(PlotCount.state, PlotCount.public, func.sum(PlotCount.n))
        .where(in_counties(counties, PlotCount.county_code))
        .group_by(PlotCount.state, PlotCount.public)
    ).all()
    by_state: dict[str, int] = {}
    phases = {p: 0 for p in PHASE_LABELS_ZH}
    pre_listing = 0
    for state, shown, n in rows:
        if not shown:
            pre_listing += n
            continue
        by_state[state] = by_state.get(state, 0) + n
        phases[PHASES[state]] += n
    return {
        "public": sum(by_state.values()),
        "phases": phases,
        "by_state": {s: by_state.get(s, 0) for s in PUBLIC_STATES},
        "pre_listing": pre_listing,
    }


# ---------------------------------------------------------------- serialisation


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for print, sharing and open data. ``PUBLIC_BASE_URL``
    (e.g. https://tdwr.longchuan.gov.cn) wins over the host the request came in
    on, so a board printed on the intranet still points to the public site."""
    from flask import current_app, url_for

    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def item_json(row: Row) -> dict:
    out = {
        "code": row.site.code,
        "name": row.site.name,
        "township": row.site.township,
        # Issue 18: the county the plot lies in (GB/T 2260 code and name).
        "county_code": row.site.county_code,
        "county": regions.name(row.site.county_code),
        "state": row.case.state,
        "state_label": workflows.STATE_LABELS_ZH[row.case.state],
        "land_category": row.site.land_category,
        "pollutants": row.pollutants,
        # DESIGN §10: what use it was cleared for, and whether it is investigated again.
        "cleared_for": cleared_for_json(row.site),
        "reinvestigation": row.case.state in NON_PUBLIC_STATES,
        "url": public_url("public.site", code=row.site.code),
    }
    if row.distance_km is not None:
        out["distance_km"] = round(row.distance_km, 3)
    return out


def _ring_area2(ring: list) -> float:
    return sum(
        ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)
    )


def oriented(geom: dict | None) -> dict | None:
    """RFC 7946 §3.1.6 right-hand rule: exterior ring counterclockwise, holes clockwise."""
    if not geom or geom.get("type") != "Polygon" or not geom.get("coordinates"):
        return None
    rings = []
    for i, ring in enumerate(geom["coordinates"]):
        ring = [list(p[:2]) for p in ring]
        if ring and ring[0] != ring[-1]:
            ring.append(list(ring[0]))
        ccw = _ring_area2(ring) > 0
        if (i == 0) != ccw:
            ring.reverse()
        rings.append(ring)
    return {"type": "Polygon", "coordinates": rings}
