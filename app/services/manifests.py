"""Soil transfer manifests (转运联单), DESIGN.md §6.

《土壤污染防治法》第四十条: 转运污染土壤的，应当提前报所在地和接收地生态环境主管部门
(reported ahead by ``TRANSFER_NOTICE_WORKING_DAYS`` Chinese working days).
reported → in_transit (dispatch) → received, or → discrepancy when the received
quantity differs from the dispatched one by more than ``TRANSFER_DISCREPANCY_PCT``;
the bureau resolves a discrepancy with a comment on record.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import security_log
from app.errors import Forbidden, InvalidTransition, NotFound, StaleVersion, ValidationError
from app.extensions import db
from app.models import TRANSPORT_MODES, Assignment, Case, Manifest, Responsibility, User
from app.services import cases, clock, jurisdiction, ledger, parties, regions, workdays
from app.services.schema import F, validate

MANIFEST_SPEC = {
    "quantity_t": F("number", gt=0, max=1e7),
    "mode": F("enum", choices=TRANSPORT_MODES),
    "route": F("str", max_len=2000),
    "origin_address": F("str", max_len=300),
    "destination_facility_credit_code": F("credit_code"),
    "destination_county": F("str", max_len=50),
    "planned_start": F("date"),
    "planned_end": F("date"),
    "final_disposal": F("str", max_len=2000),
}
STATUS_LABELS_ZH = {
    "reported": "已报告",
    "in_transit": "运输中",
    "received": "已接收",
    "discrepancy": "数量差异待处理",
}
REPORTING_STATES = ("transfer_reporting", "works")


def _quantity(payload, field="quantity_t") -> Decimal:
    data = validate(payload, {field: F("number", gt=0, max=1e7)}, message="数量有误")
    return Decimal(str(round(data[field], 3)))


def create(user: User, case_id: int, payload) -> Manifest:
    """Report a transfer. Commits."""
    if user.role not in ("landholder", "contractor"):
        raise Forbidden("只有修复施工单位或责任人可以报告转运联单")
    case, caps = cases.load(user, case_id, lock=True)
    if not caps & {"contractor", "responsible"}:
        raise Forbidden("只有修复施工单位或责任人可以报告转运联单")
    if case.state not in REPORTING_STATES:
        raise InvalidTransition(f"案件处于 {case.state}，只有转运报告或施工阶段可以报告转运联单")
    data = validate(payload, MANIFEST_SPEC, message="转运联单填写有误")
    facility = parties.usable(
        data["destination_facility_credit_code"],
        field="destination_facility_credit_code",
        purpose="接收",
    )
    from datetime import date

    start, end = date.fromisoformat(data["planned_start"]), date.fromisoformat(data["planned_end"])
    if end < start:
        raise ValidationError("计划结束日期不能早于开始日期", {"planned_end": "不能早于开始日期"})
    notice = current_app.config["TRANSFER_NOTICE_WORKING_DAYS"]
    today = clock.today()
    if workdays.workdays_between(today, start) < notice:
        earliest = workdays.earliest_transfer_start(today, notice)
        msg = (
            f"转运须提前 {notice} 个工作日报告：今天是 {today.isoformat()}，"
            f"计划开始日期最早为 {earliest.isoformat()}"
        )
        raise ValidationError(msg, {"planned_start": msg})
    manifest = Manifest(
        case_id=case.id,
        status="reported",
        quantity_t=Decimal(str(round(data["quantity_t"], 3))),
        mode=data["mode"],
        route=data["route"],
        origin_address=data["origin_address"],
        origin_county_code=case.site.county_code,
        destination_facility_party_id=facility.id,
        destination_county=data["destination_county"],
        destination_county_code=destination_code(data["destination_county"]),
        planned_start=start,
        planned_end=end,
        final_disposal=data["final_disposal"],
        reported_by_id=user.id,
        reporter_party_id=user.party_id,
        created_at=clock.now(),
    )
    db.session.add(manifest)
    db.session.flush()
    manifest.number = f"ZY-{manifest.origin_county_code}-{today.year}-{manifest.id:06d}"
    ledger.append(
        "manifest_reported",
        actor=user,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        detail={
            "manifest": manifest.number,
            "quantity_t": str(manifest.quantity_t),
            "destination": facility.credit_code,
            "destination_county": manifest.destination_county,
            "destination_county_code": manifest.destination_county_code,
            "destination_name": facility.name,
            "planned_start": data["planned_start"],
            "planned_end": data["planned_end"],
        },
    )
    db.session.commit()
    return manifest


def destination_code(text: str) -> str | None:
    """The county a reported ``destination_county`` names: a GB/T 2260 county code
    (which must be known), or the one county of that name; None for a place the
    register does not know (outside the platform, kept as text)."""
    text = text.strip()
    if regions.CODE.match(text):
        return regions.county_code(text, field="destination_county", served_only=False)
    found = regions.by_name(text)
    return found.code if found else None


def inside(m: Manifest) -> bool:
    """Whether the destination is a county this platform serves (its bureau sees it)."""
    return m.destination_county_code in regions.served_codes()


def _can_see(user: User, m: Manifest) -> set[str]:
    """How ``user`` relates to the manifest: case capacities, facility, bureau. A
    former landholder or responsible party sees only manifests reported before it
    handed over (issue 17: as its filings, ledger and documents)."""
    caps = cases.capacities(user, m.case) if user.role != "bureau" else set()
    if caps == {"former_party"} and not _before(m, cases.history_cutoff(user, m.case)):
        caps = set()
    if user.party_id is not None and user.party_id == m.destination_facility_party_id:
        caps.add("facility")
    if user.role == "bureau":
        if jurisdiction.covers(user, m.origin_county_code):
            caps.add(f"bureau_{user.department}")
        if m.destination_county_code and jurisdiction.covers(user, m.destination_county_code):
            caps.update({f"bureau_{user.department}", "destination_bureau"})
    if user.role == "admin":
        caps.add("admin")
    return caps


def load(user: User, manifest_id: int, *, lock=False) -> tuple[Manifest, set[str]]:
    if not isinstance(manifest_id, int) or not 0 < manifest_id < 2**31:
        raise NotFound("转运联单不存在")
    query = select(Manifest).where(Manifest.id == manifest_id)
    if lock:
        query = query.with_for_update()
    m = db.session.scalar(query)
    if m is None:
        raise NotFound("转运联单不存在")
    caps = _can_see(user, m)
    if not caps:
        security_log.event("authz_fail", user=user, object=f"manifest:{manifest_id}")
        raise NotFound("转运联单不存在")
    return m, caps


def _step(user, m: Manifest, action: str, detail: dict) -> Manifest:
    ledger.append(
        action,
        actor=user,
        case_id=m.case_id,
        from_state=m.case.state,
        to_state=m.case.state,
        detail={"manifest": m.number, "status": m.status, **detail},
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion("转运联单已被他人更新，请刷新后重试") from None
    return m


def dispatch(user: User, manifest_id: int, payload) -> Manifest:
    m, caps = load(user, manifest_id, lock=True)
    if not caps & {"contractor", "responsible"}:
        raise Forbidden("只有修复施工单位或责任人可以登记发运")
    quantity = _quantity(payload)
    if m.status != "reported":
        raise InvalidTransition(f"联单状态为 {m.status}，只有已报告的联单可以发运")
    if m.case.state not in REPORTING_STATES:
        raise InvalidTransition("案件不在转运报告或施工阶段")
    m.status, m.dispatched_t, m.dispatched_at = "in_transit", quantity, clock.now()
    return _step(user, m, "manifest_dispatched", {"dispatched_t": str(quantity)})


def receive(user: User, manifest_id: int, payload) -> Manifest:
    m, caps = load(user, manifest_id, lock=True)
    if not caps & {"facility", "bureau_environment", "bureau_natural_resources"}:
        raise Forbidden("只有接收单位或生态环境部门可以确认接收")
    quantity = _quantity(payload)
    if m.status != "in_transit":
        raise InvalidTransition(f"联单状态为 {m.status}，只有运输中的联单可以确认接收")
    pct = abs(quantity - m.dispatched_t) / m.dispatched_t * 100
    limit = Decimal(current_app.config["TRANSFER_DISCREPANCY_PCT"])
    m.status = "discrepancy" if pct > limit else "received"
    m.received_t, m.received_at = quantity, clock.now()
    return _step(
        user,
        m,
        "manifest_received",
        {"received_t": str(quantity), "difference_pct": f"{pct:.2f}"},
    )


def acknowledge(user: User, manifest_id: int, payload) -> Manifest:
    """The destination county's bureau confirms it has been told of a transfer
    into its county (once; ledger ``manifest_acknowledged``)."""
    m, caps = load(user, manifest_id, lock=True)
    if "destination_bureau" not in caps or user.department != "environment":
        raise Forbidden("只有接收地生态环境主管部门可以确认知悉")
    data = validate(payload if payload is not None else {},
                    {"comment": F("str", max_len=5000, required=False)},
                    message="确认知悉的意见有误")  # fmt: skip
    if m.destination_county_code == m.origin_county_code:
        raise InvalidTransition("本县内转运，无需接收地确认")
    if m.acknowledged_at is not None:
        raise InvalidTransition("接收地生态环境主管部门已确认知悉")
    m.acknowledged_at, m.acknowledged_by_id = clock.now(), user.id
    return _step(user, m, "manifest_acknowledged",
                 {"county_code": m.destination_county_code, "comment": data.get("comment")})  # fmt: skip


def resolve(user: User, manifest_id: int, payload) -> Manifest:
    m, caps = load(user, manifest_id, lock=True)
    if not caps & {"bureau_environment", "bureau_natural_resources"}:
        raise Forbidden("只有生态环境部门可以处理数量差异")
    data = validate(payload, {"comment": F("str", max_len=5000)}, message="须填写处理意见")
    if m.status != "discrepancy":
        raise InvalidTransition(f"联单状态为 {m.status}，没有待处理的数量差异")
    m.status, m.resolution = "received", data["comment"]
    m.resolved_by_id, m.resolved_at = user.id, clock.now()
    return _step(user, m, "manifest_resolved", {"comment": data["comment"]})


def _aware(at):
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def _before(m: Manifest, cutoff) -> bool:
    return cutoff is not None and _aware(m.created_at) <= _aware(cutoff)


def for_case(case_id: int) -> list[Manifest]:
    return list(
        db.session.scalars(
            select(Manifest)
            .options(selectinload(Manifest.destination_facility))
            .where(Manifest.case_id == case_id)
            .order_by(Manifest.id)
        )
    )


def for_case_seen_by(user: User, case_id: int) -> list[Manifest]:
    """The case's manifests ``user`` may read (a former party: those before its hand-over)."""
    case, caps = cases.load(user, case_id)
    rows = for_case(case_id)
    if caps == {"former_party"}:
        cutoff = cases.history_cutoff(user, case)
        rows = [m for m in rows if _before(m, cutoff)]
    return rows


