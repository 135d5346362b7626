"""Public answers kept per ledger head (app/response_cache.py, issue 6): a kept
answer is served without touching the data, moves as soon as the ledger does,
is never kept for a logged-in user, and answers If-None-Match with 304."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from app import head_watch
from app.extensions import db
from app.services import ledger
from tests.public.helpers import plot
from tests.web.conftest import logged_in


class Statements:
    def __init__(self):
        self.n = 0

    def __call__(self, *_args, **_kwargs):
        self.n += 1


@pytest.fixture
def statements(app):
    counter = Statements()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def listed(world):
    code, case_id = plot(world, "listed", name="原焦化厂地块")
    return code, case_id


def test_a_kept_page_costs_one_statement_and_moves_with_the_ledger(app, world, listed,
                                                                   statements):  # fmt: skip
    code, case_id = listed
    anon = app.test_client()
    first = anon.get(f"/sites/{code}")
    assert first.status_code == 200 and "已列入名录" in first.get_data(as_text=True)
    statements.n = 0
    again = anon.get(f"/sites/{code}")
    assert again.get_data() == first.get_data()
    assert statements.n == 1  # the ledger head, nothing else
    assert again.headers["ETag"] == first.headers["ETag"]

    world.act("env", case_id, "require_remediation")  # appends an event
    moved = anon.get(f"/sites/{code}")
    assert moved.headers["ETag"] != first.headers["ETag"]
    assert "决定实施修复" in moved.get_data(as_text=True)


def test_if_none_match_answers_304_until_the_head_moves(app, world, listed):
    code, case_id = listed
    anon = app.test_client()
    etag = anon.get("/").headers["ETag"]
    assert anon.get("/", headers={"If-None-Match": etag}).status_code == 304
    world.act("env", case_id, "require_control")
    assert anon.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_register_filters_and_languages_are_kept_apart(app, world, listed):
    anon = app.test_client()
    zh = anon.get("/").get_data(as_text=True)
    en = anon.get("/?lang=en").get_data(as_text=True)  # sets the language cookie: not kept
    assert en != zh
    assert anon.get("/").get_data(as_text=True) == en  # the cookie now says English
    other = app.test_client()
    assert other.get("/").get_data(as_text=True) == zh
    assert other.get("/?township=不存在的乡").get_data(as_text=True) != zh


def test_logged_in_readers_are_never_served_a_kept_page(app, world, listed, statements):
    code, _ = listed
    anon = app.test_client()
    anon.get(f"/sites/{code}")  # kept for anonymous readers
    officer = logged_in(app, world.actors["env"].user)
    statements.n = 0
    page = officer.get(f"/sites/{code}").get_data(as_text=True)
    assert statements.n > 1  # computed for the officer, not taken from the store
    assert "退出" in page  # the officer's own navigation
    assert "退出" not in anon.get(f"/sites/{code}").get_data(as_text=True)


def test_the_case_json_follows_every_event(world, listed):
    _, case_id = listed
    before = world.get("env", f"/cases/{case_id}").get_json()
    assert before == world.get("env", f"/cases/{case_id}").get_json()
    world.act("env", case_id, "require_remediation")
    after = world.get("env", f"/cases/{case_id}").get_json()
    assert after["state"] == "plan_filing" and after["version"] != before["version"]
    # another caller gets its own answer, with its own roles
    assert (
        world.get("landholder", f"/cases/{case_id}").get_json()["your_roles"] != after["your_roles"]
    )


def test_switched_off_with_zero_megabytes(app, world, listed, statements):
    code, _ = listed
    app.config["RESPONSE_CACHE_MB"] = 0
    try:
        anon = app.test_client()
        anon.get(f"/sites/{code}")
        statements.n = 0
        anon.get(f"/sites/{code}")
        assert statements.n > 1
    finally:
        app.config["RESPONSE_CACHE_MB"] = 32


def test_postgres_pushes_the_head_to_listening_processes(app, world, listed, is_postgres):
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    code, case_id = listed
    try:
        assert head_watch.current(db.engine) is None  # just started: not yet connected
        deadline = time.monotonic() + 10
        while head_watch.current(db.engine) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert head_watch.current(db.engine) == ledger.head()[0]
        world.act("env", case_id, "require_control")
        target = ledger.head()[0]
        while head_watch.current(db.engine) != target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert head_watch.current(db.engine) == target

        app.config["LEDGER_HEAD_NOTIFY"] = True
        anon = app.test_client()
        assert "风险管控" in anon.get(f"/sites/{code}").get_data(as_text=True)
    finally:
        app.config["LEDGER_HEAD_NOTIFY"] = False
        head_watch.stop_all()
    assert ledger.verify()["ok"]
