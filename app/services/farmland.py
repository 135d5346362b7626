"""Cultivated land units (耕地单元) and their classification by GB 15618-2018 (issue 21).

The bureau of ecology and environment or the agriculture department registers a
unit and imports its soil samples (with pH); the class the samples give is proposed
by the standard's rule (app/services/screening/farmland.py) and confirmed by the
bureau's environment officer with a numbered decision (陇环土农〔2026〕3号). A
reclassification is a new decision: the earlier one is superseded, never changed.
Measures by class and year, and the crop results that say whether the year's use
was safe, are recorded beside the unit. Every change commits with its ledger event.

Who: officers of the bureau (any department) in their counties read; environment and
agriculture officers record; environment officers confirm a class. Agriculture
officers see nothing of the construction-land cases.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import security_log
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import (
    FarmlandClassification,
    FarmlandCropResult,
    FarmlandMeasure,
    FarmlandSample,
    FarmlandSequence,
    FarmlandUnit,
    User,
)
from app.services import clock, decisions, jurisdiction, ledger, regions
from app.services.screening import farmland as standard
from workflows import farmland as rules

MAX_SAMPLE_ROWS = 2_000


def counties(user: User | None) -> frozenset[str] | None:
    """The counties whose farmland ``user`` sees (None: all; empty: none)."""
    if user is None:
        return frozenset()
    if user.role == "admin":
        return None
    if user.role != "bureau":
        return frozenset()
    return regions.counties_under(user.region_code or regions.home())


def may_record(user: User | None) -> bool:
    return user is not None and (
        user.role == "admin"
        or (user.role == "bureau" and user.department in ("environment", "agriculture"))
    )


def may_confirm(user: User | None) -> bool:
    return user is not None and user.role == "bureau" and user.department == "environment"


def _require_record(user: User) -> None:
    if not may_record(user):
        raise Forbidden("仅生态环境部门或农业农村部门可登记耕地单元和记录数据")


def get(user: User, unit_id: int) -> FarmlandUnit:
    """A unit of the user's counties; another county's is a 404."""
    unit = db.session.get(FarmlandUnit, unit_id) if 0 < unit_id < 2**31 else None
    scope = counties(user)
    if unit is not None and scope is not None and unit.county_code not in scope:
        security_log.event("authz_fail", user=user, object=f"farmland_unit:{unit_id}")
        unit = None
    if unit is None:
        raise NotFound("耕地单元不存在")
    return unit


def units_query(user: User, *, township: str | None = None, class_: str | None = None):
    query = select(FarmlandUnit).where(
        jurisdiction.in_counties(counties(user), FarmlandUnit.county_code)
    )
    if township:
        query = query.where(FarmlandUnit.township == township)
    if class_ == "unclassified":
        query = query.where(FarmlandUnit.current_class.is_(None))
    elif class_:
        query = query.where(FarmlandUnit.current_class == class_)
    return query.order_by(FarmlandUnit.code)


# ---------------------------------------------------------------- registering


def _text(data: dict, name: str, label: str, errors: dict, limit: int) -> str:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit:
        errors[name] = f"{label}不超过 {limit} 字"
    return value


def _polygon(raw) -> dict | None:
    """A GeoJSON Polygon in WGS 84 (text or object), or None; ValueError if bad."""
    import json

    if raw in (None, ""):
        return None
    shape = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(shape, dict) or shape.get("type") != "Polygon":
        raise ValueError("须为 GeoJSON Polygon")
    rings = shape.get("coordinates")
    if not isinstance(rings, list) or not rings or len(json.dumps(shape)) > 200_000:
        raise ValueError("多边形坐标无效")
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            raise ValueError("多边形每个环至少 4 个点且首尾相同")
        for point in ring:
            if (not isinstance(point, list) or len(point) != 2
                    or not all(isinstance(c, (int, float)) and math.isfinite(c) for c in point)
                    or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)):  # fmt: skip
                raise ValueError("坐标须为 [经度, 纬度]（WGS 84）")
    return {"type": "Polygon", "coordinates": rings}


def register(user: User, data: dict) -> FarmlandUnit:
    """Register a unit (and its ledger event). Commits."""
    _require_record(user)
    if not isinstance(data, dict):
        raise ValidationError("请求内容须为对象")
    errors: dict[str, str] = {}
    name = _text(data, "name", "单元名称", errors, 100)
    township = _text(data, "township", "乡镇", errors, 50)
    village = _text(data, "village", "村（社区）", errors, 50)
    crop = _text(data, "crop", "主要作物", errors, 50)
    holder = _text(data, "holder", "经营主体（村集体或农户）", errors, 100)
    land_use = data.get("land_use")
    if land_use not in standard.LAND_USES:
        errors["land_use"] = "须为" + "、".join(standard.LAND_USE_LABELS_ZH.values()) + "之一"
    try:
        area = float(data.get("area_mu"))
        if not math.isfinite(area) or not 0 < area <= 1_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["area_mu"] = "面积须为大于 0 的亩数"
        area = 0.0
    try:
        geometry = _polygon(data.get("geometry"))
    except (ValueError, TypeError, RecursionError) as exc:  # deep nesting: refused too
        errors["geometry"] = f"边界：{exc}" if isinstance(exc, ValueError) else "边界格式无效"
        geometry = None
    try:
        county = _county_for(user, data.get("county"))
    except ValidationError as exc:
        errors.update(exc.fields or {"county": exc.message})
        county = None
    if errors:
        raise ValidationError("耕地单元信息有误", errors)
    unit = FarmlandUnit(
        code=_next_code(county), name=name, county_code=county, township=township,
        village=village, area_mu=round(area, 2), land_use=land_use, crop=crop, holder=holder,
        geometry=geometry, registered_by_id=user.id, created_at=clock.now(),
    )  # fmt: skip
    db.session.add(unit)
    db.session.flush()
    ledger.append("farmland_unit_registered", actor=user,
                  detail={"unit": unit.code, "county_code": county, "township": township,
                          "area_mu": unit.area_mu, "land_use": land_use})  # fmt: skip
    db.session.commit()
    return unit


def _county_for(user: User, value) -> str:
    scope = counties(user)
    if value in (None, ""):
        if scope is not None and len(scope) == 1:
            return next(iter(scope))
        return jurisdiction.county_for(None if user.role == "admin" else user, None)
    code = regions.county_code(value)
    if scope is not None and code not in scope:
        msg = f"{regions.name(code)}不在您的辖区内"
        raise ValidationError(msg, {"county": msg})
    return code


def _next_code(county: str) -> str:
    """The county's next unit number, under the sequence row's lock (a unit rolled
    back gives its number back; two registrations never share one)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    bump = (
        update(FarmlandSequence)
        .where(FarmlandSequence.county_code == county)
        .values(last=FarmlandSequence.last + 1)
        .returning(FarmlandSequence.last)
    )
    seq = db.session.scalar(bump)
    if seq is None:
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(FarmlandSequence).values(county_code=county, last=0)
                           .on_conflict_do_nothing())  # fmt: skip
        seq = db.session.scalar(bump)
    return f"{county}-GD-{seq:04d}"


