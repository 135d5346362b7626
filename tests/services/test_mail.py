"""Notifications by e-mail (DESIGN §11, optional): with MAIL_SERVER set, what reaches a
user's inbox is also mailed to their address, after the commit; off by default; a
mail server that is down changes nothing for the user. Tested against a local SMTP
server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import socket
from email.header import decode_header, make_header

import pytest

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from tests.support import World

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _mail_world(app, client):
    """The standard cast, each user with an e-mail address."""
    w = World.build(client)
    for key, actor in w.actors.items():
        actor.user.email = f"{key}@example.gov.cn"
    _db.session.commit()
    return w


def _text(message) -> tuple[str, str]:
    subject = str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return subject, body


def test_a_return_is_mailed_to_the_filer_side(app, smtp):
    controller, inbox = smtp
    mailing = create_app(TestingConfig, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                         MAIL_DEFAULT_SENDER="noreply@longchuan.example.gov.cn",
                         SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])  # fmt: skip
    with mailing.app_context():
        w = _mail_world(mailing, mailing.test_client())
        cid = w.to_state("survey_review")
        before = len(inbox.messages)
        w.act("env", cid, "return", comment="请补充地下水点位")
        mailed = inbox.messages[before:]
        assert [m["To"] for m in mailed] == ["landholder@example.gov.cn"]
        subject, body = _text(mailed[0])
        assert "退回修改" in subject and "请补充地下水点位" in body
        _db.session.remove()


def test_mail_is_off_by_default(app, client, smtp):
    controller, inbox = smtp
    w = _mail_world(app, client)
    cid = w.to_state("survey_review")
    w.act("env", cid, "return", comment="补充")
    assert inbox.messages == []  # MAIL_SERVER unset


def test_a_dead_mail_server_changes_nothing_for_the_user(app):
    dead = create_app(TestingConfig, MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(),
                      MAIL_TIMEOUT=2,
                      SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])  # fmt: skip
    with dead.app_context():
        w = _mail_world(dead, dead.test_client())
        cid = w.to_state("survey_review")
        assert w.act("env", cid, "return", comment="补充")["state"] == "survey"
        assert w.get("landholder", "/notifications").get_json()["items"][0]["kind"] == "returned"
        _db.session.remove()
