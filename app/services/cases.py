"""Cases: who may see and act on one, the facts its guards read, and actions.

An action loads the case ``FOR UPDATE``, checks the caller's ``version``, runs
the machine of ``workflows/``, records the decision and its ledger event, and
commits once. A concurrent second action on the same case waits for the row,
then finds the version moved and gets ``stale_version``.
"""

from __future__ import annotations

from sqlalchemy import exists, false, func, or_, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

import workflows
from app import security_log
from app.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    StaleVersion,
    ValidationError,
)
from app.extensions import db
from app.models import (
    Assignment,
    Case,
    Filing,
    LedgerEvent,
    Manifest,
    Party,
    Responsibility,
    Review,
    Sample,
    Site,
    User,
)
from app.services import clock, control, decisions, jurisdiction, ledger, meetings, parties
from app.services.schema import F, validate
from workflows import decisions as decision_rules

EXCEEDING = ("above_screening", "above_intervention")


# ---------------------------------------------------------------- access


def current_assignments(case_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .options(selectinload(Assignment.party))
            .where(Assignment.case_id == case_id, Assignment.ended_at.is_(None))
            .order_by(Assignment.id)
        )
    )


def capacities(user: User, case: Case, assignments: list[Assignment] | None = None) -> set[str]:
    """What ``user`` is on ``case``: landholder, responsible, contractor,
    evaluator, surveyor, bureau_<department>, admin. Empty = no access."""
    if user.role == "admin":
        return {"admin"}
    if user.role == "bureau":
        if not jurisdiction.covers(user, case.site.county_code):
            return set()
        if jurisdiction.is_upper(user):  # a prefecture or provincial officer
            return {f"bureau_{user.department}", "upper_level"}
        return {f"bureau_{user.department}"}
    if user.party_id is None:
        return set()
    caps = set()
    if case.site.landholder_party_id == user.party_id:
        caps.add("landholder")
    if case.responsible_party_id == user.party_id:
        caps.add("responsible")
    if assignments is None:
        assignments = current_assignments(case.id)
    caps.update(a.role for a in assignments if a.party_id == user.party_id)
    if not caps and history_cutoff(user, case) is not None:
        caps.add("former_party")  # read-only: a previous landholder or responsible party
    return caps


def history_cutoff(user: User, case: Case):
    """When ``user``'s party stopped being landholder or responsible party of the
    case (it keeps read access to the history up to then), or None."""
    if user.party_id is None:
        return None
    return db.session.scalar(
        select(func.max(Responsibility.valid_to)).where(
            Responsibility.case_id == case.id,
            Responsibility.party_id == user.party_id,
            Responsibility.valid_to.is_not(None),
        )
    )


def visible_cases_clause(user: User):
    """A WHERE clause for the cases ``user`` may see (used by lists; no query per row)."""
    if user.role in ("admin", "bureau") or user.party_id is None:
        return current_cases_clause(user)
    return or_(
        current_cases_clause(user),
        exists().where(Responsibility.case_id == Case.id, Responsibility.party_id == user.party_id),
    )


def current_cases_clause(user: User):
    """The cases ``user`` is on now: landholder, responsible party, engaged unit (a
    former party's history is not among them)."""
    if user.role == "admin":
        return true()
    if user.role == "bureau":
        return Case.site_id.in_(select(Site.id).where(jurisdiction.clause(user, Site.county_code)))
    if user.party_id is None:
        return false()
    pid = user.party_id
    return or_(
        Case.responsible_party_id == pid,
        Case.site_id.in_(select(Site.id).where(Site.landholder_party_id == pid)),
        exists().where(
            Assignment.case_id == Case.id,
            Assignment.party_id == pid,
            Assignment.ended_at.is_(None),
        ),
    )


def load(user: User, case_id: int, *, lock: bool = False) -> tuple[Case, set[str]]:
    """The case and the caller's capacities; another party's case is a 404."""
    if not isinstance(case_id, int) or not 0 < case_id < 2**31:
        raise NotFound("案件不存在")
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update()
    case = db.session.scalar(query)
    if case is None:
        raise NotFound("案件不存在")
    caps = capacities(user, case)
    if not caps:
        security_log.event("authz_fail", user=user, object=f"case:{case_id}")
        raise NotFound("案件不存在")
    return case, caps