# ---------------------------------------------------------------- samples


SAMPLE_HEADERS = {"point_id": ("点位编号", "点位", "样点编号", "point"),
                  "sampled_on": ("采样日期", "日期", "date"),
                  "ph": ("ph", "pH值", "酸碱度")}  # fmt: skip
NOT_DETECTED = {"nd", "未检出", "<检出限", "低于检出限", "-"}


@dataclass
class SampleRow:
    line: int
    point_id: str
    sampled_on: date
    ph: float
    values: dict[str, float]


def read_samples(filename: str, raw: bytes) -> list[SampleRow]:
    """Rows of a sample sheet (CSV or XLSX): 点位编号, 采样日期, pH, then one column per
    item (镉, 汞, 砷, 铅, 铬, 铜, 镍, 锌…, mg/kg). Every row is checked; any error
    refuses the whole file (ValidationError naming each bad cell)."""
    from app.services.presurvey_import import MAX_BYTES, csv_lines, xlsx_lines
    from app.services.screening.csv_reading import header_key

    if len(raw) > MAX_BYTES:
        raise ValidationError("文件过大", {"file": f"最多 {MAX_BYTES // 1_000_000} MB"})
    ext = (filename or "").rsplit(".", 1)[-1].casefold() if "." in (filename or "") else ""
    if ext not in ("csv", "xlsx"):
        raise ValidationError("仅支持 CSV 或 XLSX 文件", {"file": "仅支持 CSV 或 XLSX 文件"})
    lines = csv_lines(raw) if ext == "csv" else xlsx_lines(raw)
    index = {header_key(s): f for f, names in SAMPLE_HEADERS.items() for s in (f, *names)}
    columns: dict[int, str] | None = None
    rows: list[SampleRow] = []
    errors: dict[str, str] = {}
    for line, cells in lines:
        texts = [_cell(c) for c in cells]
        if columns is None:
            found = {}
            for i, text in enumerate(texts):
                key = index.get(header_key(text)) if text else None
                key = key or (standard.key_for(text.split("(")[0].split("（")[0]) if text else None)
                if key:
                    found[i] = key
            if {"point_id", "sampled_on", "ph"} <= set(found.values()):
                columns = found
            elif line >= 5:
                break
            continue
        if not any(texts):
            continue
        row = _sample_row(line, columns, cells, texts, errors)
        if row is not None:
            rows.append(row)
        if len(rows) > MAX_SAMPLE_ROWS:
            raise ValidationError("行数过多", {"file": f"最多 {MAX_SAMPLE_ROWS} 行"})
    if columns is None:
        msg = "未找到表头：须有 点位编号、采样日期、pH 和至少一项污染物（如 镉、铅）"
        raise ValidationError(msg, {"file": msg})
    if not [k for k in columns.values() if k not in SAMPLE_HEADERS]:
        msg = "表头中没有 GB 15618 的污染物列（镉、汞、砷、铅、铬、铜、镍、锌…）"
        raise ValidationError(msg, {"file": msg})
    if errors:
        raise ValidationError(f"{len(errors)} 处数据有误，未导入任何数据", errors)
    if not rows:
        raise ValidationError("文件中没有数据行", {"file": "文件中没有数据行"})
    return rows


