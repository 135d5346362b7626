"""The account commands of issue 14/17 and the overdue counts of /indicators (§11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import User
from app.services import auth, clock
from tests.support import PASSWORD
from tests.web.conftest import logged_in, page


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_users_create_takes_an_email_address_and_checks_it(cli, db):
    bad = cli("users", "create", "mailer", "--role", "admin", "--password", "Long-Enough-1",
              "--email", "not-an-address")  # fmt: skip
    assert bad.exit_code != 0 and "电子邮件" in bad.output
    ok = cli("users", "create", "mailer", "--role", "admin", "--password", "Long-Enough-1",
             "--email", "officer@longchuan.example.gov.cn")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "mailer"))
    assert user.email == "officer@longchuan.example.gov.cn"


def test_reset_password_and_unlock_from_the_command_line(cli, db, world, client):
    user = world.landholder.user
    for _ in range(5):
        client.post("/api/v1/tokens", json={"username": user.username, "password": "wrong-guess"})
    db.session.refresh(user)
    assert auth.locked(user)
    assert cli("users", "unlock", user.username).exit_code == 0
    db.session.refresh(user)
    assert not auth.locked(user) and user.failed_logins == 0

    r = cli("users", "reset-password", user.username)
    assert r.exit_code == 0, r.output
    new = r.output.strip().rsplit("：", 1)[-1]
    assert client.post("/api/v1/tokens", json={"username": user.username,
                                                 "password": PASSWORD}).status_code == 401  # fmt: skip
    assert client.post("/api/v1/tokens", json={"username": user.username,
                                                 "password": new}).status_code == 201  # fmt: skip
    assert client.get("/api/v1/me", headers=world.landholder.headers).status_code == 401
    short = cli("users", "reset-password", user.username, "--password", "short")
    assert short.exit_code != 0
    assert cli("users", "unlock", "nobody-here").exit_code != 0


def test_indicators_count_overdue_deadlines_by_township_for_the_bureau(app, world, client):
    with clock.frozen(clock.now() - timedelta(days=60)):
        world.to_state("survey_review")
    public = page(client.get("/indicators"))
    assert (
        public.text(public.one("span", cls="badge", under=public.one(data_testid="overdue"))) == "1"
    )
    assert not public.all(data_testid="overdue-by-township")  # the public sees the totals
    desk = page(logged_in(app, world.env.user).get("/indicators"))
    table = desk.one("table", data_testid="overdue-by-township")
    assert "章凤镇" in desk.text(table)
