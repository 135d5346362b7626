"""Risk control (风险管控, issue 15): the control plan's checks, monitoring values
against its limits, alerts and the emergency measures that close them.

``filings.file`` calls ``check`` with the validated data of the three kinds
involved, ``on_filing`` once the filing row exists (it raises or resolves
alerts, returning what the filing's ledger event records), and
``alert_event`` after that event, so the chain reads: monitoring report, then
its alert. Everything happens in the filing's transaction.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.errors import InvalidTransition, ValidationError
from app.extensions import db
from app.models import Alert, Case, Filing, User
from app.services import clock, ledger
from app.services.schema import F
from app.services.screening import lookup_pollutant
from app.services.sites import check_polygon
from workflows import control as rules

_MEDIUM = F("enum", choices=rules.MEDIA)
VALUE = F("object", fields={
    "point_id": F("str", max_len=50, required=False),
    "medium": _MEDIUM,
    "pollutant": F("str", max_len=100),
    "value": F("number", min=0, max=1e12),
    "unit": F("str", max_len=20),
})  # fmt: skip
LIMIT = F("object", fields={
    "medium": _MEDIUM,
    "pollutant": F("str", max_len=100),
    "limit": F("number", gt=0, max=1e12),
    "unit": F("str", max_len=20),
})  # fmt: skip
POINT = F("object", fields={
    "point_id": F("str", max_len=50),
    "medium": _MEDIUM,
    "lat": F("number", min=-90, max=90, required=False),
    "lon": F("number", min=-180, max=180, required=False),
})  # fmt: skip
SPECS = {
    "risk_control_plan": {
        "measures": F("str", max_len=10000),
        "control_area": F("any"),
        "signs": F("str", max_len=5000),
        "announcement": F("str", max_len=5000),
        "monitoring_plan": F("object", fields={
            "media": F("list", item=_MEDIUM, min_items=1, max_items=4),
            "frequency_days": F("int", min=1, max=366),
            "points": F("list", item=POINT, min_items=1, max_items=500),
            "limits": F("list", item=LIMIT, min_items=1, max_items=500),
        }),
    },
    "emergency_measures": {
        "measures": F("str", max_len=10000),
        "isolation": F("bool"),
        "completed_on": F("date", required=False),
    },
}  # fmt: skip
MONITORING_VALUES = F("list", item=VALUE, required=False, max_items=5000)


def check(kind: str, data: dict, case: Case) -> dict:
    """Rules beyond field types for the control plan and monitoring reports."""
    fields: dict[str, str] = {}
    if kind == "risk_control_plan":
        try:
            data["control_area"], _lat, _lon = check_polygon(data["control_area"])
        except ValidationError as exc:
            fields["control_area"] = exc.message
        plan = data["monitoring_plan"]
        for i, lim in enumerate(plan["limits"]):
            if problem := rules.unit_problem(lim["medium"], lim["unit"]):
                fields[f"monitoring_plan.limits[{i}].unit"] = problem
            if lim["medium"] not in plan["media"]:
                fields[f"monitoring_plan.limits[{i}].medium"] = "须为监测计划中的介质"
        for i, point in enumerate(plan["points"]):
            if point["medium"] not in plan["media"]:
                fields[f"monitoring_plan.points[{i}].medium"] = "须为监测计划中的介质"
    elif kind == "monitoring_report":
        if current_app.config.get("RISK_CONTROL_PLAN_REQUIRED") and plan_of(case.id) is None:
            raise InvalidTransition("首次报送监测报告前须先备案风险管控方案（risk_control_plan）")
        for i, v in enumerate(data.get("values") or ()):
            if problem := rules.unit_problem(v["medium"], v["unit"]):
                fields[f"values[{i}].unit"] = problem
            if v["medium"] not in data["media"]:
                fields[f"values[{i}].medium"] = "须为本报告的监测介质之一"
    if fields:
        raise ValidationError("填写有误", fields)
    return data


def plan_of(case_id: int) -> Filing | None:
    """The case's control plan in force: the latest filed."""
    return db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case_id, Filing.kind == "risk_control_plan")
        .order_by(Filing.id.desc())
        .limit(1)
    )


