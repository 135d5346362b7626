"""The expert pool (专家库) and verifiable panel draws (issue 15).

The bureau keeps the pool (names, phones and employers never leave the bureau)
and draws a panel for a review round of a case. Who may not sit — employees of
the case's parties, experts who reviewed the same report before — is decided
here, the ranking in ``workflows.experts.draw``; the draw's seed, candidates and
exclusions go into the ledger in the same transaction, and ``replay`` repeats
the draw from the ledger event alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models import Assignment, Case, Expert, Filing, LedgerEvent, Meeting, Panel, User
from app.services import cases, clock, ledger, meetings, parties
from app.services.schema import F, validate
from workflows import experts as rules

EXPERT_SPEC = {
    "name": F("str", max_len=100),
    "title": F("str", max_len=100, required=False),
    "specialities": F("list", item=F("enum", choices=tuple(rules.SPECIALITIES)), min_items=1,
                      max_items=len(rules.SPECIALITIES)),
    "employer_credit_code": F("credit_code", required=False),
    "phone": F("str", max_len=40, required=False),
}  # fmt: skip
UPDATE_SPEC = {
    "active": F("bool", required=False),
    "title": F("str", max_len=100, required=False),
    "specialities": F("list", item=F("enum", choices=tuple(rules.SPECIALITIES)), min_items=1,
                      max_items=len(rules.SPECIALITIES), required=False),
    "employer_credit_code": F("credit_code", required=False),
    "phone": F("str", max_len=40, required=False),
}  # fmt: skip
DRAW_SPEC = {
    "size": F("int", min=rules.MIN_PANEL, max=rules.MAX_PANEL),
    "reason": F("str", max_len=2000, required=False),
}


def _bureau(user: User) -> None:
    if user is None or user.role != "bureau":
        raise Forbidden("仅限生态环境主管部门管理专家库和抽取专家")


# ---------------------------------------------------------------- the pool


def add(user: User, payload) -> Expert:
    """Add an expert to the pool. Commits."""
    _bureau(user)
    data = validate(payload, EXPERT_SPEC, message="专家信息有误")
    employer = None
    if data.get("employer_credit_code"):
        employer = parties.get_by_code(data["employer_credit_code"])
        if employer is None:
            msg = f"工作单位 {data['employer_credit_code']} 未在本系统登记"
            raise ValidationError(msg, {"employer_credit_code": msg})
    expert = Expert(name=data["name"], title=data.get("title") or None,
                    specialities=sorted(set(data["specialities"])),
                    employer_party_id=employer.id if employer else None,
                    phone=data.get("phone") or None, active=True, created_by_id=user.id,
                    created_at=clock.now())  # fmt: skip
    db.session.add(expert)
    db.session.flush()
    ledger.append("expert_added", actor=user,
                  party=employer.credit_code if employer else None,
                  detail={"expert": expert.id, "specialities": expert.specialities})  # fmt: skip
    db.session.commit()
    return expert


def update(user: User, expert_id: int, payload) -> Expert:
    """Change an expert's record, or take them out of (or back into) the draw. Commits."""
    _bureau(user)
    data = validate(payload, UPDATE_SPEC, message="专家信息有误")
    if not data:
        raise ValidationError("没有要修改的内容", {"active": "缺少修改内容"})
    expert = get(user, expert_id)
    if "employer_credit_code" in data:
        employer = parties.get_by_code(data.pop("employer_credit_code"))
        if employer is None:
            msg = "工作单位未在本系统登记"
            raise ValidationError(msg, {"employer_credit_code": msg})
        expert.employer_party_id = employer.id
    if "specialities" in data:
        data["specialities"] = sorted(set(data["specialities"]))
    for key, value in data.items():
        setattr(expert, key, value)
    ledger.append("expert_updated", actor=user,
                  detail={"expert": expert.id, "fields": sorted(payload)})  # fmt: skip
    db.session.commit()
    return expert


