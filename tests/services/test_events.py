"""Side effects of ledger events (app/services/events.py): a handler runs inside the
event's transaction, its after-commit callback runs only once that transaction has
committed, and never for one that rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import LedgerEvent
from app.services import events, ledger


@pytest.fixture
def probe(monkeypatch):
    seen = {"in_tx": [], "after": []}

    def handler(event):
        # Inside the transaction: the event is flushed but not committed.
        seen["in_tx"].append(event.seq)
        return lambda: seen["after"].append(event.seq)

    monkeypatch.setitem(events._handlers, "probe_event", [handler])
    return seen


def test_handler_runs_in_the_transaction_and_its_callback_after_commit(db, probe):
    event = ledger.append("probe_event", actor=None)
    assert probe == {"in_tx": [event.seq], "after": []}
    db.session.commit()
    assert probe["after"] == [event.seq]


def test_a_rolled_back_event_runs_no_callback(db, probe):
    ledger.append("probe_event", actor=None)
    db.session.rollback()
    db.session.commit()  # a later, empty commit must not run the forgotten callback
    assert probe["after"] == []
    assert db.session.scalar(select(func.count()).select_from(LedgerEvent)) == 0


def test_a_failing_callback_never_undoes_the_committed_event(db, monkeypatch):
    def handler(event):
        def boom():
            raise RuntimeError("side effect failed")

        return boom

    monkeypatch.setitem(events._handlers, "probe_event", [handler])
    ledger.append("probe_event", actor=None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LedgerEvent)) == 1


def test_subscribing_twice_has_no_effect(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})

    def handler(event):
        return None

    events.on("a", "b")(handler)
    events.on("a")(handler)
    assert events.handlers_for("a") == [handler] and events.handlers_for("b") == [handler]
    assert events.handlers_for("c") == []


def test_receipts_are_subscribed_to_filings_approvals_and_manifests():
    from app.services import subscriptions
    from workflows.filings import KINDS

    for kind in KINDS:
        assert subscriptions.issue_filing_receipt in events.handlers_for(kind)
    assert subscriptions.issue_approval_receipt in events.handlers_for("approve")
    assert subscriptions.issue_manifest in events.handlers_for("manifest_reported")
    # A co-signature issues nothing; like every case event, it may move the clocks (§11)
    # and change what a plot's notice board prints (issue 19).
    assert events.handlers_for("cosign") == [
        subscriptions.prerender_notice_board,
        subscriptions.keep_deadlines,
    ]
    assert subscriptions.issue_approval_receipt in events.handlers_for("require_control")
