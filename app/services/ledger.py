"""The accountability ledger (问责台账): append-only and hash-chained.

``hash = sha256(prev_hash + RFC 8785 canonical JSON of the event)``. The first
event chains from 64 zeros. ``prev_hash`` is UNIQUE, so two writers can never
fork the chain; appends are serialised on the ``ledger`` lock row, so they
queue instead of failing. Nothing here updates or deletes an event.

Lifelong accountability (《土壤污染防治法》第四十三条、第九十条): every filing and
every decision names its actor, unit and the SHA-256 of each document.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import rfc8785
from sqlalchemy import func, insert, select, update

from app import security_log
from app.extensions import db
from app.models import LedgerEvent, Lock, User
from app.services import clock

GENESIS = "0" * 64
LOCK_NAME = "ledger"


def iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes that are UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(
    *, seq, at, case_id, actor, party, action, from_state, to_state, documents, detail
) -> dict:
    """The hashed content of an event; every column that matters is in it."""
    return {
        "seq": seq,
        "at": at,
        "case": case_id,
        "actor": actor,
        "party": party,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "documents": list(documents),
        "detail": detail,
    }


def chain_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + rfc8785.dumps(body)).hexdigest()


def take_lock() -> None:
    """Serialise appenders: a row lock on PostgreSQL, the write lock on SQLite."""
    result = db.session.execute(
        update(Lock).where(Lock.name == LOCK_NAME).values(counter=Lock.counter + 1)
    )
    if result.rowcount == 0:
        db.session.execute(insert(Lock).values(name=LOCK_NAME, counter=1))


def head() -> tuple[int, str]:
    row = db.session.execute(
        select(LedgerEvent.seq, LedgerEvent.hash).order_by(LedgerEvent.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def append(
    action: str,
    *,
    actor: User | None,
    case_id: int | None = None,
    party: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    documents: list[str] | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> LedgerEvent:
    """Add one event to the session; the caller's transaction commits it.
    ``at`` lets a service stamp the event with the instant of the change it records."""
    db.session.flush()  # the state change itself first, then the chain head
    take_lock()
    seq, prev = head()
    if party is None and actor is not None and actor.party is not None:
        party = actor.party.credit_code
    body = event_body(
        seq=seq + 1,
        at=iso(at or clock.now()),
        case_id=case_id,
        actor=actor.username if actor else None,
        party=party,
        action=action,
        from_state=from_state,
        to_state=to_state,
        documents=sorted(set(documents or [])),
        detail=detail or {},
    )
    event = LedgerEvent(
        seq=body["seq"],
        at=body["at"],
        case_id=case_id,
        actor=body["actor"],
        actor_user_id=actor.id if actor else None,
        party=party,
        action=action,
        from_state=from_state,
        to_state=to_state,
        documents=body["documents"],
        detail=body["detail"],
        prev_hash=prev,
        hash=chain_hash(prev, body),
    )
    db.session.add(event)
    db.session.flush()
    return event


def to_json(event: LedgerEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "party": event.party,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "documents": event.documents,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def case_events(case_id: int) -> list[LedgerEvent]:
    return list(
        db.session.scalars(
            select(LedgerEvent).where(LedgerEvent.case_id == case_id).order_by(LedgerEvent.seq)
        )
    )


_VERIFY_COLUMNS = (
    LedgerEvent.seq,
    LedgerEvent.at,
    LedgerEvent.case_id,
    LedgerEvent.actor,
    LedgerEvent.party,
    LedgerEvent.action,
    LedgerEvent.from_state,
    LedgerEvent.to_state,
    LedgerEvent.documents,
    LedgerEvent.detail,
    LedgerEvent.prev_hash,
    LedgerEvent.hash,
)


def verify(batch: int = 5000) -> dict:
    """Recompute the whole chain in seq order, streaming (memory stays flat).

    Answers ``{"ok", "events", "head", "first_bad_seq", "reason"}``: the first
    event whose seq, link or hash does not hold is named.
    """
    prev, expected_seq, count = GENESIS, 1, 0
    rows = db.session.execute(
        select(*_VERIFY_COLUMNS).order_by(LedgerEvent.seq).execution_options(yield_per=batch)
    )
    for row in rows:
        count += 1
        body = event_body(
            seq=row.seq,
            at=row.at,
            case_id=row.case_id,
            actor=row.actor,
            party=row.party,
            action=row.action,
            from_state=row.from_state,
            to_state=row.to_state,
            documents=row.documents or [],
            detail=row.detail or {},
        )
        reason = None
        if row.seq != expected_seq:
            reason = f"序号不连续：应为 {expected_seq}，实为 {row.seq}"
        elif row.prev_hash != prev:
            reason = "prev_hash 与上一事件的 hash 不一致"
        elif chain_hash(prev, body) != row.hash:
            reason = "事件内容与 hash 不符（内容被改动）"
        if reason:
            rows.close()
            total = db.session.scalar(select(func.count()).select_from(LedgerEvent))
            security_log.event("ledger_verify_fail", level="CRITICAL", seq=row.seq, reason=reason)
            return {"ok": False, "events": total, "head": prev, "first_bad_seq": row.seq,
                    "reason": reason}  # fmt: skip
        prev, expected_seq = row.hash, row.seq + 1
    return {"ok": True, "events": count, "head": prev, "first_bad_seq": None, "reason": None}