def _cell(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (date,)):
        return cell.isoformat()[:10]
    return "" if cell is None else str(cell).strip()


def _sample_row(line, columns, cells, texts, errors) -> SampleRow | None:
    values: dict[str, float] = {}
    point = sampled = ph = None
    before = len(errors)
    for i, key in columns.items():
        text = texts[i] if i < len(texts) else ""
        where = f"第 {line} 行 {key if key in SAMPLE_HEADERS else standard.name_of(key)}"
        if key == "point_id":
            point = text[:50] or None
            if not point:
                errors[where] = "缺少点位编号"
        elif key == "sampled_on":
            cell = cells[i] if i < len(cells) else None
            try:
                sampled = cell.date() if hasattr(cell, "date") else date.fromisoformat(text[:10])
                if sampled > clock.today():
                    errors[where] = "采样日期晚于今天"
            except (ValueError, TypeError):
                errors[where] = f"日期须为 YYYY-MM-DD：“{text[:20]}”"
        elif key == "ph":
            try:
                ph = float(text)
                standard.band_of(ph)
            except (ValueError, TypeError):
                errors[where] = f"pH 须为 0–14 的数：“{text[:20]}”"
        elif text and text.casefold() not in NOT_DETECTED:
            try:
                value = float(text)
                if not math.isfinite(value) or value < 0 or value > 1_000_000:
                    raise ValueError
                values[key] = value
            except ValueError:
                errors[where] = f"含量须为非负数（mg/kg）或“未检出”：“{text[:20]}”"
    if len(errors) > before:
        return None
    return SampleRow(line, point, sampled, ph, values)


def import_samples(user: User, unit: FarmlandUnit, filename: str, raw: bytes) -> int:
    """Store every content of the sheet against ``unit`` (all or nothing), with its
    ledger event. The number of contents stored. Commits."""
    _require_record(user)
    rows = read_samples(filename, raw)
    batch = hashlib.sha256(raw).hexdigest()
    if db.session.scalar(
        select(FarmlandSample.id)
        .where(FarmlandSample.unit_id == unit.id, FarmlandSample.batch == batch)
        .limit(1)  # fmt: skip
    ):
        raise ValidationError("该文件已导入过", {"file": "该文件已导入过（同一文件不重复导入）"})
    now, count = clock.now(), 0
    for row in rows:
        for key, value in row.values.items():
            db.session.add(FarmlandSample(
                unit_id=unit.id, point_id=row.point_id, sampled_on=row.sampled_on, ph=row.ph,
                pollutant_key=key, value_mg_kg=value, batch=batch, created_at=now))  # fmt: skip
            count += 1
    db.session.flush()
    ledger.append("farmland_samples_imported", actor=user,
                  detail={"unit": unit.code, "contents": count, "points": len(rows),
                          "file": (filename or "")[:100], "sha256": batch})  # fmt: skip
    db.session.commit()
    return count


def screened(unit: FarmlandUnit) -> list[tuple[FarmlandSample, standard.Result]]:
    samples = db.session.scalars(
        select(FarmlandSample).where(FarmlandSample.unit_id == unit.id).order_by(FarmlandSample.id)
    ).all()
    return [(s, standard.screen(s.pollutant_key, s.value_mg_kg, unit.land_use, s.ph))
            for s in samples]  # fmt: skip