def same_pollutant(a: str, b: str) -> bool:
    """One pollutant under two names (铅 / Pb / lead), by GB 36600's register where
    both are in it, else by the name itself."""
    pa, pb = lookup_pollutant(a), lookup_pollutant(b)
    if pa is not None and pb is not None:
        return pa.key == pb.key
    return a.strip().casefold() == b.strip().casefold()


def open_alerts(case_id: int) -> list[Alert]:
    return list(
        db.session.scalars(
            select(Alert)
            .where(Alert.case_id == case_id, Alert.resolved_at.is_(None))
            .order_by(Alert.id)
        )
    )


def has_open_alert(case_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(Alert.id).where(Alert.case_id == case_id, Alert.resolved_at.is_(None)).limit(1)
        )
    )


def open_alert_cases(case_ids) -> set[int]:
    """Of ``case_ids``, those with an open alert (one query, for lists)."""
    if not case_ids:
        return set()
    return set(
        db.session.scalars(
            select(Alert.case_id)
            .where(Alert.case_id.in_(set(case_ids)), Alert.resolved_at.is_(None))
            .distinct()
        )
    )


def on_filing(case: Case, filing: Filing) -> tuple[dict, Alert | None]:
    """Compare a monitoring report with the plan (an alert if anything exceeds), or
    close the open alerts with emergency measures. Returns what the filing's
    ledger event records, and the alert raised."""
    if filing.kind == "monitoring_report" and filing.data.get("values"):
        plan = plan_of(case.id)
        if plan is None:
            return {"values": len(filing.data["values"]), "compared": False}, None
        limits = plan.data["monitoring_plan"]["limits"]
        found = rules.exceedances(filing.data["values"], limits, same_pollutant)
        extra = {"values": len(filing.data["values"]), "compared": True,
                 "plan_filing": plan.id, "exceedances": len(found)}  # fmt: skip
        if not found:
            return extra, None
        alert = Alert(case_id=case.id, filing_id=filing.id, exceedances=found,
                      raised_at=clock.now())  # fmt: skip
        db.session.add(alert)
        db.session.flush()
        return {**extra, "alert": alert.id}, alert
    if filing.kind == "emergency_measures":
        closed = open_alerts(case.id)
        for alert in closed:
            alert.resolved_filing_id, alert.resolved_at = filing.id, clock.now()
        return {"resolved_alerts": [a.id for a in closed]}, None
    return {}, None


def alert_event(user: User, case: Case, alert: Alert) -> None:
    """The alert's own ledger event (the bureau's notice and the public timeline
    follow it)."""
    ledger.append("control_alert", actor=user, case_id=case.id, from_state=case.state,
                  to_state=case.state,
                  detail={"alert": alert.id, "filing_id": alert.filing_id,
                          "exceedances": alert.exceedances})  # fmt: skip


def alert_json(a: Alert) -> dict:
    return {
        "id": a.id,
        "filing_id": a.filing_id,
        "exceedances": a.exceedances,
        "raised_at": clock.iso(a.raised_at),
        "resolved_filing_id": a.resolved_filing_id,
        "resolved_at": clock.iso(a.resolved_at) if a.resolved_at else None,
    }


def public_plan(case: Case) -> dict | None:
    """What the public page shows of the control plan: the area, the signs and the
    announcement (公告), not the monitoring points."""
    plan = plan_of(case.id)
    if plan is None:
        return None
    data = plan.data
    return {"control_area": data["control_area"], "announcement": data["announcement"],
            "measures": data["measures"], "signs": data["signs"],
            "published_at": clock.iso(plan.created_at)}  # fmt: skip
