"""The case as JSON (DESIGN.md §2, §8): the case with its site, filings,
responsibility, assignments, manifests and decisions, as the caller may see it.

Composed here, above the services it reads, so that ``cases`` (access, facts,
actions) depends on none of them.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import workflows
from app.extensions import db
from app.models import Assignment, Case, Responsibility, Review, User
from app.services import clock, control, deadlines, decisions, experts, parties
from app.services import filings as filing_service
from app.services import manifests as manifest_service
from app.services import sites as site_service
from app.services.cases import (
    allowed_actions,
    capacities,
    current_assignments,
    facts_for,
    history_cutoff,
)


def assignment_json(a: Assignment) -> dict:
    return {
        "id": a.id,
        "role": a.role,
        "party": parties.to_json(a.party),
        "assigned_at": clock.iso(a.assigned_at),
        "ended_at": clock.iso(a.ended_at),
    }


def responsibility_json(case: Case, assignments: list[Assignment]) -> dict:
    rows = list(
        db.session.scalars(
            select(Responsibility)
            .options(selectinload(Responsibility.party), selectinload(Responsibility.recorded_by))
            .where(Responsibility.case_id == case.id)
            .order_by(Responsibility.id)
        )
    )
    current = {r.role: r for r in rows if r.valid_to is None}
    out = {
        "responsible_party": parties.to_json(current["responsible"].party)
        if "responsible" in current
        else None,
        "basis": current["responsible"].basis if "responsible" in current else None,
        "landholder": parties.to_json(case.site.landholder),
    }
    for role in ("contractor", "evaluator", "surveyor"):
        a = next((a for a in assignments if a.role == role), None)
        out[role] = parties.to_json(a.party) if a else None
    out["history"] = [
        {
            "role": r.role,
            "party": parties.to_json(r.party),
            "basis": r.basis,
            "valid_from": clock.iso(r.valid_from),
            "valid_to": clock.iso(r.valid_to),
            "recorded_by": r.recorded_by.username if r.recorded_by else None,
            "note": r.note,
        }
        for r in rows
    ]
    return out


def to_json(case: Case, user: User, caps: set[str] | None = None) -> dict:
    assignments = current_assignments(case.id)
    if caps is None:
        caps = capacities(user, case, assignments)
    facts = facts_for(case)
    allowed, blocked = allowed_actions(case, caps, facts)
    # A former landholder or responsible party sees the history up to its hand-over.
    cutoff = history_cutoff(user, case) if caps == {"former_party"} else None
    review_query = (
        select(Review).options(selectinload(Review.user)).where(Review.case_id == case.id)
    )
    if cutoff is not None:
        review_query = review_query.where(Review.at <= cutoff)
    reviews = list(db.session.scalars(review_query.order_by(Review.id)))
    manifest_rows = manifest_service.for_case(case.id)
    if cutoff is not None:
        manifest_rows = [m for m in manifest_rows if _aware(m.created_at) <= _aware(cutoff)]
    return {
        "id": case.id,
        "site": site_service.to_json(case.site),
        "state": case.state,
        "state_label": workflows.STATE_LABELS_ZH[case.state],
        "version": case.version,
        "round": case.round,
        "state_since": clock.iso(case.state_since),
        "your_roles": sorted(caps),
        "allowed_actions": allowed,
        "blocked_actions": blocked,
        "filings": filing_service.list_json(case.id, until=cutoff),
        "responsibility": responsibility_json(case, assignments),
        "assignments": [assignment_json(a) for a in assignments],
        "manifests": [manifest_service.to_json(m) for m in manifest_rows],
        # DESIGN §11: the open clocks, soonest first (not for a former party).
        "deadlines": [deadlines.to_json(d) for d in deadlines.open_for_case(case.id)]
        if cutoff is None
        else [],
        # Issue 15: risk control — the plan in force and alerts waiting for measures.
        "control": _control_json(case) if cutoff is None else None,
        # Issue 15: the expert review meetings (expert names for the bureau only).
        "expert_reviews": experts.meetings_json(case.id, user, until=cutoff),
        "decisions": [
            decisions.to_json(d)
            for d in decisions.for_case(case.id)
            if cutoff is None or _aware(d.created_at) <= _aware(cutoff)
        ],
        "reviews": [
            {
                "round": r.round,
                "action": r.action,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "by": r.user.username,
                "department": r.department,
                "comment": r.comment,
                "at": clock.iso(r.at),
            }
            for r in reviews
        ],
    }


def _aware(at):
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def summary_json(case: Case) -> dict:
    return {
        "id": case.id,
        "site_code": case.site.code,
        "site_name": case.site.name,
        "township": case.site.township,
        "state": case.state,
        "state_label": workflows.STATE_LABELS_ZH[case.state],
        "version": case.version,
        "state_since": clock.iso(case.state_since),
    }


def _control_json(case: Case) -> dict | None:
    plan = control.plan_of(case.id)
    alerts = control.open_alerts(case.id)
    if plan is None and not alerts:
        return None
    return {"plan_filing_id": plan.id if plan else None,
            "open_alerts": [control.alert_json(a) for a in alerts]}  # fmt: skip
