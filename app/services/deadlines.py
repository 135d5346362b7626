"""Statutory clocks of cases (DESIGN.md §11), on the Chinese working-day calendar.

The rules are data in ``workflows/deadlines.py``; this module turns them into
rows. ``on_event`` (subscribed to every ledger event in ``subscriptions``) runs in
the event's own transaction: it closes the open deadlines the event meets and opens
the ones it starts, so a case's clocks commit or roll back with the step that
moved them. ``remind`` is the daily job behind ``flask deadlines remind``.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import Assignment, Case, Deadline, Filing, LedgerEvent, Site, User
from app.services import clock, jurisdiction, ledger, notifications, workdays
from workflows import deadlines as rules

# ---------------------------------------------------------------- opening and closing


def days_for(rule: rules.Rule) -> int:
    return int(current_app.config.get(rule.setting, rule.default))


def due_after(rule: rules.Rule, start: date) -> date:
    """The due date of a deadline of ``rule`` that starts counting on ``start``."""
    n = days_for(rule)
    if rule.count == "working":
        return workdays.add_workdays(start, n)
    return start + timedelta(days=n)


def _plan_end(case_id: int) -> date | None:
    data = db.session.scalar(
        select(Filing.data)
        .where(Filing.case_id == case_id, Filing.kind == "remediation_plan")
        .order_by(Filing.id.desc())
        .limit(1)
    )
    try:
        return date.fromisoformat(data["end_date"]) if data else None
    except (KeyError, TypeError, ValueError):
        return None


def open_deadline(case: Case, kind: str, owner: str, due: date, seq: int | None) -> Deadline:
    row = Deadline(case_id=case.id, county_code=case.site.county_code, kind=kind, owner=owner, due=due,
                   opened_on=clock.today(), opened_seq=seq)  # fmt: skip
    db.session.add(row)
    return row


def on_event(event: LedgerEvent) -> None:
    """Close what the event meets, open what it starts (in its transaction)."""
    if event.case_id is None:
        return
    today = clock.today()
    for row in db.session.scalars(
        select(Deadline).where(Deadline.case_id == event.case_id, Deadline.closed_on.is_(None))
    ):
        if rules.closes(row.kind, event.action, event.to_state):
            row.closed_on, row.closed_seq, row.met = today, event.seq, today <= row.due
    detail = event.detail or {}
    if event.to_state == "released" and event.from_state == "evaluation_review":
        came_by = db.session.scalar(
            select(LedgerEvent.from_state)
            .where(LedgerEvent.case_id == event.case_id, LedgerEvent.to_state == "evaluation",
                   LedgerEvent.from_state.in_(("works", "risk_control")))
            .order_by(LedgerEvent.seq.desc())
            .limit(1)
        )  # fmt: skip
        detail = {**detail, "after_control": came_by == "risk_control"}
    openings = rules.to_open(event.action, event.from_state, event.to_state, detail)
    if not openings:
        return
    case = db.session.get(Case, event.case_id)
    for o in openings:
        rule = rules.RULES[o.kind]
        if o.kind == "works_end":
            due = _plan_end(case.id)
        elif o.kind == "survey_order":
            due = date.fromisoformat(event.detail["due"])
        else:
            due = due_after(rule, today)
        if due is not None:
            open_deadline(case, o.kind, o.owner, due, event.seq)
    db.session.flush()


# ---------------------------------------------------------------- reading


def to_json(row: Deadline, today: date | None = None) -> dict:
    today = today or clock.today()
    rule = rules.RULES[row.kind]
    return {
        "kind": row.kind,
        "label": rule.label_zh,
        "due": row.due.isoformat(),
        "owner": row.owner,
        "overdue": row.due < today,
        "days_left": workdays_left(row, today),
        "basis": rule.basis_zh,
    }


def workdays_left(row: Deadline, today: date) -> int:
    """Days left until due, counted as the rule counts (working or calendar days);
    negative when overdue."""
    if rules.RULES[row.kind].count == "working":
        if row.due >= today:
            return workdays.workdays_between(today, row.due)
        return -workdays.workdays_between(row.due, today)
    return (row.due - today).days


def open_for_case(case_id: int) -> list[Deadline]:
    return list(
        db.session.scalars(
            select(Deadline)
            .where(Deadline.case_id == case_id, Deadline.closed_on.is_(None))
            .order_by(Deadline.due, Deadline.id)
        )
    )


def plots_of(case_ids) -> dict[int, tuple[str, str]]:
    """(code, name) of each case's plot, in one query."""
    rows = db.session.execute(
        select(Case.id, Site.code, Site.name)
        .join(Site, Site.id == Case.site_id)
        .where(Case.id.in_(set(case_ids)))
    )
    return {cid: (code, name) for cid, code, name in rows}


