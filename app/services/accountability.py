"""The accountability view of a case (终身责任制): for every stage, each unit and
named person who filed, reviewed, co-signed and approved, with the SHA-256 of
every document and the hash of the ledger event that records it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import workflows
from app.extensions import db
from app.models import Assignment, Case, Filing, LedgerEvent, Manifest, Review, User
from app.services import case_json, cases, clock, experts, parties
from workflows.filings import KIND_LABELS_ZH

STAGE_OF_REVIEW = {**workflows.REVIEW_OF, "listed": "listed", "risk_control": "risk_control",
                   "released": "released"}  # fmt: skip


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "department": user.department,
        "party": parties.to_json(user.party),
    }


def for_case(user: User, case_id: int) -> dict:
    case, caps = cases.load(user, case_id)
    if caps == {"former_party"}:
        from app.errors import Forbidden

        raise Forbidden("原土地使用权人或责任人只能查看其经手期间的案件记录")
    data = build(case)
    # Issue 15: the expert meetings (names for the bureau; parties read 专家 1, 2 …).
    data["meetings"] = experts.meetings_json(case.id, user)
    return data


def build(case: Case) -> dict:
    events = list(
        db.session.scalars(
            select(LedgerEvent).where(LedgerEvent.case_id == case.id).order_by(LedgerEvent.seq)
        )
    )
    filing_event = {
        e.detail.get("filing_id"): e for e in events if e.detail.get("filing_id") is not None
    }
    review_events: dict[str, list[LedgerEvent]] = {}
    for e in events:
        if e.action in cases.BUREAU_ACTIONS:
            review_events.setdefault(e.action, []).append(e)

    filings = list(
        db.session.scalars(
            select(Filing)
            .options(
                selectinload(Filing.filer).selectinload(User.party),
                selectinload(Filing.unit_party),
                selectinload(Filing.documents),
            )
            .where(Filing.case_id == case.id)
            .order_by(Filing.id)
        )
    )
    reviews = list(
        db.session.scalars(
            select(Review)
            .options(selectinload(Review.user).selectinload(User.party))
            .where(Review.case_id == case.id)
            .order_by(Review.id)
        )
    )
    stages: dict[str, dict] = {}

    def stage(name: str) -> dict:
        return stages.setdefault(
            name,
            {"stage": name, "label": workflows.STATE_LABELS_ZH[name], "filings": [],
             "reviews": []},
        )  # fmt: skip

    for f in filings:
        e = filing_event.get(f.id)
        stage(f.state)["filings"].append(
            {
                "filing_id": f.id,
                "kind": f.kind,
                "kind_label": KIND_LABELS_ZH[f.kind],
                "round": f.round,
                "unit": parties.to_json(f.unit_party or f.filer.party),
                "project_lead": f.data.get("project_lead"),
                "filed_by": _person(f.filer),
                "at": clock.iso(f.created_at),
                "documents": [
                    {"sha256": d.sha256, "name": d.original_name, "purpose": d.purpose}
                    for d in f.documents
                ],
                "ledger_seq": e.seq if e else None,
                "ledger_hash": e.hash if e else None,
            }
        )
    seen: dict[str, int] = {}
    for r in reviews:
        i = seen.get(r.action, 0)
        seen[r.action] = i + 1
        matching = review_events.get(r.action, [])
        e = matching[i] if i < len(matching) else None
        stage(STAGE_OF_REVIEW.get(r.from_state, r.from_state))["reviews"].append(
            {
                "action": r.action,
                "action_label": workflows.ACTION_LABELS_ZH[r.action],
                "round": r.round,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "by": _person(r.user),
                "comment": r.comment,
                "at": clock.iso(r.at),
                "ledger_seq": e.seq if e else None,
                "ledger_hash": e.hash if e else None,
            }
        )
    order = {s: i for i, s in enumerate(workflows.STATES)}
    assignments = list(
        db.session.scalars(
            select(Assignment)
            .options(selectinload(Assignment.party))
            .where(Assignment.case_id == case.id)
            .order_by(Assignment.id)
        )
    )
    manifests = list(
        db.session.scalars(
            select(Manifest)
            .options(selectinload(Manifest.destination_facility))
            .where(Manifest.case_id == case.id)
            .order_by(Manifest.id)
        )
    )
    manifest_events: dict[str, list] = {}
    for e in events:
        if e.action.startswith("manifest_"):
            manifest_events.setdefault(e.detail.get("manifest"), []).append(
                {"action": e.action, "actor": e.actor, "party": e.party, "at": e.at,
                 "ledger_seq": e.seq, "ledger_hash": e.hash}
            )  # fmt: skip
    issued = [
        {"kind": e.detail.get("kind"), "sha256": (e.documents or [None])[0],
         "records_seq": e.detail.get("records_seq"), "ledger_seq": e.seq, "ledger_hash": e.hash,
         "at": e.at}
        for e in events
        if e.action == "document_issued"
    ]  # fmt: skip
    return {
        "case_id": case.id,
        "issued_documents": issued,
        "site": {"code": case.site.code, "name": case.site.name},
        "state": case.state,
        "stages": sorted(stages.values(), key=lambda s: order[s["stage"]]),
        "responsibility": case_json.responsibility_json(case, [])["history"],
        "assignments": [case_json.assignment_json(a) for a in assignments],
        "manifests": [
            {
                "number": m.number,
                "status": m.status,
                "destination": parties.to_json(m.destination_facility),
                "steps": manifest_events.get(m.number, []),
            }
            for m in manifests
        ],  # fmt: skip
        "ledger_head_of_case": events[-1].hash if events else None,
    }