# ---------------------------------------------------------------- facts


def latest_filing(case_id: int, kind: str) -> Filing | None:
    return db.session.scalar(
        select(Filing)
        .where(Filing.case_id == case_id, Filing.kind == kind)
        .order_by(Filing.id.desc())
        .limit(1)
    )


def needs_assessment():
    """Samples that call for a risk assessment: above the screening value, or of a
    pollutant GB 36600 gives no value for and detected at all (§10; GB 36600 §5:
    such pollutants are judged by a risk assessment under HJ 25.3)."""
    return or_(
        Sample.level.in_(EXCEEDING),
        (Sample.level == "no_standard") & (Sample.value_mg_kg > 0),
    )


def entered_evaluation_from(case_id: int) -> str | None:
    """The state the case last entered evaluation from: works or risk_control."""
    return db.session.scalar(
        select(LedgerEvent.from_state)
        .where(
            LedgerEvent.case_id == case_id,
            LedgerEvent.to_state == "evaluation",
            LedgerEvent.from_state.in_(("works", "risk_control")),
        )
        .order_by(LedgerEvent.seq.desc())
        .limit(1)
    )


def facts_for(case: Case, comment: str | None = None) -> workflows.CaseFacts:
    """Read from the database exactly what the guards of the current state need."""
    state, facts = case.state, workflows.CaseFacts(has_comment=bool(comment and comment.strip()))
    rows = db.session.execute(
        select(Filing.kind, func.max(Filing.round), func.max(Filing.id))
        .where(Filing.case_id == case.id)
        .group_by(Filing.kind)
    ).all()
    last_round = {kind: rnd for kind, rnd, _ in rows}
    last_id = {kind: fid for kind, _, fid in rows}
    stage_kind = workflows.STAGE_FILING.get(state)
    facts.has_stage_filing = bool(stage_kind) and last_round.get(stage_kind) == case.round
    facts.notice_published = "works_notice" in last_round
    facts.monitoring_filed = last_round.get("monitoring_report") == case.round
    if state in ("transfer_reporting", "works"):
        statuses = dict(
            db.session.execute(
                select(Manifest.status, func.count())
                .where(Manifest.case_id == case.id)
                .group_by(Manifest.status)
            ).all()
        )
        facts.has_reported_manifest = sum(statuses.values()) > 0
        facts.manifests_settled = all(s == "received" for s in statuses)
    if state in workflows.JOINT_REVIEWS:
        facts.cosigned_this_round = bool(
            db.session.scalar(
                select(Review.id)
                .where(
                    Review.case_id == case.id,
                    Review.round == case.round,
                    Review.action == "cosign",
                )
                .limit(1)
            )
        )
    if state == "survey_review" and "survey_report" in last_id:
        facts.samples_exceed_screening = bool(
            db.session.scalar(
                select(Sample.id)
                .where(Sample.filing_id == last_id["survey_report"], needs_assessment())
                .limit(1)
            )
        )
    if state == "evaluation_review":
        facts.evaluated_after_control = entered_evaluation_from(case.id) == "risk_control"
    facts.expert_review_passed = meetings.approval_allowed(case)
    if state == "risk_control":
        facts.no_open_alert = not control.has_open_alert(case.id)
    wanted = {
        "risk_assessment_review": "risk_assessment_report",
        "plan_review": "remediation_plan",
        "evaluation_review": "evaluation_report",
    }.get(state)
    if wanted and wanted in last_id:
        data = db.session.get(Filing, last_id[wanted]).data
        facts.risk_unacceptable = data.get("risk_acceptable") is False
        facts.plan_has_offsite_transfer = bool(data.get("offsite_transfer"))
        facts.evaluation_passed = data.get("passed") is True
    return facts


