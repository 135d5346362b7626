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
import json
import multiprocessing
import re
from datetime import UTC, datetime

import rfc8785
from sqlalchemy import Text, and_, cast, create_engine, func, insert, or_, select, update
from sqlalchemy.pool import NullPool

from app import head_watch, security_log
from app.extensions import db
from app.models import Case, LedgerEvent, Lock, Site, User
from app.services import clock, events

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


# ---------------------------------------------------------------- canonical JSON
#
# RFC 8785 is ``json.dumps(sort_keys, no spaces, ensure_ascii=False)`` except for
# numbers that are not small integers (5600.0 is "5600" in RFC 8785; integers
# beyond 2**53 are refused) and text outside the BMP (RFC 8785 sorts keys by
# UTF-16 code units). Where neither can occur the C encoder gives the same bytes
# ten times faster; anything else goes through ``rfc8785`` itself.


def _no_default(obj):
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


if json.encoder.c_make_encoder is not None:
    # One reusable C encoder (``JSONEncoder.encode`` builds a new one per call).
    _c_encode = json.encoder.c_make_encoder(
        None, _no_default, json.encoder.c_encode_basestring, None, ":", ",", True, False, True
    )

    def _compact(obj) -> str:
        return "".join(_c_encode(obj, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _compact = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
# A non-BMP character is a 4-byte UTF-8 sequence (lead byte F0–F4).
_NON_BMP_UTF8 = re.compile(rb"[\xf0-\xf4]")


def _plain(obj) -> bool:
    """Only str / int (|i| < 2**53) / bool / None / list / dict with str keys."""
    t = type(obj)
    if t is str or obj is None or t is bool:
        return True
    if t is int:
        return -(2**53) < obj < 2**53
    if t is dict:
        return all(type(k) is str and _plain(v) for k, v in obj.items())
    if t is list:
        return all(_plain(v) for v in obj)
    return False


def _fast_bytes(obj) -> bytes | None:
    """The C encoder's bytes when they are RFC 8785's; None when unsure. ``obj``
    must already be known to hold no floats and no integers beyond 2**53."""
    out = _compact(obj)
    try:
        raw = out.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    if not out.isascii() and _NON_BMP_UTF8.search(raw):
        return None
    return raw


def canonical(obj) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of ``obj``."""
    if _plain(obj):
        raw = _fast_bytes(obj)
        if raw is not None:
            return raw
    return rfc8785.dumps(obj)


def chain_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(body)).hexdigest()


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
    if db.session.get_bind().dialect.name == "postgresql":
        # Delivered at commit to every process caching by head (app/head_watch.py).
        db.session.execute(select(func.pg_notify(head_watch.CHANNEL, str(event.seq))))
    db.session.info["ledger_head_appended"] = event.seq
    # What the event changed on the public side, worked out at commit (scopes.py).
    db.session.info.setdefault("ledger_scopes", []).append((event.seq, case_id))
    events.recorded(db.session, event)  # receipts, notifications, deadlines: subscriptions.py
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


def recent(counties, limit: int = 50) -> list[LedgerEvent]:
    """The latest events for the desk: an officer sees the events of the cases of
    ``counties`` (their jurisdiction's county codes; None = all, an administrator)
    and those of the shared party register (no case); the chain itself is verified
    whole by ``verify``."""
    query = select(LedgerEvent)
    if counties is not None:
        county_cases = (
            select(Case.id)
            .join(Site, Site.id == Case.site_id)
            .where(Site.county_code.in_(sorted(counties)))
        )
        query = query.where(
            or_(
                LedgerEvent.case_id.in_(county_cases),
                and_(LedgerEvent.case_id.is_(None), LedgerEvent.party.is_not(None)),
            )
        )
    return list(db.session.scalars(query.order_by(LedgerEvent.seq.desc()).limit(limit)))


def case_events(case_id: int) -> list[LedgerEvent]:
    return list(
        db.session.scalars(
            select(LedgerEvent).where(LedgerEvent.case_id == case_id).order_by(LedgerEvent.seq)
        )
    )


class _Unusual(Exception):
    """A float, a constant or a huge integer in stored JSON: take the slow path."""


def _refuse_float(text):
    raise _Unusual(text)


def _int(text):
    if len(text) > 15:  # 10**15 < 2**53: anything longer may be out of range
        raise _Unusual(text)
    return int(text)


_scan_plain = json.JSONDecoder(
    parse_float=_refuse_float, parse_int=_int, parse_constant=_refuse_float
).scan_once


def _decode_plain(text: str):
    """Stored JSON without floats or huge integers, by the C scanner alone."""
    try:
        value, end = _scan_plain(text, 0)
    except (StopIteration, ValueError):
        raise _Unusual(text) from None
    if end != len(text):
        raise _Unusual(text)
    return value


def _stored_bytes(seq, at, case_id, actor, party, action, src, dst, documents, detail) -> bytes:
    """The canonical bytes of a stored event whose JSON columns are read as text."""
    try:
        body = event_body(seq=seq, at=at, case_id=case_id, actor=actor, party=party,
                          action=action, from_state=src, to_state=dst,
                          documents=[] if documents in (None, "[]") else _decode_plain(documents),
                          detail=(_decode_plain(detail) if detail else None) or {})  # fmt: skip
        raw = _fast_bytes(body)
        if raw is not None:
            return raw
    except _Unusual:
        pass
    try:
        body = event_body(seq=seq, at=at, case_id=case_id, actor=actor, party=party,
                          action=action, from_state=src, to_state=dst,
                          documents=json.loads(documents) if documents else [],
                          detail=(json.loads(detail) if detail else None) or {})  # fmt: skip
        return rfc8785.dumps(body)
    except (ValueError, TypeError, rfc8785.CanonicalizationError):
        return b""  # unreadable stored JSON cannot match its hash


def _verify_statement(lo: int | None, hi: int | None):
    E = LedgerEvent
    stmt = select(E.seq, E.at, E.case_id, E.actor, E.party, E.action, E.from_state,
                  E.to_state, cast(E.documents, Text), cast(E.detail, Text), E.prev_hash,
                  E.hash).order_by(E.seq)  # fmt: skip
    if lo is not None:
        stmt = stmt.where(E.seq >= lo)
    if hi is not None:
        stmt = stmt.where(E.seq <= hi)
    return stmt


def _scan(connection, lo: int, hi: int | None, prev: str | None, batch: int) -> dict:
    """Check events lo..hi in order. ``prev`` is the hash the first event must link to
    (None: the caller checks that joint). Streams: memory does not grow with the chain."""
    expected, count, first_prev, bad, reason = lo, 0, None, None, None
    sha = hashlib.sha256
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(
        _verify_statement(lo, hi)
    )
    try:
        for (
            seq,
            at,
            case,
            actor,
            party,
            action,
            src,
            dst,
            docs,
            detail,
            prev_hash,
            digest,
        ) in result.tuples():
            if count == 0:
                first_prev = prev_hash
            if seq != expected:
                reason = f"序号不连续：应为 {expected}，实为 {seq}"
            elif prev is not None and prev_hash != prev:
                reason = "prev_hash 与上一事件的 hash 不一致"
            else:
                raw = _stored_bytes(seq, at, case, actor, party, action, src, dst, docs, detail)
                if sha(prev_hash.encode("ascii") + raw).hexdigest() != digest:
                    reason = "事件内容与 hash 不符（内容被改动）"
            if reason:
                bad = seq
                break
            prev, expected, count = digest, seq + 1, count + 1
    finally:
        result.close()
    if bad is None and hi is not None and expected != hi + 1:
        bad, reason = expected, f"序号不连续：缺少 {expected}–{hi}"
    return {"lo": lo, "count": count, "first_prev": first_prev, "last_hash": prev,
            "bad": bad, "reason": reason}  # fmt: skip


def _scan_range(url: str, lo: int, hi: int, batch: int) -> dict:
    """One worker process's share of ``verify``: its own connection, its own range."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _scan(connection, lo, hi, None, batch)
    finally:
        engine.dispose()


PARALLEL_MIN_EVENTS = 200_000


def _parallel_url() -> str | None:
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def verify(batch: int = 20_000, workers: int = 1) -> dict:
    """Recompute the whole chain in seq order, streaming (memory stays flat).

    ``workers`` > 1 splits the chain into ranges checked by that many processes,
    each with its own connection (used from the command line, not in requests); the
    joints between ranges are then checked here. Answers ``{"ok", "events", "head",
    "first_bad_seq", "reason"}``: the first event whose seq, link or hash does not
    hold is named.
    """
    top = db.session.scalar(select(func.max(LedgerEvent.seq))) or 0
    url = _parallel_url() if workers > 1 and top >= PARALLEL_MIN_EVENTS else None
    if url is None:
        parts = [_scan(db.session.connection(), 1, None, GENESIS, batch)]
        joints = [GENESIS]
    else:
        step = -(-top // workers)
        bounds = [(lo, min(lo + step - 1, top)) for lo in range(1, top + 1, step)]
        # spawn, not fork: a forked child must not share the parent's connections.
        with multiprocessing.get_context("spawn").Pool(len(bounds)) as pool:
            parts = pool.starmap(_scan_range, [(url, lo, hi, batch) for lo, hi in bounds])
        joints = [GENESIS] + [p["last_hash"] for p in parts[:-1]]
    count, head_hash = 0, GENESIS
    for part, joint in zip(parts, joints, strict=True):
        bad, reason = part["bad"], part["reason"]
        if part["count"] and part["first_prev"] != joint:
            bad, reason = part["lo"], "prev_hash 与上一事件的 hash 不一致"
        if bad is not None:
            total = db.session.scalar(select(func.count()).select_from(LedgerEvent))
            security_log.event("ledger_verify_fail", level="CRITICAL", seq=bad, reason=reason)
            return {"ok": False, "events": total, "head": head_hash, "first_bad_seq": bad,
                    "reason": reason}  # fmt: skip
        count += part["count"]
        head_hash = part["last_hash"] if part["count"] else head_hash
    return {"ok": True, "events": count, "head": head_hash, "first_bad_seq": None,
            "reason": None}  # fmt: skip
