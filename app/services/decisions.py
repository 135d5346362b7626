"""Numbered decisions (DESIGN.md §10): every ``approve`` and ``require_*`` of the
bureau carries a number unique per county, kind and year, without gaps.

The number is taken in the decision's own transaction from a sequence row
locked by an UPDATE (PostgreSQL: concurrent approvals queue on that row; SQLite:
writers are serialised anyway), so two approvals never share a number and a
rolled-back approval gives its number back. The kinds and the shape of the
number are data in ``workflows/decisions.py``.

《土壤污染防治法》第五十八条、第六十六条: listing on the register and release
from it are decided provincially; such decisions may record the provincial
decision's number and date. With ``PROVINCIAL_DECISIONS`` (a prefecture or
province deployment, issue 18) those two kinds are taken in the platform by a
prefecture or provincial officer: numbered in that region's sequence with its
prefix (德环土录〔2026〕1号), which is then the provincial decision itself. Every
other decision is numbered in the plot's county (陇环土…, 瑞环土…).
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import Case, Decision, DecisionSequence, User
from app.services import clock, jurisdiction, regions
from workflows import decisions as rules

PROVINCIAL_MSG = "省级决定须为 {number: 文号, date: YYYY-MM-DD}"


def parse_provincial(raw) -> dict | None:
    """``provincial_decision`` of an action payload: None, or number and date."""
    if raw is None:
        return None
    fields = {}
    if not isinstance(raw, dict) or set(raw) - {"number", "date"}:
        raise ValidationError(PROVINCIAL_MSG, {"provincial_decision": PROVINCIAL_MSG})
    number = raw.get("number")
    if not isinstance(number, str) or not number.strip() or len(number) > 100:
        fields["provincial_decision.number"] = "须填写省级决定文号（不超过 100 字）"
    day = raw.get("date")
    try:
        day = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        day = None
    if day is None:
        fields["provincial_decision.date"] = "须为日期 YYYY-MM-DD"
    elif day > clock.today():
        fields["provincial_decision.date"] = "省级决定日期不能晚于今天"
    if fields:
        raise ValidationError(PROVINCIAL_MSG, fields)
    return {"number": number.strip(), "date": day.isoformat()}


def _next_seq(county: str, kind: str, year: int) -> int:
    key = (
        (DecisionSequence.county == county)
        & (DecisionSequence.kind == kind)
        & (DecisionSequence.year == year)
    )
    bump = update(DecisionSequence).where(key).values(last=DecisionSequence.last + 1)
    for _ in range(2):
        seq = db.session.scalar(bump.returning(DecisionSequence.last))
        if seq is not None:
            return seq
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(DecisionSequence)
            .values(county=county, kind=kind, year=year, last=0)
            .on_conflict_do_nothing()
        )
    raise RuntimeError("decision sequence row could not be created")  # pragma: no cover


def number_for(county: str, kind: str, year: int) -> str:
    """The next number of ``kind`` in ``county``'s sequence for ``year``, taken in the
    current transaction (a decision that is not a case's: a farmland class)."""
    seq = _next_seq(county, kind, year)
    return rules.number_text(regions.decision_prefix(county), kind, year, seq)


PROVINCIAL_ONLY_MSG = "列入或移出名录由省级（或受委托的州、市级）生态环境主管部门决定：请报上级审批"


def provincial_here(kind: str | None) -> bool:
    """Whether a decision of ``kind`` is taken by a prefecture or provincial officer."""
    return bool(current_app.config.get("PROVINCIAL_DECISIONS")) and kind in rules.PROVINCIAL_KINDS


def may_decide(user: User | None, kind: str | None) -> bool:
    """A county officer may take every decision but, with PROVINCIAL_DECISIONS,
    listing and release."""
    return (
        not provincial_here(kind)
        or user is None
        or user.role == "admin"
        or jurisdiction.is_upper(user)
    )


def issue(case: Case, action: str, from_state: str, to_state: str, *, provincial=None,
          review_id=None, user: User | None = None) -> Decision | None:  # fmt: skip
    """The decision ``action`` takes, numbered; None for actions that decide nothing.
    A ``provincial`` decision is refused on anything but listing and release."""
    kind = rules.kind_of(action, from_state, to_state)
    if kind is None:
        if provincial:
            raise ValidationError(
                "省级决定仅用于列入或移出名录", {"provincial_decision": "仅用于列入或移出名录"}
            )
        return None
    if provincial and kind not in rules.PROVINCIAL_KINDS:
        msg = "省级决定仅用于列入或移出名录（本次审批为" + rules.KIND_LABELS_ZH[kind] + "）"
        raise ValidationError(msg, {"provincial_decision": msg})
    if not may_decide(user, kind):
        raise Forbidden(PROVINCIAL_ONLY_MSG)
    today = clock.today()
    county = case.site.county_code
    if provincial_here(kind) and user is not None and jurisdiction.is_upper(user):
        county = user.region_code  # the prefecture's or province's own sequence
    seq = _next_seq(county, kind, today.year)
    number = rules.number_text(regions.decision_prefix(county), kind, today.year, seq)
    if provincial_here(kind) and not provincial:
        provincial = {"number": number, "date": today.isoformat()}
    decision = Decision(
        case_id=case.id,
        county=county,
        kind=kind,
        year=today.year,
        seq=seq,
        number=number,
        action=action,
        from_state=from_state,
        to_state=to_state,
        decided_on=today,
        review_id=review_id,
        provincial_number=provincial["number"] if provincial else None,
        provincial_date=date.fromisoformat(provincial["date"]) if provincial else None,
        created_at=clock.now(),
    )
    db.session.add(decision)
    db.session.flush()
    return decision


def for_case(case_id: int) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
        )
    )


def to_json(d: Decision) -> dict:
    out = {
        "number": d.number,
        "kind": d.kind,
        "kind_label": rules.KIND_LABELS_ZH[d.kind],
        "date": d.decided_on.isoformat(),
        "to_state": d.to_state,
        "issued_by": regions.name(d.county),
        "provincial_decision": None,
    }
    if d.provincial_number:
        out["provincial_decision"] = {
            "number": d.provincial_number,
            "date": d.provincial_date.isoformat() if d.provincial_date else None,
        }
    return out


def ledger_detail(d: Decision | None) -> dict:
    """What the decision adds to its ledger event (hashed with it)."""
    if d is None:
        return {}
    out = {"decision": d.number, "decision_kind": d.kind}
    if d.provincial_number:
        out["provincial_decision"] = {
            "number": d.provincial_number,
            "date": d.provincial_date.isoformat() if d.provincial_date else None,
        }
    return out
