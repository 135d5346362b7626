"""Filings (申报材料): per-kind validation (DESIGN.md §3), attachments, samples.

A filing is checked whole before anything is stored: unknown fields, missing
fields, reports that contradict their own numbers, units that are not
registered or are banned, and evaluators that are not independent are all
refused with the field named. Then the filing, its documents, its screened
samples and its ledger event commit together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import rfc8785
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.errors import Forbidden, InvalidTransition, ServiceError, ValidationError
from app.extensions import db
from app.models import Case, Document, Filing, Sample, User
from app.services import cases, clock, control, ledger, meetings, parties, storage, uploads
from app.services import counts as plot_counts
from app.services import screening as screening_service
from app.services.schema import F, validate
from workflows.experts import REVIEW_REPORTS
from workflows.filings import KIND_FILERS, KIND_LABELS_ZH, KIND_STATES, KINDS

MEDIA = control.rules.MEDIA

_TARGET = F("object", fields={"pollutant": F("str", max_len=100),
                              "target_mg_kg": F("number", gt=0, max=1e6)})  # fmt: skip
_RESULT = F(
    "object",
    fields={
        "pollutant": F("str", max_len=100),
        "value_mg_kg": F("number", min=0, max=1e6),
        "target_mg_kg": F("number", gt=0, max=1e6),
    },
)
SPECS: dict[str, dict[str, F]] = {
    "survey_report": {
        "unit_credit_code": F("credit_code"),
        "project_lead": F("str", max_len=100),
        "conclusion": F("str", max_len=10000),
        "samples": F("any", required=False),
    },
    "risk_assessment_report": {
        "unit_credit_code": F("credit_code"),
        "project_lead": F("str", max_len=100),
        "carcinogenic_risk_max": F("number", min=0, max=1),
        "hazard_quotient_max": F("number", min=0, max=1e9),
        "risk_acceptable": F("bool"),
        "targets": F("list", required=False, item=_TARGET, max_items=200),
        # Why risk is acceptable although a survey sample is above the intervention value.
        "justification": F("str", required=False, max_len=10000),
    },
    "remediation_plan": {
        "contractor_credit_code": F("credit_code"),
        "project_lead": F("str", max_len=100),
        "technology": F("str", max_len=2000),
        "offsite_transfer": F("bool"),
        "volume_m3": F("number", gt=0, max=1e9),
        "start_date": F("date"),
        "end_date": F("date"),
        "groundwater_measures": F("str", max_len=5000),
    },
    "monitoring_report": {
        "unit_credit_code": F("credit_code"),
        "media": F("list", item=F("enum", choices=MEDIA), min_items=1, max_items=4),
        "summary": F("str", max_len=10000),
        # Issue 15: measured values, compared with the control plan's limits.
        "values": control.MONITORING_VALUES,
    },
    "works_notice": {
        "project_overview": F("str", max_len=5000),
        "environmental_impacts": F("str", max_len=5000),
        "protective_measures": F("str", max_len=5000),
        "contact": F("str", max_len=300),
        "start_date": F("date"),
        "end_date": F("date"),
    },
    "progress_report": {
        "summary": F("str", max_len=10000),
        "percent_complete": F("number", min=0, max=100),
    },
    "evaluation_report": {
        "evaluator_credit_code": F("credit_code"),
        "project_lead": F("str", max_len=100),
        "passed": F("bool"),
        "results": F("list", item=_RESULT, min_items=1, max_items=2000),
    },
    **control.SPECS,
}
UNIT_FIELD = {
    "survey_report": ("unit_credit_code", "调查"),
    "risk_assessment_report": ("unit_credit_code", "风险评估"),
    "remediation_plan": ("contractor_credit_code", "修复施工"),
    "monitoring_report": ("unit_credit_code", "监测"),
    "evaluation_report": ("evaluator_credit_code", "效果评估"),
}
# 《建设用地土壤污染风险评估技术导则》HJ 25.3: acceptable carcinogenic risk 1e-6, hazard quotient 1.
RISK_LIMIT = 1e-6
HQ_LIMIT = 1.0


@dataclass
class Upload:
    name: str
    data: bytes


def _pollutant(name: str, field: str):
    p = screening_service.lookup_pollutant(name)
    if p is None:
        msg = f"未知污染物：“{name}”"
        raise ValidationError(msg, {field: msg})
    return p


def _check_dates(data: dict) -> None:
    if data["end_date"] < data["start_date"]:
        msg = "结束日期不能早于开始日期"
        raise ValidationError(msg, {"end_date": msg})


def _check_kind(kind: str, data: dict, case: Case) -> dict:
    """Rules beyond field types: a report may not contradict its own numbers."""
    if kind == "risk_assessment_report":
        over = data["carcinogenic_risk_max"] > RISK_LIMIT or data["hazard_quotient_max"] > HQ_LIMIT
        if over and data["risk_acceptable"]:
            msg = (
                "报告结论自相矛盾：致癌风险超过 1e-6 或危害商超过 1 时，"
                "risk_acceptable 必须为 false"
            )
            raise ValidationError(msg, {"risk_acceptable": msg})
        unexplained = not (data.get("justification") or "").strip()
        if data["risk_acceptable"] and unexplained and above_intervention(case.id):
            msg = "调查样品超过管制值（GB 36600），判定风险可接受须在 justification 中说明理由"
            raise ValidationError(msg, {"justification": msg})
        if not data["risk_acceptable"]:
            if not data.get("targets"):
                msg = "风险不可接受时须给出修复目标值 targets"
                raise ValidationError(msg, {"targets": msg})
            for i, t in enumerate(data["targets"]):
                t["pollutant"] = _pollutant(t["pollutant"], f"targets[{i}].pollutant").name_zh
    elif kind == "evaluation_report":
        for i, r in enumerate(data["results"]):
            r["pollutant"] = _pollutant(r["pollutant"], f"results[{i}].pollutant").name_zh
        failing = [r for r in data["results"] if r["value_mg_kg"] > r["target_mg_kg"]]
        if failing and data["passed"]:
            names = "、".join(r["pollutant"] for r in failing[:5])
            msg = f"报告结论自相矛盾：{names} 的检测值超过修复目标值，passed 必须为 false"
            raise ValidationError(msg, {"passed": msg})
    elif kind in ("remediation_plan", "works_notice"):
        _check_dates(data)
    elif kind in ("risk_control_plan", "monitoring_report"):
        data = control.check(kind, data, case)
    return data


def above_intervention(case_id: int) -> bool:
    """Whether any survey sample of the case is above its intervention value (§10)."""
    return bool(
        db.session.scalar(
            select(Sample.id)
            .where(Sample.case_id == case_id, Sample.level == "above_intervention")
            .limit(1)
        )
    )


def _samples_for(data: dict, samples_csv: bytes | None) -> list[dict]:
    listed = data.pop("samples", None)
    if samples_csv is not None and listed is not None:
        msg = "样品数据请用 CSV 文件或 data.samples 列表之一，不要同时提供"
        raise ValidationError(msg, {"samples": msg})
    if samples_csv is not None:
        cfg = current_app.config
        return screening_service.parse_samples_csv(
            samples_csv, max_bytes=cfg["MAX_CSV_BYTES"], max_rows=cfg["MAX_CSV_ROWS"]
        )
    if listed is None:
        msg = "调查报告须附样品检测数据（CSV 文件或 data.samples）"
        raise ValidationError(msg, {"samples": msg})
    return screening_service.validate_samples_list(listed)


SAMPLE_COLUMNS = ("case_id", "filing_id", "point_id", "depth_m", "pollutant_key", "value",
                  "unit", "value_mg_kg", "level")  # fmt: skip


def _screen_rows(case: Case, filing_id: int, samples: list[dict]) -> tuple[list[tuple], dict]:
    """Samples as row tuples (``SAMPLE_COLUMNS``) for a bulk insert, screened against the
    plot's category. Each distinct pollutant name and unit is resolved once."""
    index = case.site.land_category - 1
    backgrounds = case.site.backgrounds or {}
    pollutants: dict[str, object] = {}
    units: dict[str, tuple[int, str]] = {}
    scaled, level_of = screening_service.scaled, screening_service.level_of
    rows, counts = [], {}
    for i, s in enumerate(samples):
        point_id = s.get("point_id")
        if point_id and len(point_id) > 64:
            msg = f"第 {i + 1} 个样品的点位编号超过 64 个字符"
            raise ValidationError(msg, {"samples": msg})
        name, unit, value = s["pollutant"], s["unit"], s["value"]
        p = pollutants.get(name)
        if p is None:
            p = pollutants[name] = _pollutant(name, "samples")
        resolved = units.get(unit)
        if resolved is None:
            exponent = screening_service.unit_exponent(unit)
            resolved = units[unit] = (exponent, screening_service.canonical_unit(unit))
        try:
            value_mg_kg = scaled(value, resolved[0], unit)
        except screening_service.InvalidField as e:
            msg = f"第 {i + 1} 个样品：{e.message}"
            raise ValidationError(msg, {"samples": msg}) from None
        level = level_of(p, index, value_mg_kg, backgrounds.get(p.key))
        counts[level] = counts.get(level, 0) + 1
        rows.append((case.id, filing_id, point_id, s.get("depth_m"), p.key, value,
                     resolved[1], value_mg_kg, level))  # fmt: skip
    return rows, counts


