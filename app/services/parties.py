"""Parties (单位/个人): registration and the checks every reference to one passes."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import NotFound, ValidationError
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


def create_party(*, name: str, credit_code: str, kind: str, actor: User | None = None) -> Party:
    """Register a party; commits."""
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
    db.session.commit()
    return party


def to_json(party: Party | None) -> dict | None:
    if party is None:
        return None
    return {
        "name": party.name,
        "credit_code": party.credit_code,
        "kind": party.kind,
        "status": party.status,
    }
