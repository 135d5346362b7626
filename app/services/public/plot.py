"""One public plot (DESIGN.md §7): its timeline of public events, the works notice
board, the release decision and the evaluation result, as page data and JSON.

《土壤污染防治法》第六十二条、第八十一条; 《污染地块土壤环境管理办法（试行）》第十八条.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Filing, LedgerEvent, Manifest, Party, Site
from app.services import clock, control
from app.services import screening as screening_service
from app.services.public.register import Row, item_json, oriented
from app.services.sites import PLANNED_USE_ZH, cleared_for_json

# ---------------------------------------------------------------- one plot


def day_of(at_iso: str) -> date:
    return datetime.fromisoformat(at_iso.replace("Z", "+00:00")).astimezone(clock.CHINA_TZ).date()


_RELEASE_DECISIONS = {
    "evaluation_review": "效果评估达标，移出建设用地土壤污染风险管控和修复名录",
    "survey_review": "土壤污染状况调查表明污染物含量未超过筛选值，不属于污染地块，无需列入名录",
    "risk_assessment_review": "风险评估表明地块风险可接受，无需列入名录",
}

_TIMELINE_ACTIONS = (
    "approve",
    "require_control",
    "require_remediation",
    "manifest_reported",
    "manifest_received",
    "manifest_resolved",
    "works_notice",
    "monitoring_report",
    "complete_works",
    "start_evaluation",
    "evaluation_report",
    "use_changed",
    "reopen",
    "risk_control_plan",
    "control_alert",
    "emergency_measures",
)


def _timeline_entry(e: LedgerEvent) -> tuple[str, str] | None:
    """(event, label) for a ledger event the public may see, else None.
    Built from the action and a few whitelisted numbers, never from names."""
    a, src, dst = e.action, e.from_state, e.to_state
    detail = e.detail or {}
    if a == "approve":
        if dst == "listed":
            return "listed", "列入建设用地土壤污染风险管控和修复名录"
        if src == "plan_review":
            return "plan_filed", "修复方案完成备案"
        if dst == "released" and src in _RELEASE_DECISIONS:
            return "released", _RELEASE_DECISIONS[src]
        if src == "evaluation_review" and dst == "works":
            return "evaluation_failed", "效果评估未达标，继续修复"
        if src == "evaluation_review" and dst == "risk_control":
            return "evaluation_failed", "效果评估未达标，继续实施风险管控"
        return None
    if a == "use_changed":
        return "use_changed", "规划用途变更"
    if a == "reopen":
        if detail.get("cause") == "use_changed":
            return "reopened_for_use", (
                "规划用途变更为比原调查评估时更敏感的第一类用地，原结论不再适用，"
                "地块重新开展土壤污染状况调查"
            )
        return "reopened", "生态环境部门决定重新开展土壤污染状况调查"
    if a == "require_control":
        return "risk_control", "决定实施风险管控"
    if a == "require_remediation":
        return "remediation_required", "决定实施修复"
    if a == "manifest_reported":
        qty = _number_text(detail.get("quantity_t"))
        county = str(detail.get("destination_county") or "")[:50]
        text = "报告污染土壤外运转移"
        if qty:
            text += f" {qty} 吨"
        if county:
            text += f"，运往{county}"
        return "transfer_reported", text
    if a in ("manifest_received", "manifest_resolved"):
        if a == "manifest_received" and detail.get("status") == "discrepancy":
            return "transfer_discrepancy", "接收数量与运出数量差异较大，生态环境部门核查中"
        if a == "manifest_resolved":
            return "transfer_received", "转运数量差异已核查处理"
        qty = _number_text(detail.get("received_t"))
        return "transfer_received", "接收单位确认接收污染土壤" + (f" {qty} 吨" if qty else "")
    if a == "works_notice":
        return "works_started", "发布施工公告，修复施工开始"
    if a == "monitoring_report":
        return "monitoring", "提交风险管控监测报告"
    if a == "risk_control_plan":
        return "control_plan", "风险管控方案备案，划定管控区域并公告"
    if a == "control_alert":
        return "control_alert", "监测发现超出管控限值，已要求采取应急措施"
    if a == "emergency_measures":
        return "emergency_measures", "责任人报告已采取应急措施"
    if a == "complete_works":
        return "works_completed", "修复施工完成，开展效果评估"
    if a == "start_evaluation":
        return "evaluation_started", "风险管控措施落实，启动效果评估"
    if a == "evaluation_report":
        return "evaluation_submitted", "第三方单位提交效果评估报告"
    return None


def _number_text(raw) -> str | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def timeline(site: Site) -> list[dict]:
    """Public events of every case of the plot, oldest first, without actors."""
    case_ids = [c for c in db.session.scalars(select(Case.id).where(Case.site_id == site.id))]
    events = db.session.execute(
        select(LedgerEvent.seq, LedgerEvent.at, LedgerEvent.action, LedgerEvent.from_state,
               LedgerEvent.to_state, LedgerEvent.detail)
        .where(LedgerEvent.case_id.in_(case_ids), LedgerEvent.action.in_(_TIMELINE_ACTIONS))
        .order_by(LedgerEvent.seq)
    ).all()  # fmt: skip
    out = []
    for e in events:
        entry = _timeline_entry(e)
        if entry is None:
            continue
        item = {"date": day_of(e.at).isoformat(), "at": e.at, "event": entry[0],
                "label": entry[1]}  # fmt: skip
        detail = e.detail or {}
        if detail.get("decision"):  # numbered decisions (§10), printed as issued
            item["decision"] = str(detail["decision"])[:60]
        if isinstance(detail.get("provincial_decision"), dict):
            item["provincial_decision"] = {
                "number": str(detail["provincial_decision"].get("number") or "")[:100],
                "date": detail["provincial_decision"].get("date"),
            }
        if entry[0] == "reopened_for_use":
            item["basis"] = str(detail.get("comment") or "")[:300]
        if entry[0] == "use_changed":  # the planning decision is public (第五十九条)
            item["from_use"] = detail.get("from_use")
            item["to_use"] = detail.get("to_use")
            item["basis"] = str(detail.get("basis") or "")[:300]
        out.append(item)
    return out


def reopened(events: list[dict]) -> dict | None:
    """Why the plot is being investigated again, when a use change reopened it."""
    last = next((e for e in reversed(events) if e["event"] in ("reopened_for_use", "reopened")),
                None)  # fmt: skip
    released_after = last and any(e["event"] == "released" and e["at"] > last["at"] for e in events)
    if last is None or released_after:
        return None
    return {"date": last["date"], "reason": last["label"], "basis": last.get("basis")}


NOTICE_FIELDS = (
    "project_overview",
    "environmental_impacts",
    "protective_measures",
    "contact",
    "start_date",
    "end_date",
)
NOTICE_LABELS_ZH = {
    "project_overview": "工程概况",
    "environmental_impacts": "环境影响",
    "protective_measures": "防治措施",
    "contact": "联系方式",
    "start_date": "开工日期",
    "end_date": "计划完工日期",
}


def notice_board(case: Case) -> dict | None:
    """The latest published works notice (施工公告牌) of the case, or None."""
    filing = db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case.id, Filing.kind == "works_notice")
        .order_by(Filing.id.desc())
        .limit(1)
    )
    if filing is None:
        return None
    data = filing.data or {}
    board = {k: data.get(k) for k in NOTICE_FIELDS}
    board["published_at"] = clock.iso(filing.created_at)
    contractor = db.session.scalar(
        select(Party.name).where(Party.id == filing.filer_party_id, Party.kind != "individual")
    )
    board["contractor"] = contractor
    return board


def _release_event(case: Case) -> LedgerEvent | None:
    return db.session.scalar(
        select(LedgerEvent)
        .where(
            LedgerEvent.case_id == case.id,
            LedgerEvent.action == "approve",
            LedgerEvent.to_state == "released",
        )
        .order_by(LedgerEvent.seq.desc())
        .limit(1)
    )


def release(case: Case) -> dict | None:
    """The release notice: when and what was decided (released plots only)."""
    if case.state != "released":
        return None
    event = _release_event(case)
    if event is None:
        return None
    return {
        "date": day_of(event.at).isoformat(),
        "decision": _RELEASE_DECISIONS.get(event.from_state, "移出名录"),
        "route": {"evaluation_review": "evaluation", "survey_review": "survey",
                  "risk_assessment_review": "risk_assessment"}.get(event.from_state),
        "number": (event.detail or {}).get("decision"),
        "provincial_decision": (event.detail or {}).get("provincial_decision"),
    }  # fmt: skip


def evaluation(case: Case) -> dict | None:
    """The effect-evaluation conclusion (效果评估结论), when the plot is released."""
    if case.state != "released":
        return None
    filing = db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case.id, Filing.kind == "evaluation_report")
        .order_by(Filing.id.desc())
        .limit(1)
    )
    if filing is None:
        return None
    data = filing.data or {}
    results = []
    for r in data.get("results") or []:
        p = screening_service.lookup_pollutant(str(r.get("pollutant", "")))
        results.append(
            {
                "pollutant": p.name_zh if p else str(r.get("pollutant", ""))[:100],
                "value_mg_kg": r.get("value_mg_kg"),
                "target_mg_kg": r.get("target_mg_kg"),
                "meets_target": (
                    r.get("value_mg_kg") is not None
                    and r.get("target_mg_kg") is not None
                    and r["value_mg_kg"] <= r["target_mg_kg"]
                ),
            }
        )
    evaluator = db.session.scalar(
        select(Party.name).where(Party.id == filing.unit_party_id, Party.kind != "individual")
    )
    passed = bool(data.get("passed"))
    return {
        "passed": passed,
        "conclusion": "修复效果达到修复目标，评估结论为达标" if passed else "评估结论为未达标",
        "evaluator": evaluator,
        "submitted_on": cst_date(filing.created_at),
        "results": results,
    }


def cst_date(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(clock.CHINA_TZ).date().isoformat()


def latest_progress(case: Case) -> int | None:
    """The last reported percent complete of the works (a number, no text)."""
    filing = db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case.id, Filing.kind == "progress_report")
        .order_by(Filing.id.desc())
        .limit(1)
    )
    if filing is None or state_after_works(case.state):
        return None
    value = (filing.data or {}).get("percent_complete")
    return int(value) if isinstance(value, (int, float)) else None


def state_after_works(state: str) -> bool:
    return state in ("evaluation", "evaluation_review", "released")


def manifests_summary(case: Case) -> dict | None:
    """Soil sent off site: how many manifests and tonnes, and how many arrived."""
    rows = db.session.execute(
        select(Manifest.status, func.count(), func.sum(Manifest.quantity_t),
               func.sum(Manifest.received_t))
        .where(Manifest.case_id == case.id)
        .group_by(Manifest.status)
    ).all()  # fmt: skip
    if not rows:
        return None
    total = sum(n for _, n, _, _ in rows)
    planned = sum(float(q or 0) for _, _, q, _ in rows)
    received = sum(float(r or 0) for s, _, _, r in rows if s == "received")
    done = sum(n for s, n, _, _ in rows if s == "received")
    return {"manifests": total, "planned_t": planned, "received_t": received, "received": done}


def detail_json(row: Row) -> dict:
    site = row.site
    events = timeline(site)
    return {
        **item_json(row),
        "address": site.address,
        "area_m2": float(site.area_m2),
        "planned_use": site.planned_use,
        "planned_use_label": PLANNED_USE_ZH.get(site.planned_use, site.planned_use),
        "former_industry": site.former_industry,
        "centroid": [site.lon, site.lat] if site.lat is not None else None,
        "boundary": oriented(site.boundary),
        "notice_board": notice_board(row.case),
        "control_plan": control.public_plan(row.case),
        "timeline": events,
        "evaluation": evaluation(row.case),
        "release": release(row.case),
        "cleared_for": cleared_for_json(site),
        "reopened": reopened(events),
        "decisions": [e for e in events if "decision" in e],
    }
