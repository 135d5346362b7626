"""Who answers for a case, over time: "谁污染，谁治理" (《土壤污染防治法》第四十五条).

The responsible party follows the case through successions (第四十七条: 土壤污染
责任人变更的，由变更后承继其债权、债务的单位或者个人履行相关土壤污染风险管控和修复义务),
land-use-right transfers (the party the contract names) and, when no party is
left, falls to the county government (第四十五条第二款); a disputed or unknown
responsibility is determined (认定) by the bureau jointly with natural resources
(第四十八条). Every change closes the current entry and opens a new one — the
history is never overwritten — and writes one ledger event per case.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models import (
    Case,
    Determination,
    Filing,
    Handover,
    Party,
    Responsibility,
    Site,
    User,
)
from app.services import cases, clock, jurisdiction, ledger, parties
from app.services.schema import F, validate

OPEN = Case.state != "released"
HANDED_OVER_KINDS = (
    "survey_report",
    "risk_assessment_report",
    "remediation_plan",
    "evaluation_report",
)


def _bureau(user: User, department: str | None = "environment") -> None:
    if user.role != "bureau" or (department and user.department != department):
        dept = {"environment": "生态环境", "natural_resources": "自然资源"}.get(department, "")
        raise Forbidden(f"仅限{dept}部门工作人员")


def _party_ref(ref: str) -> Party:
    """A party by database id or by credit code."""
    ref = str(ref)
    party = None
    if ref.isascii() and ref.isdigit() and len(ref) < 10:  # "¹".isdigit() is true too
        party = db.session.get(Party, int(ref))
    if party is None:
        party = parties.get_by_code(ref)
    if party is None:
        raise NotFound("单位不存在")
    return party


def change_responsible(
    case: Case,
    party: Party,
    *,
    basis: str,
    actor: User,
    note: str | None = None,
    evidence_document_id: int | None = None,
    action: str = "responsibility_changed",
    extra: dict | None = None,
    at=None,
) -> None:
    """Close the current responsible entry of ``case`` and open one for ``party``.
    Adds to the session; the caller commits."""
    now = at or clock.now()
    previous = db.session.scalar(
        select(Responsibility).where(
            Responsibility.case_id == case.id,
            Responsibility.role == "responsible",
            Responsibility.valid_to.is_(None),
        )
    )
    if previous is not None:
        previous.valid_to = now
    db.session.add(
        Responsibility(
            case_id=case.id,
            role="responsible",
            party_id=party.id,
            basis=basis,
            valid_from=now,
            recorded_by_id=actor.id,
            evidence_document_id=evidence_document_id,
            note=note,
        )
    )
    old_code = previous.party.credit_code if previous is not None else None
    case.responsible_party_id = party.id
    case.updated_at = now
    ledger.append(
        action,
        at=now,
        actor=actor,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        detail={
            "from": old_code,
            "to": party.credit_code,
            "basis": basis,
            "note": note,
            **(extra or {}),
        },
    )


def succession(user: User, party_ref: str, payload) -> dict:
    """A dissolved party's open cases move to the unit that took over its claims
    and debts, basis ``successor``, in one transaction. Commits."""
    _bureau(user)
    data = validate(
        payload,
        {"successor_credit_code": F("credit_code"), "note": F("str", required=False)},
        message="承继信息有误",
    )
    party = _party_ref(party_ref)
    successor = parties.usable(
        data["successor_credit_code"], field="successor_credit_code", purpose="承继"
    )
    if successor.id == party.id:
        msg = "承继单位不能是被承继单位本身"
        raise ValidationError(msg, {"successor_credit_code": msg})
    party.status = "dissolved"
    party.successor_id = successor.id
    moved = _move_open_cases(
        user,
        party,
        successor,
        basis="successor",
        note=data.get("note") or f"{party.name} 注销，由 {successor.name} 承继债权债务",
    )
    ledger.append(
        "party_succeeded",
        actor=user,
        party=party.credit_code,
        detail={"successor": successor.credit_code, "cases": moved},
    )
    db.session.commit()
    return {"party": parties.to_json(party), "successor": parties.to_json(successor),
            "moved_cases": moved}  # fmt: skip


def fall_to_government(user: User, party_ref: str, payload) -> dict:
    """A party gone with no successor: its open cases fall to the county
    government (责任主体灭失), on a bureau decision. Commits."""
    _bureau(user)
    data = validate(
        payload,
        {"government_credit_code": F("credit_code"), "reason": F("str", max_len=5000)},
        message="决定信息有误",
    )
    party = _party_ref(party_ref)
    government = parties.usable(
        data["government_credit_code"], field="government_credit_code", purpose="县级人民政府"
    )
    if government.kind != "government":
        msg = "须为登记类型为 government 的县级人民政府"
        raise ValidationError(msg, {"government_credit_code": msg})
    party.status = "dissolved"
    moved = _move_open_cases(
        user, party, government, basis="county_government", note=data["reason"]
    )
    ledger.append(
        "party_vanished",
        actor=user,
        party=party.credit_code,
        detail={"government": government.credit_code, "cases": moved, "reason": data["reason"]},
    )
    db.session.commit()
    return {"party": parties.to_json(party), "government": parties.to_json(government),
            "moved_cases": moved}  # fmt: skip


def _move_open_cases(user, party, to, *, basis, note) -> list[int]:
    """The party's open cases in ``user``'s jurisdiction (a county officer moves
    their county's cases only; another county decides on its own)."""
    query = select(Case).where(Case.responsible_party_id == party.id, OPEN)
    if user.role == "bureau":
        query = query.where(
            Case.site_id.in_(select(Site.id).where(jurisdiction.clause(user, Site.county_code)))
        )
    open_cases = list(db.session.scalars(query.order_by(Case.id).with_for_update()))
    for case in open_cases:
        change_responsible(case, to, basis=basis, actor=user, note=note)
    return [c.id for c in open_cases]


# ---------------------------------------------------------------- 认定


DETERMINATION_SPEC = {
    "credit_code": F("credit_code"),
    "basis": F("enum", choices=("polluter", "successor", "transferee", "county_government")),
    "reason": F("str", max_len=10000),
}


def propose_determination(user: User, case_id: int, payload) -> Determination:
    """The environment department proposes who is responsible. Commits."""
    _bureau(user)
    data = validate(payload, DETERMINATION_SPEC, message="认定信息有误")
    case, _ = cases.load(user, case_id, lock=True)
    if case.state == "released":
        raise InvalidTransition("案件已办结，无需认定责任人")
    party = parties.usable(data["credit_code"], field="credit_code", purpose="责任")
    if data["basis"] == "county_government" and party.kind != "government":
        msg = "依据为 county_government 时须指定县级人民政府"
        raise ValidationError(msg, {"credit_code": msg})
    det = Determination(
        case_id=case.id,
        party_id=party.id,
        basis=data["basis"],
        reason=data["reason"],
        proposed_by_id=user.id,
        proposed_at=clock.now(),
    )
    db.session.add(det)
    db.session.flush()
    ledger.append(
        "determination_proposed",
        actor=user,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        detail={"determination": det.id, "party": party.credit_code, "basis": det.basis,
                "reason": det.reason},
    )  # fmt: skip
    db.session.commit()
    return det


def sign_determination(user: User, determination_id: int) -> Determination:
    """Natural resources co-signs (会同); the determination takes effect. Commits."""
    _bureau(user, "natural_resources")
    det = db.session.scalar(
        select(Determination).where(Determination.id == determination_id).with_for_update()
    )
    if det is None:
        raise NotFound("认定不存在")
    case, _ = cases.load(user, det.case_id, lock=True)
    if det.status != "proposed":
        raise InvalidTransition("该认定已生效或已撤回")
    det.status, det.signed_by_id, det.signed_at = "effective", user.id, clock.now()
    change_responsible(
        case,
        det.party,
        basis=det.basis,
        actor=user,
        note=det.reason,
        action="responsibility_determined",
        extra={"determination": det.id, "proposed_by": det.proposed_by.username},
    )
    db.session.commit()
    return det


def determination_json(det: Determination) -> dict:
    return {
        "id": det.id,
        "case_id": det.case_id,
        "party": parties.to_json(det.party),
        "basis": det.basis,
        "reason": det.reason,
        "status": det.status,
        "proposed_by": det.proposed_by.username,
        "proposed_at": clock.iso(det.proposed_at),
        "signed_by": det.signed_by.username if det.signed_by else None,
        "signed_at": clock.iso(det.signed_at),
    }


# ---------------------------------------------------------------- land transfer


TRANSFER_SPEC = {
    "transferee_credit_code": F("credit_code"),
    "contract_date": F("date"),
    "transferee_responsible": F("bool", required=False),
    "note": F("str", required=False, max_len=5000),
}


def transfer_land(user: User, site_code: str, payload) -> Handover:
    """The land-use right passes to the transferee: the plot's landholder changes,
    the reports are handed over (第六十七条), and — if the contract says so — the
    transferee becomes the responsible party (basis ``transferee``). The previous
    holder keeps read access to the history it created. Commits."""
    data = validate(payload, TRANSFER_SPEC, message="转让信息有误")
    site = db.session.scalar(select(Site).where(Site.code == str(site_code)[:32]).with_for_update())
    if site is None:
        raise NotFound("地块不存在")
    is_holder = user.party_id is not None and user.party_id == site.landholder_party_id
    # The bureau acts on plots of its own county only: another county's is a 404, as
    # on every other route (issue 17).
    own_bureau = user.role == "bureau" and jurisdiction.covers(user, site.county_code)
    if not (is_holder or (own_bureau and user.department == "environment")):
        if any(cases.capacities(user, c) for c in site.cases):
            raise Forbidden("只有现土地使用权人或生态环境部门可以登记转让")
        from app import security_log

        security_log.event("authz_fail", user=user, object=f"site:{site.code}")
        raise NotFound("地块不存在")
    transferee = parties.usable(
        data["transferee_credit_code"], field="transferee_credit_code", purpose="受让"
    )
    if transferee.id == site.landholder_party_id:
        msg = "受让人已是该地块的土地使用权人"
        raise ValidationError(msg, {"transferee_credit_code": msg})
    contract_date = date.fromisoformat(data["contract_date"])
    if contract_date > clock.today():
        msg = "合同日期不能晚于今天"
        raise ValidationError(msg, {"contract_date": msg})
    previous = site.landholder
    now = clock.now()
    case_ids = [c.id for c in site.cases]
    reports = list(
        db.session.scalars(
            select(Filing.id)
            .where(Filing.case_id.in_(case_ids), Filing.kind.in_(HANDED_OVER_KINDS))
            .order_by(Filing.id)
        )
    )
    handover = Handover(
        site_id=site.id,
        from_party_id=previous.id,
        to_party_id=transferee.id,
        contract_date=contract_date,
        transferee_responsible=bool(data.get("transferee_responsible")),
        filing_ids=reports,
        recorded_by_id=user.id,
        at=now,
    )
    db.session.add(handover)
    site.landholder_party_id = transferee.id
    for case in site.cases:
        current = db.session.scalar(
            select(Responsibility).where(
                Responsibility.case_id == case.id,
                Responsibility.role == "landholder",
                Responsibility.valid_to.is_(None),
            )
        )
        if current is not None:
            current.valid_to = now
        db.session.add(
            Responsibility(
                case_id=case.id,
                role="landholder",
                party_id=transferee.id,
                valid_from=now,
                recorded_by_id=user.id,
                note=f"土地使用权转让，合同日期 {contract_date.isoformat()}",
            )
        )
        ledger.append(
            "land_transferred",
            at=now,
            actor=user,
            case_id=case.id,
            from_state=case.state,
            to_state=case.state,
            detail={
                "site": site.code,
                "from": previous.credit_code,
                "to": transferee.credit_code,
                "contract_date": contract_date.isoformat(),
                "handed_over_filings": reports,
            },
        )
        if data.get("transferee_responsible") and case.state != "released":
            change_responsible(
                case,
                transferee,
                basis="transferee",
                actor=user,
                note="转让合同约定由受让人承担土壤污染风险管控和修复义务",
                at=now,
            )
    db.session.commit()
    return handover


def handover_json(h: Handover) -> dict:
    return {
        "id": h.id,
        "from": parties.to_json(h.from_party),
        "to": parties.to_json(h.to_party),
        "contract_date": h.contract_date.isoformat(),
        "transferee_responsible": h.transferee_responsible,
        "handed_over_filings": h.filing_ids,
        "at": clock.iso(h.at),
    }