def get(user: User, expert_id: int) -> Expert:
    _bureau(user)
    expert = db.session.get(Expert, expert_id) if 0 < expert_id < 2**31 else None
    if expert is None:
        raise NotFound("专家不存在")
    return expert


@dataclass
class ExpertPage:
    items: list[Expert]
    total: int
    page: int
    per_page: int


def pool(user: User, *, speciality=None, active=None, page=1, per_page=50) -> ExpertPage:
    _bureau(user)
    query = select(Expert)
    if speciality is not None:
        if speciality not in rules.SPECIALITIES:
            raise ValidationError("专业无效", {"speciality": "无效"})
        # JSON lists differ between engines: filter the (small) pool in Python.
        ids = [e.id for e in db.session.scalars(select(Expert)) if speciality in e.specialities]
        query = query.where(Expert.id.in_(ids))
    if active is not None:
        query = query.where(Expert.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(Expert.employer))
        .order_by(Expert.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ExpertPage(list(items), total, page, per_page)


def to_json(e: Expert) -> dict:
    return {
        "id": e.id,
        "name": e.name,
        "title": e.title,
        "specialities": e.specialities,
        "employer": parties.to_json(e.employer),
        "phone": e.phone,
        "active": e.active,
    }


# ---------------------------------------------------------------- the draw


def conflicts(case: Case, report: Filing | None) -> dict[int, str]:
    """Party id → why its employees may not sit on this case's panels."""
    out: dict[int, str] = {}
    for a in db.session.scalars(
        select(Assignment).where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
    ):
        out.setdefault(a.party_id, "engaged")
    if report is not None and report.unit_party_id:
        out.setdefault(report.unit_party_id, "report_unit")
    out[case.responsible_party_id] = "responsible"
    out[case.site.landholder_party_id] = "landholder"
    return out


def _report(case: Case) -> Filing | None:
    kind = rules.REVIEW_REPORTS.get(case.state)
    return db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case.id, Filing.kind == kind)
        .order_by(Filing.id.desc())
        .limit(1)
    )


def draw(user: User, case_id: int, payload) -> Panel:
    """Draw a panel for the case's current review round; every draw (and redraw,
    which needs a reason) is in the ledger with what it takes to replay it. Commits."""
    _bureau(user)
    data = validate(payload, DRAW_SPEC, message="抽取信息有误")
    case, _caps = cases.load(user, case_id, lock=True)
    if case.state not in rules.REVIEW_REPORTS:
        raise InvalidTransition("只有处于审查阶段的案件才能抽取评审专家")
    earlier = list(db.session.scalars(
        select(Panel).where(Panel.case_id == case.id, Panel.stage == case.state)
    ))  # fmt: skip
    if any(p.round == case.round for p in earlier) and not data.get("reason"):
        msg = "本轮已抽取过专家；重新抽取须说明理由"
        raise ValidationError(msg, {"reason": msg})
    report = _report(case)
    barred = conflicts(case, report)
    reviewed = {m for p in earlier if p.round != case.round for m in p.members}
    excluded: dict[str, str] = {}
    candidates: list[int] = []
    for expert in db.session.scalars(
        select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)
    ):
        if expert.employer_party_id in barred:
            excluded[str(expert.id)] = barred[expert.employer_party_id]
        elif expert.id in reviewed:
            excluded[str(expert.id)] = "reviewed_before"
        else:
            candidates.append(expert.id)
    size = data["size"]
    if len(candidates) < size:
        msg = f"专家库中可抽取的专家只有 {len(candidates)} 名，少于 {size} 名"
        raise ValidationError(msg, {"size": msg})
    seed = secrets.token_hex(16)
    members = rules.draw(seed, candidates, size)
    panel = Panel(case_id=case.id, stage=case.state, round=case.round,
                  filing_id=report.id if report else None, size=size, seed=seed,
                  candidates=candidates, excluded=excluded, members=members,
                  reason=data.get("reason") or None, drawn_by_id=user.id,
                  drawn_at=clock.now())  # fmt: skip
    db.session.add(panel)
    db.session.flush()
    event = ledger.append(
        "panel_drawn", actor=user, case_id=case.id, from_state=case.state, to_state=case.state,
        detail={"panel": panel.id, "stage": case.state, "round": case.round,
                "report": panel.filing_id, "size": size, "seed": seed,
                "candidates": candidates, "excluded": excluded, "members": members,
                "algorithm": rules.ALGORITHM, "reason": panel.reason},
    )  # fmt: skip
    panel.ledger_seq = event.seq
    db.session.commit()
    return panel


