"""Races and replays (ASVS 5.0 V2.3 business logic: no double transitions).

- Two environment officers approve the same case at the same instant, 50
  times (PostgreSQL: row locks; SQLite serialises writers on the file): each
  time exactly one transition, one ``approve`` ledger event and one review.
- An API filing replayed with the same ``Idempotency-Key`` creates one filing,
  in sequence and when two requests with the key arrive at once.
- A browser form submitted twice (a double click, a reload after POST).

Figure (printed): trials, double transitions.
"""

from __future__ import annotations

import io
import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.models import Filing, LedgerEvent, Review
from tests.support import PASSWORD, Actor, bearer, make_user

TRIALS = 50


def _race(app, requests: list[tuple[str, dict, dict]]) -> list[tuple[int | None, object]]:
    """POST each (url, json, headers) from its own thread and test client, released together."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int) -> None:
        url, payload, headers = requests[i]
        # Each thread its own client; a plain FlaskClient (the suite's IsolatedClient
        # touches the test's session after each request, from the wrong thread).
        client = FlaskClient(app, app.response_class)
        try:
            barrier.wait(timeout=30)
            r = client.post(url, json=payload, headers=headers)
            results[i] = (r.status_code, r.get_json())
        except Exception as exc:  # reported by the caller's assertions
            results[i] = (None, repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never returned (deadlock?)"
    return results


@pytest.fixture
def second_officer(world) -> Actor:
    user = make_user("bureau", department="environment")
    world.actors["env2"] = Actor(user, bearer(user))
    return world.actors["env2"]


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_officers_approving_at_once_make_one_transition(
    app, db, world, second_officer, is_postgres, capsys
):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers on the database file")
    doubles, bad = 0, []
    for n in range(TRIALS):
        cid = world.to_state("survey_review")
        world.act("nr", cid, "cosign")
        version = world.case(cid, "env")["version"]
        db.session.commit()  # the test's session holds no lock while the threads run
        url = f"/api/v1/cases/{cid}/actions/approve"
        results = _race(app, [
            (url, {"version": version, "comment": f"第 {n} 次 A"}, world.env.headers),
            (url, {"version": version, "comment": f"第 {n} 次 B"}, second_officer.headers),
        ])  # fmt: skip
        approvals = _count(db, LedgerEvent, LedgerEvent.case_id == cid,
                           LedgerEvent.action == "approve")  # fmt: skip
        reviews = _count(db, Review, Review.case_id == cid, Review.action == "approve")
        case = world.case(cid, "env")
        statuses = sorted(s for s, _ in results)
        doubles += approvals > 1 or reviews > 1 or case["version"] > version + 1
        if statuses != [200, 409] or approvals != 1 or reviews != 1:
            bad.append((n, results, approvals, reviews))
        loser = [body for s, body in results if s == 409]
        if loser and loser[0]["error"]["code"] != "stale_version":
            bad.append((n, "loser", loser))
        assert case["state"] == "risk_assessment"
    verify = world.get("env", "/ledger/verify").get_json()
    with capsys.disabled():
        print(f"\n[races] approve trials {TRIALS}, double transitions {doubles}, "
              f"other anomalies {len(bad)}, ledger ok {verify['ok']}")  # fmt: skip
    assert doubles == 0 and not bad, bad[:3]
    assert verify["ok"] is True


def test_a_replayed_idempotency_key_files_once(client, db, world):
    cid = world.register()["case"]["id"]
    headers = {**world.landholder.headers, "Idempotency-Key": "survey-2026-0001"}
    body = {"kind": "survey_report", "data": world.survey_data()}
    first = client.post(f"/api/v1/cases/{cid}/filings", json=body, headers=headers)
    again = client.post(f"/api/v1/cases/{cid}/filings", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(db, Filing, Filing.case_id == cid) == 1
    assert _count(db, LedgerEvent, LedgerEvent.case_id == cid,
                  LedgerEvent.action == "survey_report") == 1  # fmt: skip
    # The key is the filer's: another user's identical key is a different request.
    other = client.post(f"/api/v1/cases/{cid}/filings", json=body,
                        headers={**world.surveyor.headers, "Idempotency-Key": "survey-2026-0001"})  # fmt: skip
    assert other.status_code in (403, 404)


@pytest.mark.parametrize("trials", [20])
def test_two_requests_with_one_idempotency_key_at_once_file_once(
    app, db, world, is_postgres, trials, capsys
):
    """The replay arrives while the first request is still in flight (a client
    retrying on a timeout): one filing; the other answer is that filing or a
    clean 409, never a 500 and never a second filing."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL for truly concurrent writers")
    problems, duplicates = [], 0
    for n in range(trials):
        cid = world.register()["case"]["id"]
        headers = {**world.landholder.headers, "Idempotency-Key": f"retry-{n}"}
        body = {"kind": "survey_report", "data": world.survey_data()}
        db.session.commit()
        url = f"/api/v1/cases/{cid}/filings"
        results = _race(app, [(url, body, headers), (url, body, headers)])
        filings = _count(db, Filing, Filing.case_id == cid)
        duplicates += filings > 1
        statuses = sorted(s for s, _ in results)
        ids = {b["id"] for s, b in results if s in (200, 201)}
        clean = statuses in ([200, 201], [201, 201], [201, 409]) and len(ids) == 1
        if filings != 1 or not clean:
            problems.append((n, statuses, filings, [str(b)[:200] for _, b in results]))
    with capsys.disabled():
        print(f"\n[races] idempotency trials {trials}, second filings {duplicates}, "
              f"unclean answers {len(problems)}")  # fmt: skip
    assert not problems, problems[:3]


def test_a_double_submitted_filing_form_files_once(app, db, world):
    """The portal's filing form carries no idempotency token: a double click or
    a reload-and-resend of the same POST files the report twice."""
    cid = world.register()["case"]["id"]
    browser = app.test_client()
    r = browser.post("/login", data={"username": world.landholder.user.username,
                                     "password": PASSWORD})  # fmt: skip
    assert r.status_code == 302
    page = browser.get(f"/portal/cases/{cid}/file/survey_report").get_data(as_text=True)
    hidden = {}
    import re

    for m in re.finditer(r'<input[^>]*type="hidden"[^>]*>', page):
        name = re.search(r'name="([^"]+)"', m.group(0))
        value = re.search(r'value="([^"]*)"', m.group(0))
        if name and name.group(1) != "csrf_token":
            hidden[name.group(1)] = value.group(1) if value else ""
    csv = "点位编号,深度,污染物,检测值,单位\nS1,0.5,铅,650,mg/kg\n".encode()

    def submit():
        return browser.post(
            f"/portal/cases/{cid}/file/survey_report",
            data={**hidden, "unit_credit_code": world.surveyor.party.credit_code,
                  "project_lead": "李调查", "conclusion": "铅超过筛选值",
                  "samples": (io.BytesIO(csv), "samples.csv")},
            content_type="multipart/form-data",
        )  # fmt: skip

    assert submit().status_code == 302
    second = submit()
    assert second.status_code in (200, 302, 409)
    assert _count(db, Filing, Filing.case_id == cid) == 1, (
        "the same form POST twice filed two survey reports"
    )
