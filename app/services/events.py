"""What follows a ledger event: handlers keyed by the event's kind.

A service that records an event (``ledger.append``) does not know what else must
happen because of it: a receipt to issue, a notification to send, a deadline to
open or close. Those side effects subscribe here, by event kind, in one place
(``app/services/subscriptions.py``), so the services that record events import
none of the services that react to them.

A handler runs inside the event's own transaction, when the event is appended.
It may add rows to that transaction (a document job, a notification): they
commit or roll back together with the event. It may also return a callable to
run once the transaction has committed (start rendering the receipt); that
callable never runs for a transaction that rolled back, and it runs outside any
transaction, in an app context of its own if it needs the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger("app.events")

Handler = Callable[..., Callable[[], None] | None]

_handlers: dict[str, list[Handler]] = {}
_AFTER_COMMIT = "events_after_commit"
ANY = "*"


def on(*kinds: str) -> Callable[[Handler], Handler]:
    """Subscribe a handler to events of ``kinds`` (``ANY`` for every event).
    Subscribing the same function twice to a kind has no effect."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            handlers = _handlers.setdefault(kind, [])
            if handler not in handlers:
                handlers.append(handler)
        return handler

    return register


def handlers_for(kind: str) -> list[Handler]:
    return [*_handlers.get(kind, ()), *_handlers.get(ANY, ())]


def recorded(session: Session, event) -> None:
    """Called by ``ledger.append`` for each event, inside its transaction."""
    for handler in handlers_for(event.action):
        after = handler(event)
        if after is not None:
            after_commit(session, after)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@sa_event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT, None)
    for callback in callbacks or ():
        try:
            callback()
        except Exception:  # the event has committed; a side effect never undoes it
            log.exception("after-commit handler %r failed", callback)


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
