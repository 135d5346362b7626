"""Suspected contaminated plots (疑似污染地块) and ordered surveys (DESIGN §12).

The bureau keeps the county's list of plots it suspects, from closed or relocated
enterprises, recovered land, use changes, tip-offs and inspections. Ordering a
survey (责令调查) creates the plot and its case in ``survey`` with the landholder
(or the county government) as the one who must survey, a ``survey_order``
deadline (§11) and a notice to that party's users; a dismissal keeps its reason.
Every change is one transaction with its ledger event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import security_log
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models import Case, Party, Site, Suspect, User
from app.services import clock, jurisdiction, ledger, parties, regions, sites
from app.services.schema import F, validate
from app.services.sites import LAND_CATEGORY, check_polygon
from workflows import presurvey as rules

SUSPECT_SPEC = {
    "name": F("str", max_len=200),
    "township": F("str", max_len=50),
    "address": F("str", max_len=300),
    "former_industry": F("str", max_len=200),
    "source": F("enum", choices=rules.SOURCES),
    "boundary": F("any", required=False),
    "landholder_credit_code": F("credit_code", required=False),
    "area_m2": F("number", gt=0, max=1e9, required=False),
    "planned_use": F("enum", choices=tuple(LAND_CATEGORY), required=False),
    "note": F("str", max_len=5000, required=False),
    # A county code or name; a county officer's own county when absent.
    "county": F("str", max_len=50, required=False),
}
ORDER_SPEC = {
    "due": F("date"),
    "planned_use": F("enum", choices=tuple(LAND_CATEGORY), required=False),
    "note": F("str", max_len=5000, required=False),
}
DISMISS_SPEC = {"reason": F("str", max_len=5000)}
# With no planned use known, the survey screens against the strictest (first)
# category of GB 36600: 用途未定的按第一类用地管控.
DEFAULT_PLANNED_USE = "residential"


def bureau(user: User | None) -> None:
    if user is None or user.role != "bureau":
        raise Forbidden("仅限生态环境主管部门办理")


def in_jurisdiction(user: User):
    return jurisdiction.clause(user, Suspect.county_code)


# ---------------------------------------------------------------- recording


def prepare(payload, *, message: str = "疑似污染地块信息有误", user: User | None = None) -> dict:
    """The checked fields of one suspected plot (API body or an imported row) and
    its county (named, or the officer's own)."""
    data = validate(payload, SUSPECT_SPEC, message=message)
    data["county_code"] = jurisdiction.county_for(user, data.get("county"))
    if data.get("boundary") is not None:
        try:
            data["boundary"], data["lat"], data["lon"] = check_polygon(data["boundary"])
        except ValidationError as exc:
            raise ValidationError(message, {"boundary": exc.message}) from None
    if data.get("landholder_credit_code"):
        data["landholder"] = parties.usable(
            data["landholder_credit_code"], field="landholder_credit_code", purpose="土地使用权人"
        )
    return data


def add(user: User, data: dict, *, key_unit_id: int | None = None) -> Suspect:
    """Add a prepared suspected plot and its ledger event to the session."""
    now = clock.now()
    holder = data.get("landholder")
    suspect = Suspect(
        county_code=data.get("county_code") or jurisdiction.home_county(user),
        name=data["name"],
        township=data["township"],
        address=data["address"],
        former_industry=data["former_industry"],
        source=data["source"],
        boundary=data.get("boundary"),
        lat=data.get("lat"),
        lon=data.get("lon"),
        area_m2=round(data["area_m2"], 2) if data.get("area_m2") else None,
        planned_use=data.get("planned_use"),
        landholder_party_id=holder.id if holder else None,
        key_unit_id=key_unit_id,
        note=data.get("note") or None,
        status="suspected",
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(suspect)
    db.session.flush()
    ledger.append(
        "suspect_recorded",
        actor=user,
        party=holder.credit_code if holder else None,
        detail={"suspect": suspect.id, "name": suspect.name, "source": suspect.source,
                "township": suspect.township},
    )  # fmt: skip
    return suspect


def create(user: User, payload) -> Suspect:
    """``POST /api/v1/suspected-sites``. Commits."""
    bureau(user)
    suspect = add(user, prepare(payload, user=user))
    db.session.commit()
    return suspect


# ---------------------------------------------------------------- reading


@dataclass
class SuspectPage:
    items: list[Suspect]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_for(user: User, *, status=None, source=None, township=None, page=1, per_page=50):
    bureau(user)
    fields = {}
    if status is not None and status not in rules.STATUSES:
        fields["status"] = f"须为 {', '.join(rules.STATUSES)} 之一"
    if source is not None and source not in rules.SOURCES:
        fields["source"] = f"须为 {', '.join(rules.SOURCES)} 之一"
    if township is not None and (len(township) > 50 or not township.isprintable()):
        fields["township"] = "无效"
    if fields:
        raise ValidationError("查询条件有误", fields)
    query = select(Suspect).where(in_jurisdiction(user))
    if status:
        query = query.where(Suspect.status == status)
    if source:
        query = query.where(Suspect.source == source)
    if township:
        query = query.where(Suspect.township == township)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(Suspect.landholder), selectinload(Suspect.site))
        .order_by(Suspect.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return SuspectPage(list(items), total, page, per_page)


def counts(user: User) -> dict[str, int]:
    bureau(user)
    rows = dict(
        db.session.execute(
            select(Suspect.status, func.count())
            .where(in_jurisdiction(user))
            .group_by(Suspect.status)
        ).all()
    )
    return {s: rows.get(s, 0) for s in rules.STATUSES}


def get(user: User, suspect_id: int, *, lock: bool = False) -> Suspect:
    bureau(user)
    if not isinstance(suspect_id, int) or not 0 < suspect_id < 2**31:
        raise NotFound("疑似污染地块不存在")
    query = select(Suspect).where(Suspect.id == suspect_id)
    if lock:
        query = query.with_for_update()
    suspect = db.session.scalar(query)
    if suspect is None:
        raise NotFound("疑似污染地块不存在")
    if not jurisdiction.covers(user, suspect.county_code):
        security_log.event("authz_fail", user=user, object=f"suspect:{suspect_id}")
        raise NotFound("疑似污染地块不存在")
    return suspect


def to_json(s: Suspect) -> dict:
    return {
        "id": s.id,
        "status": s.status,
        "name": s.name,
        "county": regions.name(s.county_code),
        "county_code": s.county_code,
        "township": s.township,
        "address": s.address,
        "former_industry": s.former_industry,
        "source": s.source,
        "boundary": s.boundary,
        "lat": s.lat,
        "lon": s.lon,
        "area_m2": float(s.area_m2) if s.area_m2 is not None else None,
        "planned_use": s.planned_use,
        "landholder": parties.to_json(s.landholder),
        "key_unit_id": s.key_unit_id,
        "note": s.note,
        "due": s.due.isoformat() if s.due else None,
        "site_code": s.site.code if s.site else None,
        "case_id": s.site.current_case_id if s.site else None,
        "dismissed_reason": s.dismissed_reason,
        "created_at": ledger.iso(s.created_at),
    }


# ---------------------------------------------------------------- ordering a survey


def county_government(county_code: str) -> Party:
    """The county government party: ``COUNTY_GOVERNMENT_CREDIT_CODE`` for the
    deployment's county, or the one registered government party named after the
    county, or (the deployment's county only) the only one."""
    code = current_app.config.get("COUNTY_GOVERNMENT_CREDIT_CODE")
    home = county_code == regions.home()
    if code and home:
        return parties.usable(code, field="government", purpose="县级人民政府")
    county = regions.name(county_code)
    found = list(
        db.session.scalars(
            select(Party).where(Party.kind == "government", Party.status == "active")
        )
    )
    named = [p for p in found if county and county in p.name]
    chosen = named if named or not home else found
    if len(chosen) != 1:
        msg = (
            f"未能确定{county}人民政府：请先登记类型为 government 的县级人民政府，"
            "或设置 COUNTY_GOVERNMENT_CREDIT_CODE"
        )
        raise ValidationError(msg, {"government": msg})
    return chosen[0]


def order_survey(user: User, suspect_id: int, payload) -> tuple[Suspect, Case]:
    """责令调查: the plot and its case in ``survey``, the one who must survey as its
    landholder and responsible party, a ``survey_order`` deadline on ``due``. Commits."""
    bureau(user)
    if user.department != "environment":
        raise Forbidden("责令调查由生态环境部门作出")
    data = validate(payload, ORDER_SPEC, message="责令调查信息有误")
    due = date.fromisoformat(data["due"])
    if due <= clock.today():
        msg = "调查期限须晚于今天"
        raise ValidationError(msg, {"due": msg})
    suspect = get(user, suspect_id, lock=True)
    if "order_survey" not in rules.NEXT[suspect.status]:
        raise InvalidTransition(
            f"该疑似地块状态为“{rules.STATUS_LABELS_ZH[suspect.status]}”，不能再责令调查"
        )
    who = rules.surveyor_of(suspect.source, suspect.landholder_party_id is not None)
    if who == "government":
        filer = county_government(suspect.county_code)
        basis = "county_government"
    else:
        filer = parties.usable(
            suspect.landholder.credit_code, field="landholder", purpose="土地使用权人"
        )
        basis = "polluter"
    planned_use = data.get("planned_use") or suspect.planned_use or DEFAULT_PLANNED_USE
    site, case = sites.open_plot(
        user,
        {"name": suspect.name, "county_code": suspect.county_code, "township": suspect.township,
         "address": suspect.address, "area_m2": suspect.area_m2 or 0,
         "planned_use": planned_use, "former_industry": suspect.former_industry,
         "trigger": rules.SOURCE_TRIGGER[suspect.source], "boundary": suspect.boundary,
         "lat": suspect.lat, "lon": suspect.lon, "backgrounds": {}},
        landholder=filer, responsible=filer, basis=basis,
        note="责令调查：" + rules.SOURCE_LABELS_ZH[suspect.source],
    )  # fmt: skip
    now = clock.now()
    suspect.status, suspect.due, suspect.site_id = "ordered", due, site.id
    suspect.updated_at = now
    ledger.append(
        "survey_ordered",
        actor=user,
        case_id=case.id,
        party=filer.credit_code,
        to_state="survey",
        detail={"suspect": suspect.id, "site": site.code, "due": due.isoformat(),
                "surveyor": who, "responsible": filer.credit_code, "basis": basis,
                "planned_use": planned_use, "note": data.get("note") or None},
    )  # fmt: skip
    db.session.commit()
    return suspect, case


def dismiss(user: User, suspect_id: int, payload) -> Suspect:
    """排除: not suspected after all, with the reason on record. Commits."""
    bureau(user)
    data = validate(payload, DISMISS_SPEC, message="排除理由有误")
    suspect = get(user, suspect_id, lock=True)
    if "dismiss" not in rules.NEXT[suspect.status]:
        raise InvalidTransition(
            f"该疑似地块状态为“{rules.STATUS_LABELS_ZH[suspect.status]}”，不能排除"
        )
    suspect.status, suspect.dismissed_reason = "dismissed", data["reason"]
    suspect.updated_at = clock.now()
    ledger.append("suspect_dismissed", actor=user,
                  detail={"suspect": suspect.id, "reason": data["reason"]})  # fmt: skip
    db.session.commit()
    return suspect


def on_survey_submitted(event) -> None:
    """An ordered plot whose survey report came in is an open case (in the event's
    transaction)."""
    if event.case_id is None or event.from_state != "survey":
        return
    suspect = db.session.scalar(
        select(Suspect)
        .join(Site, Site.id == Suspect.site_id)
        .where(Site.current_case_id == event.case_id, Suspect.status == "ordered")
    )
    if suspect is not None:
        suspect.status, suspect.updated_at = "case_open", clock.now()