def _insert_samples(rows: list[tuple]) -> None:
    """Write screened rows in the session's transaction: COPY on PostgreSQL, the
    driver's executemany on SQLite (100,000 rows in well under a second)."""
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    columns = ", ".join(SAMPLE_COLUMNS)
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY samples ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(SAMPLE_COLUMNS))
            cursor.executemany(f"INSERT INTO samples ({columns}) VALUES ({marks})", rows)  # noqa: S608  # nosec B608 - fixed column names
    finally:
        cursor.close()


def max_level(counts: dict) -> str:
    for level in ("above_intervention", "above_screening", "below_screening", "no_standard"):
        if counts.get(level):
            return level
    return "below_screening"


def _with_extension(name: str, ext: str) -> str:
    """The file was checked to be a PDF (or CSV): its name says so too, so that
    no download arrives as ``report.exe``."""
    return name if name.lower().endswith(ext) else f"{name}{ext}"


def _store_documents(user, case, uploads_: list[Upload]) -> list[Document]:
    max_bytes = current_app.config["MAX_PDF_BYTES"]
    docs = []
    for i, up in enumerate(uploads_):
        try:
            info = uploads.check_pdf(up.data, max_bytes=max_bytes)
        except ServiceError as exc:
            exc.fields = {f"files[{i}]": f"{uploads.safe_download_name(up.name)}：{exc.message}"}
            raise
        sha = storage.put(up.data)
        docs.append(
            Document(
                sha256=sha,
                size=len(up.data),
                mime=info["mime"],
                original_name=_with_extension(uploads.safe_download_name(up.name), ".pdf"),
                purpose="attachment",
                flags=info["flags"] or None,
                case_id=case.id,
                uploaded_by_id=user.id,
                created_at=clock.now(),
            )
        )
    return docs


