"""The fast verify path (issue 6): the C encoder's bytes where they equal RFC 8785,
``rfc8785`` itself everywhere else, and ranges checked by several processes whose
joints are checked too. Every result must equal the plain one-process answer."""

from __future__ import annotations

import json

import pytest
import rfc8785
from sqlalchemy import delete, select, text

from app.models import LedgerEvent
from app.services import ledger
from tests.api.test_ledger import all_events, tamper

TRICKY = [
    {"b": 1, "a": [None, True, "文本", "tab\there\u0001\u007f"], "é": {"z": "", "y": -(2**52)}},
    {"float": 5600.0, "tiny": 4.6e-05, "neg": -0.0, "big": 1e21},  # numbers RFC 8785 rewrites
    {"emoji": "🙂", "\ue000": "private use", "\U0001f600k": 1},  # UTF-16 key order differs
    {"int": 2**53 - 1, "quote": '"\\/', "line": "\u2028\u2029"},
    {"nested": [[[]], {}, [{"x": [1, {"y": None}]}]], "zero": 0},
]


@pytest.mark.parametrize("obj", TRICKY)
def test_canonical_equals_rfc8785(obj):
    assert ledger.canonical(obj) == rfc8785.dumps(obj)


@pytest.mark.parametrize("detail", TRICKY + [{}, {"n": 12345678901234567}])
def test_stored_bytes_equal_rfc8785_of_the_parsed_event(detail):
    documents = ["a" * 64, "b" * 64]
    fields = dict(seq=7, at="2026-11-29T00:00:00.000000Z", case_id=3, actor="张三",
                  party="91533124MA6N000001", action="approve", from_state="a", to_state="b")  # fmt: skip
    stored = ledger._stored_bytes(
        fields["seq"], fields["at"], fields["case_id"], fields["actor"], fields["party"],
        fields["action"], fields["from_state"], fields["to_state"],
        json.dumps(documents), json.dumps(detail),
    )  # fmt: skip
    if detail.get("n", 0) > 2**53:  # RFC 8785 refuses it: such an event cannot verify
        assert stored == b""
        return
    body = ledger.event_body(documents=documents, detail=detail, **fields)
    assert stored == rfc8785.dumps(body)


def test_unreadable_stored_json_never_matches():
    assert ledger._stored_bytes(1, "t", None, None, None, "x", None, None, "[]", "{oops") == b""


@pytest.fixture
def long_chain(world, monkeypatch):
    """A few cases' history, and the parallel path switched on for any length."""
    for state in ("survey_review", "listed", "plan_review"):
        world.to_state(state)
    monkeypatch.setattr(ledger, "PARALLEL_MIN_EVENTS", 1)


def both(db) -> tuple[dict, dict]:
    db.session.expire_all()
    one = ledger.verify(workers=1)
    db.session.rollback()
    three = ledger.verify(workers=3)
    db.session.rollback()
    return one, three


def test_parallel_verify_agrees_on_a_good_chain(db, long_chain):
    one, three = both(db)
    assert one["ok"] and three["ok"]
    assert one == three
    assert one["events"] == len(all_events(db)) >= 9


def test_parallel_verify_names_a_changed_event_in_a_later_range(db, long_chain):
    rows = all_events(db)
    victim = rows[-2].seq
    tamper(db, text("UPDATE ledger_events SET actor = 'mallory' WHERE seq = :s"), {"s": victim})
    one, three = both(db)
    assert not one["ok"] and not three["ok"]
    assert one["first_bad_seq"] == three["first_bad_seq"] == victim
    assert one["reason"] == three["reason"]


def test_parallel_verify_checks_the_joints_between_ranges(db, long_chain):
    # Rewrite the first event of the second range so that it hashes correctly over
    # a forged link: only the joint with the range before it shows the change.
    rows = all_events(db)
    top = rows[-1].seq
    lo = -(-top // 3) + 1
    row = next(r for r in rows if r.seq == lo)
    forged_prev = "f" * 64
    body = ledger.event_body(
        seq=row.seq, at=row.at, case_id=row.case_id, actor=row.actor, party=row.party,
        action=row.action, from_state=row.from_state, to_state=row.to_state,
        documents=row.documents or [], detail=row.detail or {},
    )  # fmt: skip
    tamper(
        db,
        text("UPDATE ledger_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
        {"p": forged_prev, "h": ledger.chain_hash(forged_prev, body), "s": lo},
    )
    one, three = both(db)
    assert one["first_bad_seq"] == three["first_bad_seq"] == lo
    assert not three["ok"]


def test_parallel_verify_finds_a_missing_event(db, long_chain):
    rows = all_events(db)
    victim = rows[len(rows) // 2].seq
    tamper(db, delete(LedgerEvent).where(LedgerEvent.seq == victim))
    one, three = both(db)
    assert not one["ok"] and not three["ok"]
    assert one["first_bad_seq"] == three["first_bad_seq"] == victim + 1
    assert db.session.scalar(select(LedgerEvent.seq).where(LedgerEvent.seq == victim)) is None
