"""The bureau's side of tip-offs with a clock (DESIGN.md §11): tip-offs received by
the 12369 hotline, by letter or in person are recorded by an officer; a tip-off is
answered within ``TIPOFF_REPLY_WORKING_DAYS`` working days of receipt, by closing
it or by handing it over to the competent agency (转办, with the agency and the
date on record); the desk lists them with the reply clock.

《生态环境部关于实施生态环境违法行为举报奖励制度的指导意见》 and the 12369 rules
ask for a reply within 15 working days; the reporter reads the status with the
tracking code.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.models import TIPOFF_CHANNELS, Tipoff, User
from app.services import clock, tipoffs
from app.services.schema import F, validate

RECORD_SPEC = {
    "channel": F("enum", choices=tuple(c for c in TIPOFF_CHANNELS if c != "web")),
    "received_on": F("date", required=False),
    "township": F("str", max_len=50),
    "location": F("str", max_len=300),
    "description": F("str", max_len=tipoffs.DESCRIPTION_MAX),
}
HAND_OVER_SPEC = {
    "agency": F("str", max_len=200),
    "date": F("date", required=False),
    "note": F("str", required=False, max_len=5000),
}


def _past_date(value: str | None, field: str) -> date:
    day = date.fromisoformat(value) if value else clock.today()
    if day > clock.today():
        raise ValidationError("日期不能晚于今天", {field: "不能晚于今天"})
    return day


def record(user: User, payload) -> tuple[Tipoff, str]:
    """A tip-off taken by phone (12369), letter or visit; its reply clock counts from
    the day it was received. Returns it and the tracking code to tell the reporter."""
    tipoffs._bureau(user)
    data = validate(payload, RECORD_SPEC, message="举报登记信息有误")
    received = _past_date(data.get("received_on"), "received_on")
    return tipoffs.create(
        township=data["township"],
        location=data["location"],
        description=data["description"],
        channel=data["channel"],
        received_on=received,
        recorded_by=user,
    )


def hand_over(user: User, tipoff_id: int, payload) -> Tipoff:
    """转办: the tip-off goes to the agency competent for it; the reporter sees to
    whom and when. Meets the reply clock. Commits."""
    tipoffs._bureau(user)
    data = validate(payload, HAND_OVER_SPEC, message="转办信息有误")
    agency = data["agency"].strip()
    if not agency:
        raise ValidationError("须填写承办单位", {"agency": "不能为空"})
    day = _past_date(data.get("date"), "date")
    tipoff = tipoffs.get(user, tipoff_id, lock=True)
    if tipoff.status == "closed":
        raise ValidationError("已办结的举报不能转办", {"agency": "举报已办结"})
    tipoff.status = "handed_over"
    tipoff.handed_over_to, tipoff.handed_over_on = agency, day
    note = f"已转交{agency}办理（{day.isoformat()}）。" + (
        f"\n{data['note'].strip()}" if (data.get("note") or "").strip() else ""
    )
    tipoffs._record(user, tipoff, note=note, public=True)
    db.session.commit()
    return tipoff


def overdue_count(user: User) -> int:
    """Tip-offs of ``user``'s county not yet answered past their reply date."""
    return db.session.scalar(
        select(func.count())
        .select_from(Tipoff)
        .where(
            tipoffs.in_jurisdiction(user),
            Tipoff.replied_on.is_(None),
            Tipoff.reply_due < clock.today(),
        )
    )