def allowed_actions(case: Case, caps: set[str], facts: workflows.CaseFacts) -> tuple[list, dict]:
    """Actions the caller may take now, and those its role allows but a guard blocks."""
    allowed, blocked = [], {}
    for action in workflows.ACTIONS:
        if not workflows.actors_for(action, case.state) & caps:
            continue
        if workflows.possible(action, case.state, facts):
            if not _level_may(action, case.state, facts, caps):
                blocked[action] = decisions.PROVINCIAL_ONLY_MSG
                continue
            allowed.append(action)
        else:
            try:
                workflows.fire(case.state, action, facts)
            except workflows.TransitionRefused as exc:
                if exc.guard:
                    blocked[action] = str(exc)
    return allowed, blocked


# ---------------------------------------------------------------- actions


def _level_may(action: str, state: str, facts, caps: set[str]) -> bool:
    """With PROVINCIAL_DECISIONS, listing and release are not a county officer's."""
    if caps & {"upper_level", "admin"} or action not in decision_rules.DECIDING_ACTIONS:
        return True
    to_state = workflows.fire(state, action, facts)
    return not decisions.provincial_here(decision_rules.kind_of(action, state, to_state))


BUREAU_ACTIONS = {"cosign", "approve", "return", "require_remediation", "require_control", "reopen"}


def _may_take(action: str, state: str, caps: set[str]) -> bool:
    roles = workflows.actors_for(action, state)
    if not roles and action == "submit":
        roles = set().union(*workflows.lifecycle.SUBMITTERS.values())
    return bool(roles & caps)


def act(user: User, case_id: int, action: str, payload) -> Case:
    """Take ``action`` on the case (DESIGN.md §2). Commits once."""
    if action not in workflows.ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    if not isinstance(payload, dict):
        raise ValidationError("请求体须为 JSON 对象", {"_": "须为 JSON 对象"})
    unknown = set(payload) - {"comment", "version", "provincial_decision"}
    if unknown:
        raise ValidationError("不允许的字段", {k: "不允许的字段" for k in sorted(unknown)})
    version = payload.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("须提供案件当前版本号 version（整数）", {"version": "须为整数"})
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ValidationError("意见须为文本", {"comment": "须为文本"})
    comment = (comment or "").strip() or None
    if comment and len(comment) > 5000:
        raise ValidationError("意见过长", {"comment": "不能超过 5000 个字符"})
    provincial = decisions.parse_provincial(payload.get("provincial_decision"))

    case, caps = load(user, case_id, lock=True)
    if not _may_take(action, case.state, caps):
        raise Forbidden(f"您无权对本案件执行 {action}")
    if version != case.version:
        raise StaleVersion(
            f"案件已被他人更新（当前版本 {case.version}，您提交的是 {version}），请刷新后重试"
        )
    facts = facts_for(case, comment)
    from_state = case.state
    try:
        to_state = workflows.fire(from_state, action, facts)
    except workflows.TransitionRefused as exc:
        raise InvalidTransition(str(exc)) from None
    if not _level_may(action, from_state, facts, caps):
        raise Forbidden(decisions.PROVINCIAL_ONLY_MSG)

    now = clock.now()
    review_round = case.round
    if to_state != from_state:
        enter(case, to_state, now)
    case.updated_at = now  # an UPDATE in every case, so the version always moves
    review = None
    if action in BUREAU_ACTIONS:
        review = Review(
            case_id=case.id,
            round=review_round,
            action=action,
            from_state=from_state,
            to_state=to_state,
            user_id=user.id,
            party_id=user.party_id,
            department=user.department,
            comment=comment,
            at=now,
        )
        db.session.add(review)
        db.session.flush()
    decision = decisions.issue(case, action, from_state, to_state, provincial=provincial,
                               review_id=review.id if review else None, user=user)  # fmt: skip
    try:
        event = ledger.append(
            action,
            actor=user,
            case_id=case.id,
            from_state=from_state,
            to_state=to_state,
            detail={"round": review_round, "comment": comment, "department": user.department,
                    **decisions.ledger_detail(decision)},
        )  # fmt: skip
        if decision is not None:
            decision.event_seq = event.seq
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion("案件已被他人更新，请刷新后重试") from None
    return case


