"""The jurisdiction check costs no query per request (issue 18): a county officer,
a prefecture officer and an administrator (who has no jurisdiction to check) run
the same number of SQL statements on the desk's and the API's busiest reads; the
regions table is read once per process, not per request."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from app import response_cache
from app.extensions import db as _db
from app.services import auth, regions
from tests.support import PASSWORD, Actor, bearer
from tests.web.conftest import logged_in


@contextlib.contextmanager
def counted():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def _statements(client, url: str, headers=None) -> int:
    response_cache.clear()
    client.get(url, headers=headers)  # warm: sessions, tokens, the regions copy
    response_cache.clear()
    with counted() as seen:
        r = client.get(url, headers=headers)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


@pytest.fixture
def officers(world):
    upper = auth.create_user("dehong", role="bureau", department="environment",
                             county="533100", level="prefecture", password=PASSWORD)  # fmt: skip
    world.actors["dehong"] = Actor(upper, bearer(upper))
    cid = world.to_state("transfer_reporting")
    world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data())
    return cid


@pytest.mark.parametrize("url", ["/api/v1/cases/{cid}", "/api/v1/cases", "/api/v1/deadlines",
                                 "/api/v1/manifests", "/api/v1/suspected-sites"])  # fmt: skip
def test_the_api_runs_as_many_statements_for_every_level(world, client, officers, url):
    url = url.format(cid=officers)
    counts = {who: _statements(client, url, world.actors[who].headers)
              for who in ("env", "dehong", "admin") if who != "admin" or "suspected" not in url}  # fmt: skip
    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("url", ["/review/", "/review/deadlines", "/review/manifests",
                                 "/review/cases/{cid}"])  # fmt: skip
def test_the_desk_runs_as_many_statements_for_every_level(world, app, officers, url):
    url = url.format(cid=officers)
    counts = {who: _statements(logged_in(app, world.actors[who].user), url)
              for who in ("env", "dehong")}  # fmt: skip
    assert len(set(counts.values())) == 1, counts


def test_the_regions_table_is_read_once_per_process(world, client, officers):
    regions.forget()
    headers = world.actors["dehong"].headers
    with counted() as first:
        client.get(f"/api/v1/cases/{officers}", headers=headers)
    response_cache.clear()
    with counted() as second:
        client.get(f"/api/v1/cases/{officers}", headers=headers)
    assert sum("regions" in s for s in first) == 1
    assert sum("regions" in s for s in second) == 0