def list_for(user: User, *, status: str | None = None, page=1, per_page=50):
    """Manifests the user may see: bureau by origin/destination county, a facility
    its incoming ones, others those of their cases."""
    query = select(Manifest).options(
        selectinload(Manifest.destination_facility), selectinload(Manifest.case)
    )
    if user.role == "bureau":
        query = query.where(
            or_(jurisdiction.clause(user, Manifest.origin_county_code),
                jurisdiction.clause(user, Manifest.destination_county_code))
        )  # fmt: skip
    elif user.role != "admin":
        pid = user.party_id or -1
        # A former landholder or responsible party: the manifests reported before its
        # responsibility ended (issue 17), like the rest of the history it keeps.
        former = exists().where(
            Responsibility.case_id == Manifest.case_id,
            Responsibility.party_id == pid,
            Responsibility.valid_to.is_not(None),
            Responsibility.valid_to >= Manifest.created_at,
        )
        query = query.where(
            or_(
                Manifest.destination_facility_party_id == pid,
                Manifest.case_id.in_(select(Case.id).where(cases.current_cases_clause(user))),
                former,
            )
        )
    if status:
        query = query.where(Manifest.status == status)
    query = query.order_by(Manifest.id.desc())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)


def dispatchers_of(user: User, case_ids) -> set[int]:
    """Of ``case_ids``, the cases on which ``user`` may dispatch (the current
    responsible party or contractor): one query for a page of manifests."""
    if user.party_id is None or not case_ids:
        return set()
    contractor = exists().where(
        Assignment.case_id == Case.id,
        Assignment.party_id == user.party_id,
        Assignment.role == "contractor",
        Assignment.ended_at.is_(None),
    )
    rows = db.session.scalars(
        select(Case.id).where(
            Case.id.in_(set(case_ids)),
            or_(Case.responsible_party_id == user.party_id, contractor),
        )
    )
    return set(rows)


