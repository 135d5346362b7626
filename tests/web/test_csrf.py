"""CSRF (issue 4): with protection on, a form posted without the token is
refused with 400 and changes nothing; with the token it works, so the refusal
is the token's doing."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support import make_party, make_user
from tests.web.conftest import PASSWORD, case_row, csrf_token, ledger_count, new_client


def _login_with_token(client, user):
    token = csrf_token(client.get("/login"))
    r = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def test_login_without_a_csrf_token_is_refused(csrf_app):
    user = make_user("landholder", make_party())
    client = new_client(csrf_app)
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/portal/").status_code == 302  # not logged in
    _login_with_token(client, user)
    assert client.get("/portal/").status_code == 200


def test_a_case_action_without_a_csrf_token_is_refused_and_nothing_changes(csrf_app, world):
    cid = world.to_state("survey")
    world.file("landholder", cid, "survey_report", world.survey_data())
    client = new_client(csrf_app)
    _login_with_token(client, world.landholder.user)
    state, version = case_row(cid)
    before = ledger_count()

    r = client.post(f"/portal/cases/{cid}/act", data={"action": "submit", "version": version})
    assert r.status_code == 400
    assert case_row(cid) == (state, version)
    assert ledger_count() == before

    token = csrf_token(client.get(f"/portal/cases/{cid}"))
    r = client.post(
        f"/portal/cases/{cid}/act",
        data={"action": "submit", "version": version, "csrf_token": token},
    )
    assert r.status_code == 302
    assert case_row(cid)[0] == "survey_review"
    assert ledger_count() == before + 1


def test_a_filing_form_without_a_csrf_token_is_refused(csrf_app, world):
    cid = world.to_state("survey")
    client = new_client(csrf_app)
    _login_with_token(client, world.landholder.user)
    before = ledger_count()
    r = client.post(
        f"/portal/cases/{cid}/file/survey_report",
        data={"unit_credit_code": world.surveyor.party.credit_code, "project_lead": "李调查",
              "conclusion": "铅超标"},
    )  # fmt: skip
    assert r.status_code == 400
    assert ledger_count() == before


def test_logout_without_a_csrf_token_is_refused_and_the_session_lives_on(csrf_app):
    user = make_user("landholder", make_party())
    client = new_client(csrf_app)
    _login_with_token(client, user)
    r = client.post("/logout")
    assert r.status_code == 400
    assert client.get("/portal/").status_code == 200

    token = csrf_token(client.get("/portal/"))
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    assert client.get("/portal/").status_code == 302