def open_for_cases(case_ids: list[int]) -> dict[int, list[Deadline]]:
    """Open deadlines of many cases in one query (lists of cases)."""
    out: dict[int, list[Deadline]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return out
    for row in db.session.scalars(
        select(Deadline)
        .where(Deadline.case_id.in_(case_ids), Deadline.closed_on.is_(None))
        .order_by(Deadline.due, Deadline.id)
    ):
        out[row.case_id].append(row)
    return out


def own(user: User, limit: int = 20) -> list[tuple[Deadline, str, str]]:
    """The caller's own open deadlines, soonest first, with plot code and name: the
    landholder's and responsible party's stages, an engaged unit's work."""
    pid = user.party_id
    if pid is None or user.role in ("bureau", "admin"):
        return []
    responsible = (Deadline.owner == "responsible") & (
        (Case.responsible_party_id == pid) | (Site.landholder_party_id == pid)
    )
    engaged = Deadline.owner.in_(("contractor", "evaluator")) & exists().where(
        Assignment.case_id == Deadline.case_id,
        Assignment.role == Deadline.owner,
        Assignment.party_id == pid,
        Assignment.ended_at.is_(None),
    )
    rows = db.session.execute(
        select(Deadline, Site.code, Site.name)
        .join(Case, Case.id == Deadline.case_id)
        .join(Site, Site.id == Case.site_id)
        .where(Deadline.closed_on.is_(None), responsible | engaged)
        .order_by(Deadline.due, Deadline.id)
        .limit(limit)
    )
    return [tuple(r) for r in rows]


FILTERS = ("owner", "kind", "overdue", "page", "per_page")


def agenda_query(counties, *, owner=None, kind=None, overdue=False, today=None):
    """``select(Deadline)`` of open deadlines of ``counties`` (county codes; None =
    all), filtered on the deadlines table alone, so a count reads the partial index
    only."""
    query = select(Deadline).where(Deadline.closed_on.is_(None))
    query = query.where(jurisdiction.in_counties(counties, Deadline.county_code))
    if owner:
        query = query.where(Deadline.owner == owner)
    if kind:
        query = query.where(Deadline.kind == kind)
    if overdue:
        query = query.where(Deadline.due < (today or clock.today()))
    return query


def agenda(user: User, args) -> dict:
    """``GET /api/v1/deadlines``: the county's open deadlines (bureau only)."""
    if user.role not in ("bureau", "admin"):
        raise Forbidden("只有生态环境局可以查看期限台账")
    unknown = set(args) - set(FILTERS)
    if unknown:
        raise ValidationError("不支持的查询参数", {k: "不支持的查询参数" for k in sorted(unknown)})
    fields = {}
    owner, kind = args.get("owner") or None, args.get("kind") or None
    if owner and owner not in rules.OWNERS:
        fields["owner"] = f"须为 {', '.join(rules.OWNERS)} 之一"
    if kind and kind not in rules.KINDS:
        fields["kind"] = f"须为 {', '.join(rules.KINDS)} 之一"
    overdue = args.get("overdue") or ""
    if overdue not in ("", "0", "1", "true", "false"):
        fields["overdue"] = "须为 1 或 0"
    page, per_page = (
        _int(args.get("page"), 1, fields, "page"),
        _int(args.get("per_page"), 50, fields, "per_page", 200),
    )
    if fields:
        raise ValidationError("查询参数有误", fields)
    today = clock.today()
    query = agenda_query(jurisdiction.counties(user), owner=owner, kind=kind,
                         overdue=overdue in ("1", "true"), today=today)  # fmt: skip
    total = db.session.scalar(query.with_only_columns(func.count()).order_by(None))
    rows = db.session.execute(
        query.add_columns(Site.code)
        .join(Case, Case.id == Deadline.case_id)
        .join(Site, Site.id == Case.site_id)
        .order_by(Deadline.due, Deadline.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "items": [
            {"case_id": d.case_id, "site_code": code, **to_json(d, today)} for d, code in rows
        ],
        "total": total,
        "page": page,
    }


def _int(raw, default: int, fields: dict, name: str, most: int = 100_000) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        fields[name] = "须为正整数"
        return default
    if not 1 <= value <= most:
        fields[name] = f"须在 1 到 {most} 之间"
    return value


# ---------------------------------------------------------------- reminders


def remind(as_of: date | None = None) -> dict:
    """One reminder (催办) per overdue deadline, day and owner user; a second run on
    the same day sends nothing new. One ledger event records the batch. Commits."""
    as_of = as_of or clock.today()
    overdue = db.session.execute(
        select(Deadline, Case)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.closed_on.is_(None), Deadline.due < as_of)
        .order_by(Deadline.due, Deadline.id)
    ).all()
    sent = 0
    for deadline, case in overdue:
        users = notifications.owner_users(case, deadline.owner)
        params = {"plot": case.site.name, "code": case.site.code,
                  "deadline": rules.KIND_LABELS_ZH[deadline.kind], "due": deadline.due.isoformat()}  # fmt: skip
        sent += notifications.remind(users, deadline, as_of, params)
    if sent:
        ledger.append(
            "reminders_sent",
            actor=None,
            case_id=None,
            detail={"as_of": as_of.isoformat(), "overdue": len(overdue), "reminders": sent},
        )
    db.session.commit()
    return {"as_of": as_of.isoformat(), "overdue": len(overdue), "reminders_sent": sent}
