"""Parties (单位/个人): registration and the checks every reference to one passes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models import PARTY_KINDS, Party, User
from app.services import clock, ledger
from app.services.credit_codes import normalize_credit_code


def get_by_code(code: str) -> Party | None:
    try:
        code = normalize_credit_code(code)
    except ValidationError:
        return None
    return db.session.scalar(select(Party).where(Party.credit_code == code))


def get_or_404(code: str) -> Party:
    party = get_by_code(code)
    if party is None:
        raise NotFound(f"单位 {code} 未登记")
    return party


def usable(code: str, *, field: str, purpose: str) -> Party:
    """The registered, active, not banned party named by ``code``, or a 400 that
    says why (《土壤污染防治法》第九十条: 禁止从事业务的单位 may not file)."""
    try:
        normalized = normalize_credit_code(code)
    except ValidationError as exc:
        raise ValidationError(exc.message, {field: exc.message}) from None
    party = db.session.scalar(select(Party).where(Party.credit_code == normalized))
    if party is None:
        msg = f"{purpose}单位 {normalized} 未在本系统登记"
        raise ValidationError(msg, {field: msg})
    if party.status != "active":
        msg = f"{purpose}单位 {party.name}（{normalized}）已注销"
        raise ValidationError(msg, {field: msg})
    if party.is_banned(clock.today()):
        until = "终身" if party.banned_lifelong else f"至 {party.banned_until.isoformat()}"
        msg = f"{purpose}单位 {party.name}（{normalized}）被禁止从事相关业务（{until}）"
        raise ValidationError(msg, {field: msg})
    return party


def create_party(
    *, name: str, credit_code: str, kind: str, actor: User | None = None, commit: bool = True
) -> Party:
    """Register a party; commits (unless ``commit=False``: the caller's transaction)."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "名称须为 1–200 个字符"
    try:
        credit_code = normalize_credit_code(credit_code)
    except ValidationError as exc:
        errors["credit_code"] = exc.message
    else:
        if db.session.scalar(select(Party.id).where(Party.credit_code == credit_code)):
            errors["credit_code"] = f"统一社会信用代码 {credit_code} 已登记"
    if kind not in PARTY_KINDS:
        errors["kind"] = f"类型须为 {', '.join(PARTY_KINDS)} 之一"
    if errors:
        raise ValidationError("单位信息有误", errors)
    party = Party(name=name, credit_code=credit_code, kind=kind)
    db.session.add(party)
    db.session.flush()
    ledger.append(
        "party_registered",
        actor=actor,
        party=credit_code,
        detail={"name": name, "kind": kind},
    )
    if commit:
        db.session.commit()
    return party


def to_json(party: Party | None) -> dict | None:
    if party is None:
        return None
    return {
        "id": party.id,
        "name": party.name,
        "credit_code": party.credit_code,
        "kind": party.kind,
        "status": party.status,
        "banned": party.is_banned(clock.today()),
    }


# ---------------------------------------------------------------- bans


def ban(user: User, party: Party, payload) -> Party:
    """Ban a unit from the work (《土壤污染防治法》第九十条: 出具虚假报告的单位，
    禁止从事相关业务), until a date or for life, with a reason. Commits."""
    from app.models import Ban
    from app.services.schema import F, validate

    if user.role != "bureau" or user.department != "environment":
        raise Forbidden("仅限生态环境部门工作人员")
    data = validate(
        payload,
        {"until": F("str", max_len=20), "reason": F("str", max_len=5000)},
        message="禁入信息有误",
    )
    lifelong = data["until"] == "lifelong"
    until = None
    if not lifelong:
        try:
            until = date.fromisoformat(data["until"])
        except ValueError:
            msg = "until 须为日期 YYYY-MM-DD 或 lifelong"
            raise ValidationError(msg, {"until": msg}) from None
        if until < clock.today():
            msg = "禁入截止日期不能早于今天"
            raise ValidationError(msg, {"until": msg})
    party.banned_lifelong = lifelong or party.banned_lifelong
    if until and (party.banned_until is None or until > party.banned_until):
        party.banned_until = until
    party.ban_reason = data["reason"]
    db.session.add(
        Ban(party_id=party.id, until=until, lifelong=lifelong, reason=data["reason"],
            decided_by_id=user.id, decided_at=clock.now())
    )  # fmt: skip
    ledger.append(
        "party_banned",
        actor=user,
        party=party.credit_code,
        detail={"until": "lifelong" if lifelong else until.isoformat(), "reason": data["reason"]},
    )
    db.session.commit()
    return party


def lift_ban(user: User, party: Party, payload) -> Party:
    """Lift every active ban (e.g. after an administrative review), with a reason. Commits."""
    from app.models import Ban
    from app.services.schema import F, validate

    if user.role != "bureau" or user.department != "environment":
        raise Forbidden("仅限生态环境部门工作人员")
    data = validate(payload, {"reason": F("str", max_len=5000)}, message="须说明解除理由")
    if not party.is_banned(clock.today()):
        raise InvalidTransition("该单位当前未被禁入")
    now = clock.now()
    for b in db.session.scalars(
        select(Ban).where(Ban.party_id == party.id, Ban.lifted_at.is_(None))
    ):
        b.lifted_at, b.lifted_by_id, b.lift_reason = now, user.id, data["reason"]
    party.banned_lifelong, party.banned_until = False, None
    ledger.append("party_ban_lifted", actor=user, party=party.credit_code,
                  detail={"reason": data["reason"]})  # fmt: skip
    db.session.commit()
    return party


# ---------------------------------------------------------------- credit record


def credit_record(party: Party, *, public: bool) -> dict:
    """A unit's record: reports filed, reports returned by the bureau, failed
    evaluations of works it carried out, and bans. ``public`` leaves out the
    case-level detail and the names of officers."""
    from app.models import Assignment, Ban, Filing, Review
    from workflows import REVIEW_OF, STAGE_FILING

    filed = dict(
        db.session.execute(
            select(Filing.kind, func.count())
            .where(Filing.unit_party_id == party.id)
            .group_by(Filing.kind)
        ).all()
    )
    # A return sends back the stage filing made in the round before the review.
    returned_rows = db.session.execute(
        select(Review.case_id, Review.from_state, Review.comment, Review.at, Filing.kind)
        .join(Filing, (Filing.case_id == Review.case_id) & (Filing.round == Review.round - 1))
        .where(Review.action == "return", Filing.unit_party_id == party.id)
        .order_by(Review.at)
    ).all()
    returned, seen = [], set()
    for r in returned_rows:  # one return counts once, however often the report was refiled
        key = (r.case_id, r.at)
        if STAGE_FILING.get(REVIEW_OF.get(r.from_state, "")) == r.kind and key not in seen:
            seen.add(key)
            returned.append(r)
    contractor_cases = select(Assignment.case_id).where(
        Assignment.party_id == party.id, Assignment.role == "contractor"
    )
    evaluations = db.session.execute(
        select(Filing.case_id, Filing.data, Filing.created_at).where(
            Filing.kind == "evaluation_report", Filing.case_id.in_(contractor_cases)
        )
    ).all()
    failed = [e for e in evaluations if e.data.get("passed") is False]
    bans = list(db.session.scalars(select(Ban).where(Ban.party_id == party.id).order_by(Ban.id)))
    record = {
        "party": to_json(party),
        "reports_filed": sum(filed.values()),
        "reports_filed_by_kind": filed,
        "reports_returned": len(returned),
        "evaluations_failed": len(failed),
        "banned": party.is_banned(clock.today()),
        "bans": [
            {
                "until": "lifelong" if b.lifelong else b.until.isoformat(),
                "reason": b.reason,
                "decided_at": clock.iso(b.decided_at),
                "lifted_at": clock.iso(b.lifted_at),
                **(
                    {}
                    if public
                    else {"decided_by": b.decided_by.username, "lift_reason": b.lift_reason}
                ),
            }
            for b in bans
        ],  # fmt: skip
    }
    if not public:
        record["returns"] = [
            {"case_id": r.case_id, "stage": r.from_state, "kind": r.kind, "comment": r.comment,
             "at": clock.iso(r.at)}
            for r in returned
        ]  # fmt: skip
        record["failed_evaluations"] = [
            {"case_id": e.case_id, "at": clock.iso(e.created_at)} for e in failed
        ]
    return record