def enter(case: Case, to_state: str, now) -> None:
    """Move the case into ``to_state`` (a new round) and keep the plot's public
    bookkeeping: on the register from its first public state on, and cleared for
    its current use and category when released (§10)."""
    case.state = to_state
    case.round += 1
    case.state_since = now
    site = case.site
    if to_state in workflows.PUBLIC_STATES and site.public_since is None:
        site.public_since = clock.china_date(now)
    if to_state == "released":
        site.cleared_category = site.land_category
        site.cleared_use = site.planned_use
        site.cleared_on = clock.china_date(now)


# ---------------------------------------------------------------- assignments

INDEPENDENCE_MSG = "效果评估单位须独立于责任人、土地使用权人和修复施工单位（法定独立性）"


def check_evaluator_independent(case: Case, evaluator: Party, field: str) -> None:
    """HJ 25.5 / 《土壤污染防治法》第四十二条: the evaluator is a third party."""
    conflicts = {case.responsible_party_id, case.site.landholder_party_id}
    contractor = next((a for a in current_assignments(case.id) if a.role == "contractor"), None)
    if contractor:
        conflicts.add(contractor.party_id)
    plan = latest_filing(case.id, "remediation_plan")
    if plan is not None:
        planned = parties.get_by_code(plan.data.get("contractor_credit_code", ""))
        if planned:
            conflicts.add(planned.id)
    if evaluator.id in conflicts:
        raise ValidationError(INDEPENDENCE_MSG, {field: INDEPENDENCE_MSG})


def assign(user: User, case_id: int, payload) -> Assignment:
    """The landholder or responsible party engages a unit on the case. Commits."""
    data = validate(
        payload,
        {"role": F("enum", choices=("contractor", "evaluator", "surveyor")),
         "credit_code": F("credit_code")},
        message="委托信息有误",
    )  # fmt: skip
    case, caps = load(user, case_id, lock=True)
    if not caps & {"landholder", "responsible"}:
        raise Forbidden("只有土地使用权人或责任人可以委托单位")
    if case.state == "released":
        raise InvalidTransition("案件已办结，不能再委托单位")
    purpose = {"contractor": "修复施工", "evaluator": "效果评估", "surveyor": "调查"}[data["role"]]
    party = parties.usable(data["credit_code"], field="credit_code", purpose=purpose)
    return record_assignment(user, case, data["role"], party)


def record_assignment(user: User, case: Case, role: str, party: Party, *, commit=True, log=True):
    """Engage ``party`` in ``role``, ending the previous one. ``log=False`` when the
    caller's own ledger event records the assignment (a remediation plan naming
    its contractor: one filing, one event)."""
    current = [a for a in current_assignments(case.id) if a.role == role]
    if current and current[0].party_id == party.id:
        return current[0]
    if role == "evaluator":
        check_evaluator_independent(case, party, "credit_code")
    if role == "contractor":
        evaluator = next((a for a in current_assignments(case.id) if a.role == "evaluator"), None)
        if evaluator and evaluator.party_id == party.id:
            raise ValidationError(INDEPENDENCE_MSG, {"credit_code": INDEPENDENCE_MSG})
    now = clock.now()
    for old in current:
        old.ended_at = now
    assignment = Assignment(
        case_id=case.id, role=role, party_id=party.id, assigned_by_id=user.id, assigned_at=now
    )
    db.session.add(assignment)
    db.session.flush()
    assignment.replaced = [o.party.credit_code for o in current]
    if not log:
        return assignment
    ledger.append(
        "assign",
        actor=user,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        detail={"role": role, "assignee": party.credit_code,
                "replaced": [o.party.credit_code for o in current]},
    )  # fmt: skip
    if commit:
        db.session.commit()
    return assignment


def list_for(user: User, *, state: str | None = None, page: int = 1, per_page: int = 20):
    query = (
        select(Case)
        .options(selectinload(Case.site))
        .where(visible_cases_clause(user))
        .order_by(Case.state_since, Case.id)
    )
    if state:
        query = query.where(Case.state == state)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100, error_out=False)
