"""Key supervised units (土壤污染重点监管单位, DESIGN §12): the county's yearly
list, published; their self-monitoring (screened against GB 36600's second
category, exceedances flagged to the bureau) and demolition plans (at least
``DEMOLITION_LEAD_WORKING_DAYS`` working days before demolition starts); a unit
that closes or relocates becomes a suspected plot in the same transaction.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import security_log
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models import KeyUnit, Party, UnitFiling, User
from app.services import (
    clock,
    jurisdiction,
    ledger,
    parties,
    regions,
    screening,
    suspects,
    workdays,
)
from app.services.credit_codes import normalize_credit_code
from app.services.schema import F, validate
from workflows import presurvey as rules

UNIT_SPEC = {
    "credit_code": F("credit_code"),
    "year": F("int", min=2000, max=2100),
    "name": F("str", max_len=200, required=False),
    "industry": F("str", max_len=200, required=False),
    "township": F("str", max_len=50, required=False),
    "address": F("str", max_len=300, required=False),
    # A county code or name; a county officer's own county when absent.
    "county": F("str", max_len=50, required=False),
}
SAMPLE = F("object", fields={
    "point_id": F("str", max_len=50, required=False),
    "depth_m": F("number", min=0, max=1000, required=False),
    "medium": F("enum", choices=("soil", "groundwater"), required=False),
    "pollutant": F("str", max_len=100),
    "value": F("number", min=0, max=1e12),
    "unit": F("str", max_len=20),
})  # fmt: skip
FILING_SPECS = {
    # The API asks for what the rules need (the year and samples; the start date);
    # the rest of the report usually comes as its PDF. The portal's forms ask for all.
    "self_monitoring": {
        "kind": F("enum", choices=rules.FILING_KINDS),
        "year": F("int", min=2000, max=2100),
        "monitoring_unit": F("str", max_len=200, required=False),
        "sampled_on": F("date", required=False),
        "conclusion": F("str", max_len=5000, required=False),
        "samples": F("list", item=SAMPLE, min_items=1, max_items=2000),
    },
    "demolition_plan": {
        "kind": F("enum", choices=rules.FILING_KINDS),
        "demolition_start": F("date"),
        "demolition_end": F("date", required=False),
        "facilities": F("str", max_len=5000, required=False),
        "measures": F("str", max_len=10000, required=False),
        "waste_disposal": F("str", max_len=5000, required=False),
        "contact": F("str", max_len=100, required=False),
    },
}
# ``start_date``/``end_date`` as in the case filings of DESIGN §3.
ALIASES = {"start_date": "demolition_start", "end_date": "demolition_end"}


def _flatten(payload) -> dict | object:
    """``{"kind", "data": {...}}`` (the shape of case filings, §3) or the fields at
    the top level; date aliases renamed."""
    if not isinstance(payload, dict):
        return payload
    if isinstance(payload.get("data"), dict) and set(payload) <= {"kind", "data"}:
        payload = {"kind": payload.get("kind"), **payload["data"]}
    return {ALIASES.get(k, k) if ALIASES.get(k, k) not in payload else k: v
            for k, v in payload.items()}  # fmt: skip


CLOSE_SPEC = {
    "status": F("enum", choices=("closed", "relocated")),
    "date": F("date"),
    "name": F("str", max_len=200, required=False),
    "address": F("str", max_len=300, required=False),
    "former_industry": F("str", max_len=200, required=False),
    "boundary": F("any", required=False),
    "note": F("str", max_len=5000, required=False),
}


def lead_days() -> int:
    return int(current_app.config.get("DEMOLITION_LEAD_WORKING_DAYS",
                                      rules.DEMOLITION_LEAD_WORKING_DAYS))  # fmt: skip


# ---------------------------------------------------------------- the list


def prepare(payload, *, message: str = "重点监管单位信息有误", user: User | None = None) -> dict:
    """The checked fields of one listing (API body or an imported row) and its
    county; the unit is registered from ``name`` if its code is not known yet."""
    data = validate(payload, UNIT_SPEC, message=message)
    data["county_code"] = jurisdiction.county_for(user, data.get("county"))
    party = parties.get_by_code(data["credit_code"])
    if party is None and not data.get("name"):
        msg = f"单位 {data['credit_code']} 未在本系统登记；请填写单位名称以便一并登记"
        raise ValidationError(message, {"credit_code": msg})
    data["party"] = party
    return data


def add(user: User, data: dict) -> KeyUnit:
    """Add a prepared listing (registering its unit if needed) and its ledger event
    to the session; a unit is listed once per year and county."""
    county = data.get("county_code") or jurisdiction.home_county(user)
    party = data.get("party")
    if party is None:
        party = parties.create_party(name=data["name"], credit_code=data["credit_code"],
                                     kind="enterprise", actor=user, commit=False)  # fmt: skip
    exists = db.session.scalar(
        select(KeyUnit.id).where(
            KeyUnit.county_code == county,
            KeyUnit.party_id == party.id,
            KeyUnit.year == data["year"],
        )  # fmt: skip
    )
    if exists:
        msg = f"{party.name} 已列入 {data['year']} 年度重点监管单位名录"
        raise ValidationError(msg, {"credit_code": msg})
    unit = KeyUnit(county_code=county, party_id=party.id, year=data["year"],
                   industry=data.get("industry") or None, township=data.get("township") or None,
                   address=data.get("address") or None, status="listed", listed_by_id=user.id,
                   created_at=clock.now())  # fmt: skip
    unit.party = party
    db.session.add(unit)
    db.session.flush()
    ledger.append("key_unit_listed", actor=user, party=party.credit_code,
                  detail={"key_unit": unit.id, "year": unit.year, "county_code": county})  # fmt: skip
    return unit


def create(user: User, payload) -> KeyUnit:
    """``POST /api/v1/key-units``. Commits."""
    suspects.bureau(user)
    unit = add(user, prepare(payload, user=user))
    db.session.commit()
    return unit


def _year_arg(raw, fields: dict) -> int | None:
    if raw in (None, ""):
        return None
    if not str(raw).isascii() or not str(raw).isdigit() or not 2000 <= int(raw) <= 2100:
        fields["year"] = "须为 2000–2100 的年份"
        return None
    return int(raw)


def published(year_raw=None, *, county=None, page: int = 1, per_page: int = 100):
    """The public list of a year (default: the latest year listed), of one served
    county (code or name) or of all."""
    fields: dict = {}
    year = _year_arg(year_raw, fields)
    code = None
    if county:
        try:
            code = regions.county_code(county)
        except ValidationError as exc:
            fields.update(exc.fields)
    if fields:
        raise ValidationError("查询条件有误", fields)
    if year is None:
        year = db.session.scalar(select(func.max(KeyUnit.year))) or clock.today().year
    query = select(KeyUnit).where(KeyUnit.year == year)
    if code:
        query = query.where(KeyUnit.county_code == code)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(KeyUnit.party))
        .order_by(KeyUnit.county_code, KeyUnit.township, KeyUnit.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    years = list(db.session.scalars(select(KeyUnit.year).distinct().order_by(KeyUnit.year.desc())))
    return {"year": year, "years": years, "items": list(items), "total": total, "county": code}


def public_json(unit: KeyUnit) -> dict:
    return {
        "credit_code": unit.party.credit_code,
        "name": unit.party.name,
        "county": regions.name(unit.county_code),
        "county_code": unit.county_code,
        "township": unit.township,
        "address": unit.address,
        "industry": unit.industry,
        "year": unit.year,
        "status": unit.status,
    }


def list_for(user: User, *, year=None, page=1, per_page=50) -> dict:
    """The bureau's list, with each unit's latest filings."""
    suspects.bureau(user)
    fields: dict = {}
    year = _year_arg(year, fields)
    if fields:
        raise ValidationError("查询条件有误", fields)
    query = select(KeyUnit).where(jurisdiction.clause(user, KeyUnit.county_code))
    if year:
        query = query.where(KeyUnit.year == year)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        db.session.scalars(
            query.options(selectinload(KeyUnit.party))
            .order_by(KeyUnit.year.desc(), KeyUnit.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    latest = filings_of([u.id for u in items])
    return {"items": items, "total": total, "page": page, "per_page": per_page, "filings": latest}


def filings_of(unit_ids: list[int]) -> dict[int, list[UnitFiling]]:
    """The filings of a page of units, newest first (one query)."""
    out: dict[int, list[UnitFiling]] = {i: [] for i in unit_ids}
    if unit_ids:
        for f in db.session.scalars(
            select(UnitFiling)
            .where(UnitFiling.key_unit_id.in_(unit_ids))
            .order_by(UnitFiling.id.desc())
        ):
            out[f.key_unit_id].append(f)
    return out


def to_json(unit: KeyUnit, filings: list[UnitFiling] | None = None) -> dict:
    out = {"id": unit.id, **public_json(unit), "closed_on": _iso(unit.closed_on)}
    if filings is not None:
        out["filings"] = [filing_json(f) for f in filings]
    return out


def filing_json(f: UnitFiling) -> dict:
    return {
        "id": f.id,
        "kind": f.kind,
        "data": f.data,
        "screening": f.screening,
        "exceedances": f.exceedances,
        "filed_at": ledger.iso(f.filed_at),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ---------------------------------------------------------------- the unit's filings


def _unit_of(user: User, credit_code: str, *, lock: bool = False) -> KeyUnit:
    """The caller's own listing (latest year), or the bureau's view of any unit of
    its county; anyone else gets a 404."""
    try:
        code = normalize_credit_code(credit_code)
    except ValidationError:
        raise NotFound("重点监管单位不存在") from None
    query = (
        select(KeyUnit)
        .join(Party, Party.id == KeyUnit.party_id)
        .where(Party.credit_code == code)
        .order_by(KeyUnit.year.desc(), KeyUnit.id.desc())
        .limit(1)
    )
    if user.role == "bureau":
        query = query.where(jurisdiction.clause(user, KeyUnit.county_code))
    if lock:
        query = query.with_for_update(of=KeyUnit)
    unit = db.session.scalar(query)
    own = unit is not None and user.party_id == unit.party_id
    if unit is None or not (own or user.role in ("bureau", "admin")):
        security_log.event("authz_fail", user=user, object=f"key_unit:{credit_code}")
        raise NotFound("重点监管单位不存在")
    return unit


def listing_of(user: User) -> KeyUnit | None:
    """The caller's unit's latest listing, if its unit is a key supervised unit."""
    if user.party_id is None:
        return None
    return db.session.scalar(
        select(KeyUnit).where(KeyUnit.party_id == user.party_id)
        .order_by(KeyUnit.year.desc()).limit(1)
    )  # fmt: skip


def get(user: User, credit_code: str) -> tuple[KeyUnit, list[UnitFiling]]:
    unit = _unit_of(user, credit_code)
    return unit, filings_of([unit.id])[unit.id]


def file(user: User, credit_code: str, payload, *, samples_csv: bytes | None = None) -> UnitFiling:
    """``POST /api/v1/key-units/<credit_code>/filings`` by the unit's own users (the
    portal sends the soil samples as a CSV, ``samples_csv``). Commits."""
    unit = _unit_of(user, credit_code, lock=True)
    payload = _flatten(payload)
    if samples_csv is not None and isinstance(payload, dict):
        cfg = current_app.config
        parsed = screening.parse_samples_csv(
            samples_csv, max_bytes=cfg["MAX_CSV_BYTES"], max_rows=cfg["MAX_CSV_ROWS"]
        )
        payload = {**payload,
                   "samples": [{k: v for k, v in x.items() if v not in (None, "")} for x in parsed]}  # fmt: skip
    if user.party_id != unit.party_id:
        raise Forbidden("只有重点监管单位本单位用户可以报送")
    if unit.status != "listed":
        raise InvalidTransition("该单位已关闭或搬迁，不再报送")
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if kind not in FILING_SPECS:
        msg = f"kind 须为 {', '.join(rules.FILING_KINDS)} 之一"
        raise ValidationError(msg, {"kind": msg})
    data = validate(payload, FILING_SPECS[kind], message=f"{rules.FILING_LABELS_ZH[kind]}有误")
    result, exceedances = None, 0
    if kind == "self_monitoring":
        if data.get("sampled_on") and date.fromisoformat(data["sampled_on"]) > clock.today():
            raise ValidationError("采样日期不能晚于今天", {"sampled_on": "不能晚于今天"})
        soil = [s for s in data["samples"] if s.get("medium", "soil") == "soil"]
        result = screening.screen(rules.KEY_UNIT_LAND_CATEGORY, soil) if soil else None
        if result:
            exceedances = sum(r["level"] != "below_screening" for r in result["results"])
    else:
        _check_demolition(data)
    record = dict(data)
    row = UnitFiling(key_unit_id=unit.id, kind=kind, data=record, screening=result,
                     exceedances=exceedances, filed_by_id=user.id, filed_at=clock.now())  # fmt: skip
    db.session.add(row)
    db.session.flush()
    event = ledger.append(
        f"unit_{kind}",
        actor=user,
        party=unit.party.credit_code,
        detail={"key_unit": unit.id, "filing": row.id, "name": unit.party.name,
                "county_code": unit.county_code, "year": record.get("year", unit.year),
                "exceedances": exceedances,
                **({"demolition_start": record["demolition_start"]}
                   if kind == "demolition_plan" else {})},
    )  # fmt: skip
    row.ledger_seq = event.seq
    db.session.commit()
    return row


def _check_demolition(data: dict) -> None:
    start = date.fromisoformat(data["demolition_start"])
    end = date.fromisoformat(data.get("demolition_end") or data["demolition_start"])
    if end < start:
        raise ValidationError("拆除结束日期不能早于开始日期", {"demolition_end": "早于开始日期"})
    need = lead_days()
    today = clock.today()
    earliest = workdays.add_workdays(today, need)
    if start < earliest:
        msg = (
            f"拆除活动污染防治方案应在拆除开始前至少 {need} 个工作日报送："
            f"今天报送，拆除最早可于 {earliest.isoformat()} 开始"
        )
        raise ValidationError(msg, {"demolition_start": msg})


# ---------------------------------------------------------------- closing


def close(user: User, credit_code: str, payload):
    """关闭搬迁: the unit closes or relocates and its site becomes a suspected plot,
    in one step. Commits; returns the unit and the suspected plot."""
    suspects.bureau(user)
    data = validate(payload, CLOSE_SPEC, message="关闭搬迁信息有误")
    unit = _unit_of(user, credit_code, lock=True)
    if unit.status != "listed":
        raise InvalidTransition("该单位已关闭或搬迁")
    closed_on = date.fromisoformat(data["date"])
    if closed_on > clock.today():
        raise ValidationError("关闭搬迁日期不能晚于今天", {"date": "不能晚于今天"})
    unit.status, unit.closed_on = data["status"], closed_on
    ledger.append("key_unit_closed", actor=user, party=unit.party.credit_code,
                  detail={"key_unit": unit.id, "status": unit.status,
                          "date": unit.closed_on.isoformat()})  # fmt: skip
    label = rules.UNIT_STATUS_LABELS_ZH[unit.status]
    prepared = suspects.prepare(
        {
            "name": data.get("name") or f"{unit.party.name}原址地块",
            "township": unit.township or "未填写",
            "address": data.get("address") or unit.address or "未填写",
            "former_industry": data.get("former_industry") or unit.industry or "未填写",
            "source": "key_enterprise_closure",
            "county": unit.county_code,
            "landholder_credit_code": unit.party.credit_code,
            "note": data.get("note") or f"重点监管单位{label}（{unit.closed_on.isoformat()}）",
            **({"boundary": data["boundary"]} if data.get("boundary") is not None else {}),
        }
    )
    suspect = suspects.add(user, prepared, key_unit_id=unit.id)
    db.session.commit()
    return unit, suspect
