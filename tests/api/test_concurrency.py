"""Two bureau officers approving the same case at the same moment (PostgreSQL):
the row lock and the version make exactly one of them win (DESIGN.md §2, §9)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.models import LedgerEvent
from tests.support import Actor, bearer, make_user

ROUNDS = 20


@pytest.fixture
def second_env(world) -> Actor:
    user = make_user("bureau", department="environment")
    world.actors["env2"] = Actor(user, bearer(user))
    return world.actors["env2"]


def race(app, url: str, payload: dict, headers: list[dict]) -> list[tuple[int, dict]]:
    """POST the same request from one thread per header set, released together."""
    return _together(app, [(url, payload, h) for h in headers])


def test_concurrent_approvals_one_wins(app, db, world, second_env, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers on the database file; row locks need PostgreSQL")
    for n in range(ROUNDS):
        cid = world.to_state("survey_review")
        world.act("nr", cid, "cosign")
        version = world.case(cid, "env")["version"]
        db.session.commit()  # the test's own session holds nothing while the threads run

        results = race(
            app,
            f"/api/v1/cases/{cid}/actions/approve",
            {"version": version, "comment": f"第 {n} 轮"},
            [world.env.headers, second_env.headers],
        )

        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], (n, results)
        loser = next(body for status, body in results if status == 409)
        assert loser["error"]["code"] == "stale_version", (n, results)
        winner = next(body for status, body in results if status == 200)
        assert winner["state"] == "risk_assessment"

        db.session.expire_all()
        approvals = db.session.scalar(
            select(func.count())
            .select_from(LedgerEvent)
            .where(LedgerEvent.case_id == cid, LedgerEvent.action == "approve")
        )
        assert approvals == 1, (n, approvals)
        case = world.case(cid, "env")
        assert case["state"] == "risk_assessment" and case["version"] == version + 1
        assert len([r for r in case["reviews"] if r["action"] == "approve"]) == 1

    verify = world.get("env", "/ledger/verify").get_json()
    assert verify["ok"] is True, verify


def test_concurrent_filings_keep_the_ledger_chain(app, db, world, is_postgres):
    """Appends from different cases at once queue on the ledger head instead of forking it."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL")
    cids = [world.register()["case"]["id"] for _ in range(6)]
    # Built here: ORM objects of the test's session must not be touched from threads.
    payload = {"kind": "survey_report", "data": world.survey_data()}
    headers = dict(world.landholder.headers)
    db.session.commit()
    barrier = threading.Barrier(len(cids))
    results: list = [None] * len(cids)

    def run(i: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            r = client.post(
                f"/api/v1/cases/{cids[i]}/filings",
                json=payload,
                headers=headers,
            )
            results[i] = r.status_code
        except Exception as exc:
            results[i] = repr(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [201] * len(cids), results
    db.session.expire_all()
    seqs = list(db.session.scalars(select(LedgerEvent.seq).order_by(LedgerEvent.seq)))
    assert seqs == list(range(1, len(seqs) + 1))
    verify = world.get("env", "/ledger/verify").get_json()
    assert verify["ok"] is True, verify


def _together(app, requests: list[tuple[str, dict, dict]]) -> list[tuple[int | None, dict]]:
    """POST each (url, payload, headers) from a thread of its own, released together."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int) -> None:
        url, payload, headers = requests[i]
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            r = client.post(url, json=payload, headers=headers)
            results[i] = (r.status_code, r.get_json())
        except Exception as exc:  # reported by the assertions of the caller
            results[i] = (None, repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request never returned (deadlock?)"
    return results


def test_concurrent_approvals_get_distinct_gap_free_decision_numbers(
    app, db, world, second_env, is_postgres
):
    """DESIGN §10: numbers unique per county, kind and year, without gaps, even when
    approvals of different cases commit at the same moment."""
    if not is_postgres:
        pytest.skip("SQLite serialises writers on the database file; row locks need PostgreSQL")
    from app.models import Decision

    cids = []
    for _ in range(8):
        cid = world.to_state("survey_review")
        world.act("nr", cid, "cosign")
        cids.append(cid)
    requests = [
        (f"/api/v1/cases/{cid}/actions/approve", {"version": world.case(cid, "env")["version"]},
         (world.env if i % 2 else second_env).headers)
        for i, cid in enumerate(cids)
    ]  # fmt: skip
    db.session.commit()
    results = _together(app, requests)
    assert [status for status, _ in results] == [200] * len(cids), results
    db.session.expire_all()
    rows = db.session.execute(select(Decision.number, Decision.seq, Decision.kind)).all()
    assert {kind for _, _, kind in rows} == {"review"}
    assert len({number for number, _, _ in rows}) == len(cids)
    assert sorted(seq for _, seq, _ in rows) == list(range(1, len(cids) + 1))
    numbers = {body["decisions"][-1]["number"] for _, body in results}
    assert numbers == {number for number, _, _ in rows}


def test_a_use_change_racing_a_survey_filing_leaves_samples_screened_for_the_new_use(
    app, db, world, is_postgres
):
    """Whichever commits first, every sample ends screened against the category of
    the use in force (the filing and the change take the case row in turn)."""
    if not is_postgres:
        pytest.skip("SQLite serialises writers on the database file; row locks need PostgreSQL")
    from app.models import Filing, Sample, Site

    for n in range(6):
        reg = world.register(planned_use="industrial", name=f"竞争地块{n}")
        cid = reg["case"]["id"]
        filing = {"kind": "survey_report", "data": world.survey_data(lead_mg_kg=500)}
        change = {"planned_use": "residential", "basis": f"规划调整第 {n} 号"}
        requests = [
            (f"/api/v1/cases/{cid}/filings", filing, dict(world.landholder.headers)),
            (f"/api/v1/sites/{reg['code']}/use-change", change, dict(world.nr.headers)),
        ]
        if n % 2:
            requests.reverse()
        db.session.commit()
        results = _together(app, requests)
        assert sorted(status for status, _ in results) == [200, 201], (n, results)
        db.session.expire_all()
        assert db.session.scalar(select(Site.land_category).where(Site.code == reg["code"])) == 1
        levels = dict(db.session.execute(
            select(Sample.pollutant_key, Sample.level).where(Sample.case_id == cid)).all())  # fmt: skip
        assert levels == {"lead": "above_screening", "cadmium": "below_screening"}, (n, levels)
        top = db.session.scalar(select(Filing.data).where(Filing.case_id == cid))["max_level"]
        assert top == "above_screening", n
    verify = world.get("env", "/ledger/verify").get_json()
    assert verify["ok"] is True, verify