def _num(value):
    return float(value) if value is not None else None


def to_json(m: Manifest) -> dict:
    diff = None
    if m.dispatched_t and m.received_t is not None:
        diff = float(round(abs(m.received_t - m.dispatched_t) / m.dispatched_t * 100, 2))
    return {
        "id": m.id,
        "number": m.number,
        "case_id": m.case_id,
        "status": m.status,
        "status_label": STATUS_LABELS_ZH[m.status],
        "quantity_t": _num(m.quantity_t),
        "mode": m.mode,
        "route": m.route,
        "origin_address": m.origin_address,
        "origin_county": regions.name(m.origin_county_code),
        "origin_county_code": m.origin_county_code,
        "destination_facility_credit_code": m.destination_facility.credit_code,
        "destination_facility_name": m.destination_facility.name,
        "destination_county": m.destination_county,
        "destination_county_code": m.destination_county_code,
        # The destination's bureau is not on this platform: it is told on paper.
        "outside_platform": not inside(m),
        "acknowledged_at": clock.iso(m.acknowledged_at) if m.acknowledged_at else None,
        "planned_start": m.planned_start.isoformat(),
        "planned_end": m.planned_end.isoformat(),
        "final_disposal": m.final_disposal,
        "dispatched_t": _num(m.dispatched_t),
        "received_t": _num(m.received_t),
        "difference_pct": diff,
        "resolution": m.resolution,
        "created_at": clock.iso(m.created_at),
    }