def open_for(case: Case, kind: str) -> bool:
    """Whether a filing of ``kind`` may be made in the case's state: its stage; a
    monitoring report or emergency measures after a release from risk control; or,
    during a review, the
    report revised after a "pass with revisions" meeting."""
    if case.state in KIND_STATES[kind]:
        return True
    if kind in ("monitoring_report", "emergency_measures") and case.state == "released":
        # Released after risk control: monitoring goes on, and so do the measures an
        # alert calls for (issue 15).
        return cases.entered_evaluation_from(case.id) == "risk_control"
    return REVIEW_REPORTS.get(case.state) == kind and meetings.awaiting_revision(case)


def file(
    user: User,
    case_id: int,
    kind,
    data,
    *,
    files: list[Upload] | None = None,
    samples_csv: bytes | None = None,
    idempotency_key: str | None = None,
    samples_name: str | None = None,
) -> tuple[Filing, bool]:
    """File a report on a case. Returns (filing, created); a replay with the same
    ``Idempotency-Key`` returns the first filing. Commits once."""
    if kind not in KINDS:
        msg = f"申报类型须为 {', '.join(KINDS)} 之一"
        raise ValidationError(msg, {"kind": msg})
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key)[:100]
        done = db.session.scalar(
            select(Filing).where(
                Filing.filer_user_id == user.id, Filing.idempotency_key == idempotency_key
            )
        )
        if done is not None:
            cases.load(user, done.case_id)
            return done, False
    case, caps = cases.load(user, case_id, lock=True)
    if idempotency_key is not None:
        # Looked up again under the case lock: a twin request may have won the race.
        done = db.session.scalar(
            select(Filing).where(
                Filing.filer_user_id == user.id, Filing.idempotency_key == idempotency_key
            )
        )
        if done is not None:
            db.session.rollback()
            return done, False
    if not caps & KIND_FILERS[kind]:
        raise Forbidden(f"您无权提交{KIND_LABELS_ZH[kind]}")
    if not open_for(case, kind):
        raise InvalidTransition(
            f"{KIND_LABELS_ZH[kind]}只能在 {'、'.join(KIND_STATES[kind])} 阶段提交，"
            f"案件当前处于 {case.state}"
        )
    try:
        data = validate(data, SPECS[kind], message=f"{KIND_LABELS_ZH[kind]}填写有误")
    except ValidationError as exc:
        if (
            kind == "survey_report"
            and samples_csv is None
            and not (isinstance(data, dict) and data.get("samples"))
        ):
            exc.fields = {
                **(exc.fields or {}),
                "samples": "调查报告须附样品检测数据（CSV 文件或 data.samples）",
            }
        raise
    samples = _samples_for(data, samples_csv) if kind == "survey_report" else None
    if samples_csv is not None and kind != "survey_report":
        raise ValidationError("只有调查报告附样品数据", {"samples": "只有调查报告附样品数据"})
    data = _check_kind(kind, data, case)

    unit = None
    if kind in UNIT_FIELD:
        field, purpose = UNIT_FIELD[kind]
        unit = parties.usable(data[field], field=field, purpose=purpose)
    filer_party = user.party
    if filer_party is not None and filer_party.is_banned(clock.today()):
        raise Forbidden(f"{filer_party.name} 被禁止从事相关业务，不能提交材料")
    if kind == "evaluation_report":
        assigned = next(
            (a for a in cases.current_assignments(case.id) if a.role == "evaluator"), None
        )
        if assigned is None or assigned.party_id != unit.id:
            msg = "evaluator_credit_code 须为本案件已委托的效果评估单位"
            raise ValidationError(msg, {"evaluator_credit_code": msg})
        cases.check_evaluator_independent(case, unit, "evaluator_credit_code")
    if kind == "remediation_plan":
        evaluator = next(
            (a for a in cases.current_assignments(case.id) if a.role == "evaluator"), None
        )
        if evaluator and evaluator.party_id == unit.id:
            msg = cases.INDEPENDENCE_MSG
            raise ValidationError(msg, {"contractor_credit_code": msg})

    docs = _store_documents(user, case, files or [])
    csv_doc = None
    if samples_csv is not None:
        csv_doc = Document(
            sha256=storage.put(samples_csv),
            size=len(samples_csv),
            mime="text/csv",
            original_name=_with_extension(
                uploads.safe_download_name(samples_name or "samples.csv", "samples.csv"), ".csv"
            ),
            purpose="samples",
            case_id=case.id,
            uploaded_by_id=user.id,
            created_at=clock.now(),
        )
        docs.append(csv_doc)

    filing = Filing(
        case_id=case.id,
        kind=kind,
        round=case.round,
        state=case.state,
        data=data,
        filer_user_id=user.id,
        filer_party_id=user.party_id,
        unit_party_id=unit.id if unit else None,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
    db.session.add(filing)
    db.session.flush()
    for doc in docs:
        doc.filing_id = filing.id
        db.session.add(doc)
    detail = {
        "filing_id": filing.id,
        "kind": kind,
        "round": case.round,
        "unit": unit.credit_code if unit else None,
        "project_lead": data.get("project_lead"),
        "data_sha256": hashlib.sha256(rfc8785.dumps(data)).hexdigest(),
    }
    if samples is not None:
        rows, counts = _screen_rows(case, filing.id, samples)
        if rows:
            _insert_samples(rows)
            if case.site.current_case_id == case.id:  # the register's pollutants (issue 19)
                plot_counts.refresh_pollutants(db.session, [case.site])
        filing.data = {**data, "samples_count": len(rows), "max_level": max_level(counts)}
        detail["samples"] = len(rows)
        detail["max_level"] = max_level(counts)
    extra, alert = control.on_filing(case, filing)
    detail.update(extra)
    if kind == "remediation_plan":
        assignment = cases.record_assignment(
            user, case, "contractor", unit, commit=False, log=False
        )
        detail["assigns_contractor"] = unit.credit_code
        detail["replaced_contractors"] = getattr(assignment, "replaced", [])
    ledger.append(
        kind,
        actor=user,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        documents=[d.sha256 for d in docs],
        detail=detail,
    )
    if alert is not None:
        control.alert_event(user, case, alert)
    try:
        db.session.commit()
    except IntegrityError:
        # The same Idempotency-Key committed by a twin request on another case
        # lock: answer with that filing.
        db.session.rollback()
        if idempotency_key is None:
            raise
        done = db.session.scalar(
            select(Filing).where(
                Filing.filer_user_id == user.id, Filing.idempotency_key == idempotency_key
            )
        )
        if done is None:
            raise
        return done, False
    return filing, True


# ---------------------------------------------------------------- reading


def exceedances(filing_id: int, limit: int = 200) -> list[dict]:
    """The samples that call for a risk assessment: above screening, or of a
    pollutant without a standard and detected (§10), highest first."""
    rows = db.session.scalars(
        select(Sample)
        .where(Sample.filing_id == filing_id, cases.needs_assessment())
        .order_by(Sample.value_mg_kg.desc())
        .limit(limit)
    )
    return [sample_json(s) for s in rows]


def sample_json(s: Sample) -> dict:
    p = screening_service.pollutant_by_key(s.pollutant_key)
    return {
        "point_id": s.point_id,
        "depth_m": s.depth_m,
        "pollutant": p.name_zh if p else s.pollutant_key,
        "cas": p.cas if p else None,
        "value": s.value,
        "unit": s.unit,
        "value_mg_kg": s.value_mg_kg,
        "level": s.level,
    }


def document_json(d: Document) -> dict:
    return {
        "id": d.id,
        "sha256": d.sha256,
        "name": d.original_name,
        "size": d.size,
        "mime": d.mime,
        "purpose": d.purpose,
        "flags": d.flags or [],
    }


def filing_json(f: Filing) -> dict:
    return {
        "id": f.id,
        "kind": f.kind,
        "kind_label": KIND_LABELS_ZH[f.kind],
        "round": f.round,
        "state": f.state,
        "data": f.data,
        "filer": f.filer.username,
        "filer_name": f.filer.display_name or f.filer.username,
        "party": f.filer_party.credit_code if f.filer_party else None,
        "unit": parties.to_json(f.unit_party),
        "created_at": clock.iso(f.created_at),
        "documents": [document_json(d) for d in f.documents],
    }


def list_json(case_id: int, until=None) -> list[dict]:
    query = (
        select(Filing)
        .options(
            selectinload(Filing.filer),
            selectinload(Filing.filer_party),
            selectinload(Filing.unit_party),
            selectinload(Filing.documents),
        )
        .where(Filing.case_id == case_id)
        .order_by(Filing.id)
    )
    if until is not None:
        query = query.where(Filing.created_at <= until)
    return [filing_json(f) for f in db.session.scalars(query)]