def panels_for(user: User, case_id: int) -> list[Panel]:
    """The case's panels, newest first (the bureau's; panels stay confidential)."""
    _bureau(user)
    case, _caps = cases.load(user, case_id)
    return list(
        db.session.scalars(select(Panel).where(Panel.case_id == case.id).order_by(Panel.id.desc()))
    )


def panel_of(user: User, panel_id: int) -> Panel:
    """A panel of a case the officer may see; anything else is a 404."""
    _bureau(user)
    panel = db.session.get(Panel, panel_id) if 0 < panel_id < 2**31 else None
    if panel is None:
        raise NotFound("专家抽取记录不存在")
    cases.load(user, panel.case_id)
    return panel


def replay(user: User, panel_id: int) -> dict:
    """Repeat a draw from its ledger event alone and compare with the panel kept."""
    _bureau(user)
    panel = db.session.get(Panel, panel_id) if 0 < panel_id < 2**31 else None
    if panel is None:
        raise NotFound("专家抽取记录不存在")
    cases.load(user, panel.case_id)  # another county's panel is a 404
    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == panel.ledger_seq))
    detail = event.detail
    again = rules.draw(detail["seed"], detail["candidates"], detail["size"])
    return {
        "panel": panel.id,
        "ledger_seq": event.seq,
        "ledger_hash": event.hash,
        "algorithm": detail["algorithm"],
        "seed": detail["seed"],
        "candidates": detail["candidates"],
        "excluded": detail["excluded"],
        "size": detail["size"],
        "members_recorded": panel.members,
        "members_replayed": again,
        "matches": again == detail["members"] == panel.members,
    }


# ---------------------------------------------------------------- the meeting

MEETING_SPEC = {
    "held_on": F("date"),
    "attendance": F("list", item=F("int", min=1, max=2**31 - 1), min_items=1, max_items=rules.MAX_PANEL),
    "opinions": F("list", item=F("object", fields={
        "expert_id": F("int", min=1, max=2**31 - 1),
        "opinion": F("str", max_len=5000),
    }), min_items=1, max_items=rules.MAX_PANEL),
    "conclusion": F("enum", choices=rules.CONCLUSIONS),
    "summary": F("str", max_len=10000),
}  # fmt: skip


