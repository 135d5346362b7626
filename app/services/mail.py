"""Notifications by e-mail as well (optional; DESIGN.md §11): off unless
``MAIL_SERVER`` is set. Sent through Flask-Mailman once the transaction that wrote
the notifications has committed, to users with an address; a mail server that is
down never undoes or delays the step itself beyond ``MAIL_TIMEOUT`` (the notice
stays in the inbox either way)."""

from __future__ import annotations

import logging

from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import select

from app.extensions import db, mail
from app.models import User
from app.services import events

log = logging.getLogger("app.mail")


def enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def queue(user_ids, subject: str, body: str) -> int:
    """Send ``body`` to each user with an e-mail address after the commit; returns how
    many messages are queued (0 when mail is off)."""
    if not enabled():
        return 0
    addresses = list(
        db.session.scalars(
            select(User.email).where(
                User.id.in_(list(user_ids)), User.email.is_not(None), User.active.is_(True)
            )
        )
    )
    if addresses:
        app = current_app._get_current_object()
        events.after_commit(db.session, lambda: _send(app, addresses, subject, body))
    return len(addresses)


def _send(app, addresses: list[str], subject: str, body: str) -> None:
    try:
        with app.app_context():
            connection = mail.get_connection()
            connection.send_messages(
                [EmailMessage(subject, body, to=[a], connection=connection) for a in addresses]
            )
    except Exception:  # the notice is in the inbox; mail is a convenience
        log.exception("sending %d notification e-mails failed", len(addresses))
