"""Registering a plot (地块) and opening its first case."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Case, Responsibility, Site, User
from app.services import clock, jurisdiction, ledger, parties, regions
from app.services.schema import F, validate

# GB 36600-2018 §3.3–3.4: 第一类用地 (R, A33, A5, A6, G1 community/children's park);
# everything else this system registers is 第二类用地.
LAND_CATEGORY = {
    "residential": 1,
    "school": 1,
    "medical": 1,
    "elderly_care": 1,
    "community_park": 1,
    "industrial": 2,
    "logistics": 2,
    "commercial": 2,
    "road": 2,
    "utilities": 2,
    "public_admin": 2,
    "green_space": 2,
}
PLANNED_USE_ZH = {
    "residential": "居住用地（R）",
    "school": "中小学用地（A33）",
    "medical": "医疗卫生用地（A5）",
    "elderly_care": "社会福利/养老用地（A6）",
    "community_park": "社区公园或儿童公园（G1）",
    "industrial": "工业用地（M）",
    "logistics": "物流仓储用地（W）",
    "commercial": "商业服务业设施用地（B）",
    "road": "道路与交通设施用地（S）",
    "utilities": "公用设施用地（U）",
    "public_admin": "公共管理与公共服务用地（A，除 A33/A5/A6）",
    "green_space": "绿地与广场用地（G，除 G1 社区公园）",
}
# What a landholder may give when registering a plot (DESIGN §2); ``survey_order``
# is set only by the bureau's order (§12).
TRIGGERS = ("use_change", "land_recovery", "key_enterprise", "agricultural_conversion")
TRIGGER_ZH = {
    "use_change": "用途变更为住宅、公共管理与公共服务用地",
    "land_recovery": "土地收回、转让",
    "key_enterprise": "土壤污染重点监管单位用地",
    "agricultural_conversion": "农用地转为建设用地",
    "survey_order": "生态环境主管部门责令调查",
}

SITE_SPEC = {
    "name": F("str", max_len=200),
    "township": F("str", max_len=50),
    "address": F("str", max_len=300),
    "area_m2": F("number", gt=0, max=1e9),
    "planned_use": F("enum", choices=tuple(LAND_CATEGORY)),
    "former_industry": F("str", max_len=200),
    "trigger": F("enum", choices=TRIGGERS),
    "boundary": F("any", required=False),
    "responsible_party_credit_code": F("credit_code", required=False),
    "backgrounds": F("any", required=False),
    # The county the plot lies in (code or name, a county this platform serves);
    # the deployment's county when absent.
    "county": F("str", max_len=50, required=False),
}

BACKGROUND_POLLUTANTS = ("arsenic", "cobalt", "vanadium")


def land_category(planned_use: str) -> int:
    return LAND_CATEGORY[planned_use]


def check_polygon(geom) -> tuple[dict, float, float]:
    """A GeoJSON Polygon in WGS84; returns it with the centroid of its outer ring."""
    msg = "边界须为 WGS84 坐标的 GeoJSON Polygon"
    if not isinstance(geom, dict) or geom.get("type") != "Polygon":
        raise ValidationError(msg, {"boundary": msg})
    rings = geom.get("coordinates")
    if not isinstance(rings, list) or not rings or len(rings) > 50:
        raise ValidationError(msg, {"boundary": msg})
    clean = []
    for ring in rings:
        if not isinstance(ring, list) or not 4 <= len(ring) <= 5000:
            raise ValidationError(msg, {"boundary": "每个环至少 4 个点（首尾相同）"})
        points = []
        for pos in ring:
            if (
                not isinstance(pos, list)
                or len(pos) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2])
            ):
                raise ValidationError(msg, {"boundary": "坐标须为 [经度, 纬度]"})
            lon, lat = float(pos[0]), float(pos[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValidationError(msg, {"boundary": "经纬度超出范围"})
            points.append([lon, lat])
        if points[0] != points[-1]:
            raise ValidationError(msg, {"boundary": "多边形须闭合（首尾坐标相同）"})
        clean.append(points)
    outer = clean[0][:-1]
    lon = sum(p[0] for p in outer) / len(outer)
    lat = sum(p[1] for p in outer) / len(outer)
    return {"type": "Polygon", "coordinates": clean}, lat, lon


def _check_backgrounds(raw) -> dict | None:
    if raw is None:
        return None
    msg = "背景值须为 {污染物: mg/kg}，仅限砷、钴、钒"
    if not isinstance(raw, dict):
        raise ValidationError(msg, {"backgrounds": msg})
    from app.services.screening import lookup_pollutant

    out = {}
    for name, value in raw.items():
        pollutant = lookup_pollutant(str(name))
        if pollutant is None or pollutant.key not in BACKGROUND_POLLUTANTS:
            raise ValidationError(msg, {f"backgrounds.{name}": msg})
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e5:
            raise ValidationError(msg, {f"backgrounds.{name}": "须为正数（mg/kg）"})
        out[pollutant.key] = float(value)
    return out


def register_site(user: User, payload) -> Site:
    """A landholder registers a plot; its first case opens in ``survey``.

    《土壤污染防治法》第五十九条: 用途变更为住宅、公共管理与公共服务用地的，变更前应当
    按照规定进行土壤污染状况调查. Commits.
    """
    if user.role != "landholder" or user.party is None:
        raise Forbidden("只有土地使用权人可以登记地块")
    data = validate(payload, SITE_SPEC, message="地块信息有误")
    boundary, lat, lon = None, None, None
    if data.get("boundary") is not None:
        boundary, lat, lon = check_polygon(data["boundary"])
    backgrounds = _check_backgrounds(data.get("backgrounds"))
    county_code = jurisdiction.county_for(user, data.get("county"))
    landholder = parties.usable(user.party.credit_code, field="landholder", purpose="土地使用权人")
    responsible = landholder
    if data.get("responsible_party_credit_code"):
        responsible = parties.usable(
            data["responsible_party_credit_code"],
            field="responsible_party_credit_code",
            purpose="责任人",
        )
    site, case = open_plot(
        user,
        {"name": data["name"], "county_code": county_code,
         "township": data["township"], "address": data["address"],
         "area_m2": round(data["area_m2"], 2), "planned_use": data["planned_use"],
         "former_industry": data["former_industry"], "trigger": data["trigger"],
         "boundary": boundary, "lat": lat, "lon": lon, "backgrounds": backgrounds},
        landholder=landholder, responsible=responsible, basis="polluter",
        note=None if data.get("responsible_party_credit_code") else
        "登记时未另行指定责任人，暂由土地使用权人承担；责任不明确或有争议的，"
        "由生态环境部门会同自然资源部门认定",
    )  # fmt: skip
    basis = "polluter"
    ledger.append(
        "site_registered",
        actor=user,
        case_id=case.id,
        to_state="survey",
        detail={
            "site": site.code,
            "landholder": landholder.credit_code,
            "responsible": responsible.credit_code,
            "basis": basis,
            "planned_use": site.planned_use,
            "land_category": site.land_category,
        },
    )
    db.session.commit()
    return site


def open_plot(user: User, fields: dict, *, landholder, responsible, basis: str,
              note: str | None = None) -> tuple[Site, Case]:  # fmt: skip
    """A new plot (``fields``: the Site's columns but its code and category) with its
    first case in ``survey``, coded ``<county code>-<year>-<id>``, and the landholder
    and responsible party on record: the session only (the caller's ledger event and
    commit follow). A landholder's registration and the bureau's ordered survey (§12)."""
    now = clock.now()
    site = Site(**fields, land_category=land_category(fields["planned_use"]),
                landholder_party_id=landholder.id, created_by_id=user.id, created_at=now)  # fmt: skip
    db.session.add(site)
    db.session.flush()
    site.code = f"{site.county_code}-{now.year}-{site.id:05d}"
    case = Case(site=site, state="survey", responsible_party_id=responsible.id, state_since=now,
                created_at=now, updated_at=now)  # fmt: skip
    db.session.add(case)
    db.session.flush()
    site.current_case_id = case.id
    db.session.add_all(
        [
            Responsibility(case_id=case.id, role="landholder", party_id=landholder.id,
                           valid_from=now, recorded_by_id=user.id),
            Responsibility(case_id=case.id, role="responsible", party_id=responsible.id,
                           basis=basis, valid_from=now, recorded_by_id=user.id, note=note),
        ]
    )  # fmt: skip
    return site, case


def get_site(code: str) -> Site:
    site = db.session.scalar(select(Site).where(Site.code == str(code)[:32]))
    if site is None:
        raise NotFound("地块不存在")
    return site


def to_json(site: Site) -> dict:
    return {
        "code": site.code,
        "name": site.name,
        "county": regions.name(site.county_code),
        "county_code": site.county_code,
        "township": site.township,
        "address": site.address,
        "area_m2": float(site.area_m2),
        "planned_use": site.planned_use,
        "land_category": site.land_category,
        "former_industry": site.former_industry,
        "trigger": site.trigger,
        "boundary": site.boundary,
        "centroid": [site.lon, site.lat] if site.lat is not None else None,
        "backgrounds": site.backgrounds,
        "landholder": parties.to_json(site.landholder),
        "cleared_for": cleared_for_json(site),
    }


def cleared_for_json(site: Site) -> dict | None:
    """What use the plot was last released for (§10), or None."""
    if site.cleared_category is None:
        return None
    return {
        "land_category": site.cleared_category,
        "planned_use": site.cleared_use,
        "date": site.cleared_on.isoformat() if site.cleared_on else None,
    }
