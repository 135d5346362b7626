"""The in-app inbox (DESIGN.md §11): reminders (催办) of overdue deadlines, and
notices of what happens to a user's cases — a report returned, a decision, a
manifest discrepancy, a new assignment.

Notices are written by handlers in ``subscriptions`` inside the event's own
transaction, so a notice exists exactly when its event does. A notification is
private to its user: another user's is a 404.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import security_log
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Assignment, Case, Deadline, Notification, User
from app.services import clock, mail

KINDS = (
    "reminder",
    "returned",
    "decided",
    "discrepancy",
    "assigned",
    "reopened",
    "survey_ordered",
    "exceedance",
    "control_alert",
    "transfer_incoming",
)
# Each kind's text, with the values it is made from. Chinese is the stored text (the
# API's ``text``); a page translates the template and the labels among the values
# (``LABEL_PARAMS``) for its reader. Marked for extraction in app/i18n_strings.py.
TEXTS = {
    "reminder": "催办：%(plot)s（%(code)s）的%(deadline)s已于 %(due)s 到期，请尽快办理。",
    "returned": "%(plot)s（%(code)s）的%(stage)s被退回修改：%(comment)s",
    "decided": "%(plot)s（%(code)s）：%(action)s，%(from_state)s → %(to_state)s %(number)s",
    "reopened": "%(plot)s（%(code)s）重新开展土壤污染状况调查：%(comment)s",
    "discrepancy": "%(plot)s（%(code)s）的转运联单 %(manifest)s 接收数量与发运数量相差 %(pct)s%%，待核查处理",
    "assigned": "贵单位已被委托为%(plot)s（%(code)s）的%(role)s",
    "survey_ordered": "生态环境主管部门责令对%(plot)s（%(code)s）开展土壤污染状况调查，"
    "请于 %(due)s 前提交调查报告",
    "exceedance": "重点监管单位%(unit)s %(year)s 年度自行监测有 %(count)s 个样品超过筛选值，请核查",
    "control_alert": "%(plot)s（%(code)s）风险管控监测有 %(count)s 项超出管控限值，须立即采取应急措施并报送",
    "transfer_incoming": "%(origin)s%(plot)s（%(code)s）报告将 %(t)s 吨污染土壤转运至本县%(facility)s，"
    "联单 %(manifest)s，计划 %(start)s 起运，请确认知悉",
}
LABEL_PARAMS = ("deadline", "stage", "action", "from_state", "to_state", "role")
KIND_LABELS_ZH = {
    "reminder": "催办",
    "returned": "退回修改",
    "decided": "审查决定",
    "discrepancy": "转运数量差异",
    "assigned": "委托",
    "reopened": "重新调查",
    "survey_ordered": "责令调查",
    "exceedance": "自行监测超标",
    "control_alert": "管控监测超限",
    "transfer_incoming": "跨县转入",
}


# ---------------------------------------------------------------- who


def party_users(party_ids: set[int]) -> list[int]:
    if not party_ids:
        return []
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.party_id.in_(party_ids), User.active.is_(True))
            .order_by(User.id)
        )
    )


def bureau_users(county_code: str) -> list[int]:
    """The active officers of the county (not those of the prefecture or province
    above it, who are not sent every county's reminders)."""
    return list(
        db.session.scalars(
            select(User.id)
            .where(
                User.role == "bureau",
                # Agriculture officers work on cultivated land only (issue 21).
                or_(User.department.is_(None), User.department != "agriculture"),
                User.active.is_(True),
                User.region_code == county_code,
            )
            .order_by(User.id)
        )
    )


def assigned_party(case_id: int, role: str) -> int | None:
    return db.session.scalar(
        select(Assignment.party_id)
        .where(
            Assignment.case_id == case_id, Assignment.role == role, Assignment.ended_at.is_(None)
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )


def owner_users(case: Case, owner: str) -> list[int]:
    """The users a deadline of ``owner`` is for: the county's bureau officers, the
    landholder's and the responsible party's users (either may file the stage), or
    the users of the assigned contractor or evaluator."""
    if owner == "bureau":
        return bureau_users(case.site.county_code)
    if owner == "responsible":
        parties = {case.site.landholder_party_id, case.responsible_party_id} - {None}
        return party_users(parties)
    party = assigned_party(case.id, owner)
    return party_users({party} if party else set())


# ---------------------------------------------------------------- writing


def render(kind: str, params: dict) -> str:
    """The Chinese text of a notice from its values."""
    return (TEXTS[kind] % {k: str(v) for k, v in params.items()})[:500]


def notify(user_ids, kind: str, params: dict, *, case_id: int | None = None) -> int:
    """A notice to each user (in the caller's transaction)."""
    now = clock.now()
    ids = list(dict.fromkeys(user_ids))
    text = render(kind, params)
    for uid in ids:
        db.session.add(Notification(user_id=uid, kind=kind, case_id=case_id, text=text,
                                    params=params, at=now))  # fmt: skip
    mail.queue(ids, f"【{KIND_LABELS_ZH[kind]}】{params.get('plot', '')}", text)
    return len(ids)


def remind(user_ids, deadline: Deadline, day: date, params: dict) -> int:
    """A reminder per user for ``deadline`` on ``day``; one already sent that day is
    not sent again (a unique key, so two runs at once send it once). Returns how
    many were new."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return 0
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = clock.now()
    rows = [
        {"user_id": uid, "kind": "reminder", "case_id": deadline.case_id,
         "deadline_id": deadline.id, "day": day, "text": render("reminder", params),
         "params": params, "at": now}
        for uid in ids
    ]  # fmt: skip
    inserted = db.session.execute(
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "deadline_id", "day"])
        .returning(Notification.user_id)  # rowcount is not reliable here (psycopg: -1)
    ).all()
    if inserted:  # only the reminders new today are mailed
        mail.queue([uid for (uid,) in inserted], f"【催办】{params.get('plot', '')}",
                   render("reminder", params))  # fmt: skip
    return len(inserted)


# ---------------------------------------------------------------- reading


def to_json(n: Notification) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "kind_label": KIND_LABELS_ZH.get(n.kind, n.kind),
        "case_id": n.case_id,
        "text": n.text,
        "params": n.params or {},
        "at": n.at.isoformat() if n.at else None,
        "read": n.read_at is not None,
    }


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def for_user(user: User, page: int = 1, per_page: int = 50, unread_only: bool = False) -> dict:
    """The caller's notifications, newest first, paged."""
    if not 1 <= page <= 100_000 or not 1 <= per_page <= 200:
        raise ValidationError("分页参数有误", {"page": "须为正整数", "per_page": "1 到 200"})
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db.session.scalars(
        query.order_by(Notification.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    return {
        "items": [to_json(n) for n in rows],
        "unread": unread_count(user),
        "total": total,
        "page": page,
    }


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (idempotent). Commits."""
    n = db.session.get(Notification, notification_id) if 0 < notification_id < 2**31 else None
    if n is None or n.user_id != user.id:
        if n is not None:
            security_log.event("authz_fail", user=user, object=f"notification:{notification_id}")
        raise NotFound("通知不存在")
    if n.read_at is None:
        n.read_at = clock.now()
        db.session.commit()
    return n


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount or 0
