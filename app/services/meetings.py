"""Where a case's expert review stands (issue 15), read-only: the guard of
``approve`` and the filing of a revised report ask here. Recording a meeting is
``experts.record_meeting``."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Filing, Meeting
from workflows.experts import REVIEW_REPORTS


def required_stages() -> set[str]:
    """The review states whose approval needs a meeting (``EXPERT_REVIEW_STAGES``)."""
    return set(current_app.config.get("EXPERT_REVIEW_STAGES") or ())


def latest(case: Case) -> Meeting | None:
    """This round's last meeting of the case's current review."""
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.case_id == case.id, Meeting.stage == case.state, Meeting.round == case.round)
        .order_by(Meeting.id.desc())
        .limit(1)
    )


def _revised_after(case: Case, meeting: Meeting) -> bool:
    return bool(
        db.session.scalar(
            select(Filing.id)
            .where(
                Filing.case_id == case.id,
                Filing.kind == REVIEW_REPORTS[meeting.stage],
                Filing.created_at > meeting.recorded_at,
            )
            .limit(1)
        )
    )


def status(case: Case) -> str:
    """``none``, ``passed``, ``awaiting_revision`` (pass with revisions, not yet
    revised) or ``failed`` — for the current review round."""
    if case.state not in REVIEW_REPORTS:
        return "none"
    meeting = latest(case)
    if meeting is None:
        return "none"
    if meeting.conclusion == "pass":
        return "passed"
    if meeting.conclusion == "pass_with_revisions":
        return "passed" if _revised_after(case, meeting) else "awaiting_revision"
    return "failed"


def approval_allowed(case: Case) -> bool:
    """The guard fact ``expert_review_passed``."""
    return case.state not in required_stages() or status(case) == "passed"


def awaiting_revision(case: Case) -> bool:
    """The filer may file the revised report during the review."""
    return status(case) == "awaiting_revision"


def for_case(case_id: int) -> list[Meeting]:
    return list(
        db.session.scalars(select(Meeting).where(Meeting.case_id == case_id).order_by(Meeting.id))
    )