def proposal(unit: FarmlandUnit, results=None) -> tuple[str | None, standard.Result | None]:
    """The class the unit's samples give by the standard's rule, and the deciding one."""
    results = screened(unit) if results is None else results
    return standard.classify([r for _, r in results])


# ---------------------------------------------------------------- classification


def history(unit: FarmlandUnit) -> list[FarmlandClassification]:
    return list(db.session.scalars(
        select(FarmlandClassification).where(FarmlandClassification.unit_id == unit.id)
        .order_by(FarmlandClassification.id.desc())))  # fmt: skip


def confirm(user: User, unit: FarmlandUnit, class_: str, reason: str | None = None):
    """Confirm ``unit``'s class with a numbered decision, superseding the one in force.
    A class other than the samples' proposal needs a reason. Commits."""
    if not may_confirm(user):
        raise Forbidden("耕地类别由生态环境部门确认（农业农村部门可提出建议）")
    reason = (reason or "").strip()[:2000] or None
    if class_ not in standard.CLASSES:
        raise ValidationError("类别无效", {"class": "须为优先保护类、安全利用类或严格管控类"})
    # One decision at a time per unit: the unit's row is locked.
    db.session.execute(select(FarmlandUnit.id).where(FarmlandUnit.id == unit.id).with_for_update())
    proposed, deciding = proposal(unit)
    if proposed is None:
        msg = "该单元没有镉、汞、砷、铅、铬的检测数据，不能划分类别"
        raise ValidationError(msg, {"class": msg})
    if class_ != proposed and not reason:
        msg = f"与按标准划分的{standard.CLASS_LABELS_ZH[proposed]}不同，须说明理由"
        raise ValidationError(msg, {"reason": msg})
    today = clock.today()
    number = decisions.number_for(unit.county_code, "farmland", today.year)
    previous = db.session.scalar(
        select(FarmlandClassification).where(FarmlandClassification.unit_id == unit.id,
                                             FarmlandClassification.superseded_at.is_(None))
    )  # fmt: skip
    if previous is not None:
        previous.superseded_at = today
    basis = {
        "pollutant": deciding.key, "name": standard.name_of(deciding.key),
        "value_mg_kg": deciding.value, "ph": deciding.ph, "band": standard.band_of(deciding.ph),
        "land_use": deciding.limits.land_use, "screening": deciding.limits.screening,
        "intervention": deciding.limits.intervention, "level": deciding.level,
    }  # fmt: skip
    row = FarmlandClassification(
        unit_id=unit.id, class_=class_, proposed_class=proposed, basis=basis, reason=reason,
        number=number, decided_on=today, decided_by_id=user.id, created_at=clock.now(),
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    unit.current_class, unit.classification_id = class_, row.id
    event = ledger.append(
        "farmland_classified", actor=user,
        detail={"unit": unit.code, "class": class_, "proposed": proposed, "number": number,
                "previous": previous.class_ if previous else None,
                "previous_number": previous.number if previous else None,
                "basis": basis, "reason": reason})  # fmt: skip
    row.event_seq = event.seq
    db.session.commit()
    return row


# ---------------------------------------------------------------- measures and crops


def _year(value, errors: dict) -> int:
    try:
        year = int(value)
        if not 2000 <= year <= clock.today().year:
            raise ValueError
        return year
    except (TypeError, ValueError):
        errors["year"] = f"年度须为 2000–{clock.today().year} 的整数"
        return 0


def record_measure(user: User, unit: FarmlandUnit, data: dict) -> FarmlandMeasure:
    """A measure of the unit's class in a year (and its ledger event). Commits."""
    _require_record(user)
    errors: dict[str, str] = {}
    year = _year(data.get("year"), errors)
    kind = data.get("kind")
    allowed = rules.MEASURES_FOR_CLASS.get(unit.current_class or "")
    if allowed is None:
        errors["kind"] = "该单元尚未确认为安全利用类或严格管控类，无需记录措施"
    elif kind not in allowed:
        errors["kind"] = f"{standard.CLASS_LABELS_ZH[unit.current_class]}的措施须为" + "、".join(
            allowed.values()
        )
    try:
        area = float(data.get("area_mu"))
        if not math.isfinite(area) or not 0 < area <= unit.area_mu:
            raise ValueError
    except (TypeError, ValueError):
        errors["area_mu"] = f"实施面积须大于 0 且不超过单元面积 {unit.area_mu:g} 亩"
        area = 0.0
    note = (data.get("note") or "").strip() if isinstance(data.get("note"), str) else ""
    if len(note) > 2000:
        errors["note"] = "说明不超过 2000 字"
    if errors:
        raise ValidationError("措施信息有误", errors)
    measure = FarmlandMeasure(unit_id=unit.id, year=year, kind=kind, area_mu=round(area, 2),
                              note=note, recorded_by_id=user.id, created_at=clock.now())  # fmt: skip
    db.session.add(measure)
    db.session.flush()
    ledger.append("farmland_measure_recorded", actor=user,
                  detail={"unit": unit.code, "year": year, "kind": kind,
                          "area_mu": measure.area_mu})  # fmt: skip
    db.session.commit()
    return measure


@functools.cache
def crop_limits() -> dict[str, dict]:
    """GB 2762-2022 limits by crop: {crop: {"label": 稻米…, "limits": {key: mg/kg}}}."""
    crops: dict[str, dict] = {}
    with (standard.DATA_FILE.parent / "gb2762_2022_crops.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            entry = crops.setdefault(row["crop"], {"label": row["crop_zh"], "limits": {}})
            entry["limits"][standard.KEYS[row["pollutant_zh"]]] = float(row["limit_mg_kg"])
    return crops


def record_crop_result(user: User, unit: FarmlandUnit, data: dict) -> FarmlandCropResult:
    """A content in the unit's harvest against GB 2762 (and its ledger event). Commits."""
    _require_record(user)
    errors: dict[str, str] = {}
    year = _year(data.get("year"), errors)
    crop = data.get("crop")
    limits = crop_limits().get(crop)
    if limits is None:
        errors["crop"] = "作物须为" + "、".join(c["label"] for c in crop_limits().values()) + "之一"
    key = data.get("pollutant")
    if limits is not None and key not in limits["limits"]:
        errors["pollutant"] = "须为镉、铅、汞、砷、铬之一"
    try:
        value = float(data.get("value_mg_kg"))
        if not math.isfinite(value) or not 0 <= value <= 10_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["value_mg_kg"] = "含量须为非负数（mg/kg）"
        value = 0.0
    try:
        sampled = date.fromisoformat(str(data.get("sampled_on")))
        if sampled > clock.today() or (year and sampled.year != year):
            raise ValueError
    except ValueError:
        errors["sampled_on"] = "采样日期须为该年度内、不晚于今天的日期"
        sampled = None
    if errors:
        raise ValidationError("农产品检测结果有误", errors)
    limit = limits["limits"][key]
    result = FarmlandCropResult(unit_id=unit.id, year=year, crop=crop, pollutant_key=key,
                                value_mg_kg=value, limit_mg_kg=limit, sampled_on=sampled,
                                recorded_by_id=user.id, created_at=clock.now())  # fmt: skip
    db.session.add(result)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError(
            "该检测结果已记录", {"sampled_on": "同日同作物同项目已记录"}
        ) from None
    ledger.append("farmland_crop_result_recorded", actor=user,
                  detail={"unit": unit.code, "year": year, "crop": crop, "pollutant": key,
                          "value_mg_kg": value, "limit_mg_kg": limit,
                          "exceeds": value > limit})  # fmt: skip
    db.session.commit()
    return result


def year_records(unit: FarmlandUnit) -> dict[int, dict]:
    """Measures and crop results of the unit by year, newest first."""
    years: dict[int, dict] = {}
    for m in db.session.scalars(select(FarmlandMeasure).where(FarmlandMeasure.unit_id == unit.id)
                                .order_by(FarmlandMeasure.id)):  # fmt: skip
        years.setdefault(m.year, {"measures": [], "crops": []})["measures"].append(m)
    for c in db.session.scalars(
        select(FarmlandCropResult).where(FarmlandCropResult.unit_id == unit.id)
        .order_by(FarmlandCropResult.sampled_on, FarmlandCropResult.id)
    ):  # fmt: skip
        years.setdefault(c.year, {"measures": [], "crops": []})["crops"].append(c)
    return dict(sorted(years.items(), reverse=True))


def class_counts(user: User) -> dict:
    """Units and area (mu) per class in force, in the user's counties."""
    rows = db.session.execute(
        select(FarmlandUnit.current_class, func.count(), func.coalesce(func.sum(FarmlandUnit.area_mu), 0))
        .where(jurisdiction.in_counties(counties(user), FarmlandUnit.county_code))
        .group_by(FarmlandUnit.current_class)
    ).all()  # fmt: skip
    return {(c or "unclassified"): {"units": n, "area_mu": round(a, 2)} for c, n, a in rows}