def record_meeting(user: User, panel_id: int, payload) -> Meeting:
    """专家评审会: who attended, each one's opinion, the conclusion. The panel's
    round must still be under review; a quorum of the panel attends; one meeting
    per panel. Commits; the ledger event carries the opinions."""
    _bureau(user)
    data = validate(payload, MEETING_SPEC, message="评审会记录有误")
    panel = db.session.get(Panel, panel_id) if 0 < panel_id < 2**31 else None
    if panel is None:
        raise NotFound("专家抽取记录不存在")
    case, _caps = cases.load(user, panel.case_id, lock=True)
    if (case.state, case.round) != (panel.stage, panel.round):
        raise InvalidTransition("案件已不在该专家组评审的阶段或轮次，不能再记录评审会")
    if db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id)):
        raise InvalidTransition("该专家组已记录评审会；再次评审须重新抽取专家")
    held_on = date.fromisoformat(data["held_on"])
    if held_on > clock.today() or held_on < clock.china_date(panel.drawn_at):
        msg = "会议日期须在抽取专家之后、不晚于今天"
        raise ValidationError(msg, {"held_on": msg})
    present = list(dict.fromkeys(data["attendance"]))
    fields = {}
    if not set(present) <= set(panel.members):
        fields["attendance"] = "出席专家须为本次抽取的专家"
    elif len(present) < rules.quorum(panel.size):
        fields["attendance"] = (
            f"出席专家不足：{panel.size} 名专家至少 {rules.quorum(panel.size)} 名出席"
        )
    said = [o["expert_id"] for o in data["opinions"]]
    if sorted(said) != sorted(present) or len(set(said)) != len(said):
        fields["opinions"] = "每位出席专家须有且只有一条意见"
    if fields:
        raise ValidationError("评审会记录有误", fields)
    meeting = Meeting(panel_id=panel.id, case_id=case.id, stage=panel.stage, round=panel.round,
                      filing_id=panel.filing_id, held_on=held_on, attendance=present,
                      opinions=data["opinions"], conclusion=data["conclusion"],
                      summary=data["summary"], recorded_by_id=user.id,
                      recorded_at=clock.now())  # fmt: skip
    db.session.add(meeting)
    db.session.flush()
    event = ledger.append(
        "meeting_recorded", actor=user, case_id=case.id, from_state=case.state, to_state=case.state,
        detail={"meeting": meeting.id, "panel": panel.id, "stage": panel.stage, "round": panel.round,
                "report": panel.filing_id, "held_on": held_on.isoformat(), "attendance": present,
                "opinions": data["opinions"], "conclusion": data["conclusion"],
                "summary": data["summary"]},
    )  # fmt: skip
    meeting.ledger_seq = event.seq
    db.session.commit()
    return meeting


def meeting_json(m: Meeting, experts: dict[int, Expert] | None, *, names: bool) -> dict:
    """A meeting for the case JSON and pages: expert names for the bureau only
    (parties read the opinions as 专家 1, 专家 2 …)."""
    label = {e: (experts[e].name if names and experts and e in experts else f"专家 {i}")
             for i, e in enumerate(m.attendance, 1)}  # fmt: skip
    return {
        "id": m.id,
        "panel_id": m.panel_id,
        "stage": m.stage,
        "round": m.round,
        "held_on": m.held_on.isoformat(),
        "conclusion": m.conclusion,
        "summary": m.summary,
        "attendance": len(m.attendance),
        "opinions": [
            {"expert": label.get(o["expert_id"], "专家"), "opinion": o["opinion"]}
            for o in m.opinions
        ],  # fmt: skip
        "ledger_seq": m.ledger_seq,
    }


def meetings_json(case_id: int, user: User, *, until=None) -> list[dict]:
    rows = [m for m in meetings.for_case(case_id)
            if until is None or ledger.iso(m.recorded_at) <= ledger.iso(until)]  # fmt: skip
    names = user.role in ("bureau", "admin")
    ids = {e for m in rows for e in m.attendance} if names else set()
    found = (
        {e.id: e for e in db.session.scalars(select(Expert).where(Expert.id.in_(ids)))}
        if ids
        else {}
    )
    return [meeting_json(m, found, names=names) for m in rows]


def panel_json(p: Panel, experts: dict[int, Expert] | None = None) -> dict:
    experts = experts if experts is not None else members_of([p])
    return {
        "id": p.id,
        "case_id": p.case_id,
        "stage": p.stage,
        "round": p.round,
        "report_filing_id": p.filing_id,
        "size": p.size,
        "seed": p.seed,
        "members": [
            {"id": m, "name": experts[m].name if m in experts else None} for m in p.members
        ],
        "candidates": len(p.candidates),
        "excluded": p.excluded,
        "reason": p.reason,
        "drawn_at": ledger.iso(p.drawn_at),
        "ledger_seq": p.ledger_seq,
    }


def members_of(panels: list[Panel]) -> dict[int, Expert]:
    ids = {m for p in panels for m in p.members}
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Expert).where(Expert.id.in_(ids)))}
