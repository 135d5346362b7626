"""Anonymous public reads from the replica, everyone else from the primary (issue 20,
app/replica.py). The "replica" here is a copy of the SQLite test database taken at a
moment, so what each request reads from is visible: a plot listed after the copy is
only on the primary. (``make cluster-test`` runs the same on a real PostgreSQL
streaming replica.)"""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy.engine import make_url

from app import response_cache
from app.extensions import db
from tests.public.helpers import plot


@pytest.fixture
def replica(app, monkeypatch, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a copy of the SQLite file stands in for the replica")

    def snapshot() -> None:
        db.session.commit()
        source = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
        target = sqlite3.connect(tmp_path / "replica.db")
        with target:
            source.backup(target)
        source.close()
        target.close()

    monkeypatch.setitem(app.config, "DATABASE_REPLICA_URL", f"sqlite:///{tmp_path / 'replica.db'}")
    monkeypatch.setitem(app.extensions, "clc_replica", None)
    response_cache.clear()
    yield snapshot
    engine = app.extensions.get("clc_replica")
    if engine:
        engine.dispose()
    response_cache.clear()


def _codes(client, **headers) -> set[str]:
    r = client.get("/api/v1/public/sites?per_page=100", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {item["code"] for item in r.get_json()["items"]}


def test_a_stranger_reads_the_replica_and_a_user_the_primary(app, world, replica):
    old, _ = plot(world, "listed")
    replica()
    new, _ = plot(world, "listed")  # on the primary only: the replica "lags"
    stranger = app.test_client()
    assert old in _codes(stranger) and new not in _codes(stranger)
    assert stranger.get(f"/sites/{new}").status_code == 404
    assert stranger.get(f"/sites/{old}").status_code == 200
    # A user with a token reads the primary: they see their own writes at once.
    assert {old, new} <= _codes(stranger, **world.landholder.headers)


def test_a_browser_that_has_just_written_reads_the_primary(app, world, replica):
    replica()
    new, _ = plot(world, "listed")
    browser = app.test_client()
    assert browser.get(f"/sites/{new}").status_code == 404
    # The mark a write from this browser leaves (a tip-off sent, say).
    with browser.session_transaction() as session:
        session["_wrote_at"] = time.time()
    assert browser.get(f"/sites/{new}").status_code == 200
    with browser.session_transaction() as session:
        session["_wrote_at"] = time.time() - 60
    assert browser.get(f"/sites/{new}").status_code == 404


@pytest.mark.parametrize(
    ("method", "status", "headers", "marked"),
    [("POST", 201, {}, True), ("POST", 302, {}, True), ("POST", 400, {}, False),
     ("GET", 200, {}, False), ("POST", 201, {"Authorization": "Bearer x"}, False)],
)  # fmt: skip
def test_a_write_marks_the_browser(app, replica, method, status, headers, marked):
    from flask import Response, session

    from app import replica as routing

    with app.test_request_context("/tipoffs", method=method, headers=headers):
        routing.note_write(Response(status=status))
        assert ("_wrote_at" in session) is marked


def test_writes_and_locks_never_go_to_the_replica(app, world, replica):
    replica()
    stranger = app.test_client()
    # Publishing today's ledger head writes: it reads and writes the primary.
    r = stranger.get("/api/v1/public/ledger/heads")
    assert r.status_code == 200, r.get_data(as_text=True)
    # Outside a request nothing reads the replica.
    from app import replica as routing

    assert not routing.active()


def test_kept_answers_follow_the_replica_not_a_newer_head(app, world, replica, monkeypatch):
    """An answer made from the replica is kept under the replica's own version: when
    the replica catches up, the stranger gets the new plot, not the kept old list."""
    from sqlalchemy import text

    from app import head_watch

    def pushed(engine):  # what the primary's NOTIFY tells every process: its head
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT max(seq) FROM ledger_events")).scalar()

    monkeypatch.setitem(app.config, "RESPONSE_CACHE_MB", 8)
    monkeypatch.setitem(app.config, "LEDGER_HEAD_NOTIFY", True)
    monkeypatch.setattr(head_watch, "current", pushed)
    old, _ = plot(world, "listed")
    replica()
    new, _ = plot(world, "listed")
    stranger = app.test_client()
    assert new not in _codes(stranger)
    replica()  # the replica replays the primary's changes
    assert {old, new} <= _codes(stranger)


def test_a_replica_that_cannot_be_read_sends_the_reader_to_the_primary(
    app, world, replica, monkeypatch, tmp_path
):
    from app import replica as routing

    code, _ = plot(world, "listed")
    monkeypatch.setitem(
        app.config, "DATABASE_REPLICA_URL", f"sqlite:///{tmp_path / 'missing' / 'replica.db'}"
    )
    monkeypatch.setitem(app.extensions, "clc_replica", None)
    monkeypatch.setattr(routing, "_down_until", 0.0)
    stranger = app.test_client()
    r = stranger.get(f"/api/v1/public/sites/{code}")
    assert r.status_code == 307 and r.headers["Location"].endswith(f"/api/v1/public/sites/{code}")
    again = stranger.get(f"/api/v1/public/sites/{code}")  # now read from the primary
    assert again.status_code == 200 and again.get_json()["code"] == code
