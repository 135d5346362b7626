"""Hardening, second round (issue 17): one test (or a few) per numbered finding.

1 Host header poisoning of kept answers · 2 receipts with a foreign host (in
tests/documents/test_documents.py) · 3 land transfer across counties · 4 a former
party and later manifests · 5 accounts and sessions · 6 PDF rendering on demand ·
7 CSV formula cells · 8 odd inputs · 9 Cache-Control and HSTS."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Site, User
from app.services import clock
from tests.support import PASSWORD, Actor, bearer, make_party, make_user
from tests.web.conftest import logged_in, login, new_client


@pytest.fixture
def public_plot(world):
    reg = world.register(name="公开地块")
    world.to_state("listed", site=reg)
    return reg["code"]


# ---------------------------------------------------------------- 1 Host header


def test_a_forged_host_never_reaches_the_next_reader(app, client, public_plot):
    app.config["RESPONSE_CACHE_MB"] = 32
    for url in (f"/sites/{public_plot}", "/", "/api/v1/public/sites", "/open-data"):
        forged = client.get(url, headers={"Host": "evil.example"})
        assert forged.status_code == 200, url
        honest = client.get(url)
        assert "evil.example" not in honest.get_data(as_text=True), url


def test_with_a_public_address_no_url_comes_from_the_host(app, client, public_plot, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    body = client.get(f"/sites/{public_plot}", headers={"Host": "evil.example"}).get_data(
        as_text=True
    )
    assert "evil.example" not in body and "https://tdwr.example.gov.cn/sites/" in body


def test_trusted_hosts_refuse_any_other_host(app, monkeypatch, public_plot):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["tdwr.example.gov.cn"])
    c = app.test_client()
    assert c.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert c.get("/healthz", headers={"Host": "tdwr.example.gov.cn"}).status_code == 200


# ---------------------------------------------------------------- 3 jurisdiction


def test_another_countys_officer_cannot_transfer_a_plot(world):
    reg = world.register()
    buyer = make_party("受让单位")
    officer = make_user("bureau", department="environment")
    officer.region_code = "533103"
    _db.session.commit()
    world.actors["mangshi"] = Actor(officer, bearer(officer))
    r = world.post("mangshi", f"/sites/{reg['code']}/transfer",
                   {"transferee_credit_code": buyer.credit_code,
                    "contract_date": (clock.today() - timedelta(days=1)).isoformat()})  # fmt: skip
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    _db.session.expire_all()
    site = _db.session.scalar(select(Site).where(Site.code == reg["code"]))
    assert site.landholder_party_id == world.landholder.party.id


# ---------------------------------------------------------------- 4 hand-over


def test_a_former_party_sees_no_manifest_reported_after_its_hand_over(app, world):
    reg = world.register()
    cid = world.to_state("transfer_reporting", site=reg)
    first = world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data()).get_json()
    buyer = make_party("受让单位")
    r = world.post("landholder", f"/sites/{reg['code']}/transfer",
                   {"transferee_credit_code": buyer.credit_code, "transferee_responsible": True,
                    "contract_date": (clock.today() - timedelta(days=1)).isoformat()})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    with clock.frozen(clock.now() + timedelta(seconds=5)):
        later = world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data())
    later = later.get_json()
    assert world.get("landholder", f"/manifests/{first['id']}").status_code == 200
    r = world.get("landholder", f"/manifests/{later['id']}")
    assert r.status_code == 404
    listed = [
        m["id"] for m in world.get("landholder", f"/cases/{cid}/manifests").get_json()["items"]
    ]
    assert listed == [first["id"]]
    everything = [m["id"] for m in world.get("landholder", "/manifests").get_json()["items"]]
    assert later["id"] not in everything and first["id"] in everything
    page = logged_in(app, world.landholder.user).get("/portal/manifests").get_data(as_text=True)
    assert later["number"] not in page and first["number"] in page


# ---------------------------------------------------------------- 5 accounts


def _login_api(client, username, password, ip="10.0.0.1"):
    return client.post("/api/v1/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})  # fmt: skip


def test_guesses_against_one_account_lock_it_whatever_the_address(client, world):
    name = world.landholder.user.username
    for i in range(5):
        assert _login_api(client, name, "wrong-guess", ip=f"10.0.{i}.9").status_code == 401
    # Locked now: even the right password is refused, the same way (no oracle).
    r = _login_api(client, name, PASSWORD, ip="10.9.9.9")
    assert r.status_code == 401 and r.get_json()["error"]["message"] == "用户名或密码错误"
    user = _db.session.get(User, world.landholder.user.id)
    _db.session.refresh(user)
    assert user.failed_logins == 5 and user.locked_until is not None
    # The lock doubles with every further failure (1, 2, 4 … minutes).
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        assert _login_api(client, name, "wrong-again").status_code == 401
        _db.session.refresh(user)
        assert user.failed_logins == 6
        assert (
            user.locked_until.replace(tzinfo=None) - clock.now().replace(tzinfo=None)
        ) > timedelta(minutes=1)
    # An administrator lifts it; the right password works again and resets the count.
    admin = logged_in(client.application, world.admin.user)
    assert admin.post(f"/review/users/{user.id}/unlock").status_code == 302
    assert _login_api(client, name, PASSWORD).status_code == 201
    _db.session.refresh(user)
    assert user.failed_logins == 0


def test_a_password_change_ends_other_sessions_and_every_token(app, world):
    user = world.landholder.user
    other = logged_in(app, user)
    token_headers = world.landholder.headers
    me = logged_in(app, user)
    r = me.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "New-Password-2026",
            "confirm": "New-Password-2026",
        },
    )
    assert r.status_code == 400 and "当前密码不正确" in r.get_data(as_text=True)
    r = me.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "New-Password-2026",
            "confirm": "New-Password-2026",
        },
    )
    assert r.status_code == 302
    assert me.get("/portal/").status_code == 200  # this browser stays signed in
    assert other.get("/portal/").status_code == 302  # the other session is over
    assert world.client.get("/api/v1/me", headers=token_headers).status_code == 401
    fresh = new_client(app)
    login(fresh, user, expect=400)  # the old password no longer works
    r = fresh.post("/login", data={"username": user.username, "password": "New-Password-2026"})
    assert r.status_code == 302


def test_the_api_revokes_its_token_and_changes_the_password(world, client):
    headers = world.env.headers
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    token = client.post("/api/v1/tokens", json={"username": world.nr.user.username,
                                                "password": PASSWORD}).get_json()["token"]  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD,
                                                 "new_password": "short"}, headers=auth)  # fmt: skip
    assert r.status_code == 400 and "new_password" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD,
                                                 "new_password": "Another-Pass-2026"}, headers=auth)  # fmt: skip
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_logout_ends_the_api_tokens_too(app, world):
    c = logged_in(app, world.landholder.user)
    c.post("/logout")
    assert world.client.get("/api/v1/me", headers=world.landholder.headers).status_code == 401


def test_an_admin_resets_a_password_shown_once(app, world):
    admin = logged_in(app, world.admin.user)
    r = admin.post(f"/review/users/{world.contractor.user.id}/reset-password")
    assert r.status_code == 302
    page = admin.get("/review/users").get_data(as_text=True)
    import re

    new = re.search(r"新密码（仅显示一次，请当面交付）：(\S+?)<", page).group(1)
    assert world.client.get("/api/v1/me", headers=world.contractor.headers).status_code == 401
    c = new_client(app)
    r = c.post("/login", data={"username": world.contractor.user.username, "password": new})
    assert r.status_code == 302
    officer = logged_in(app, world.env.user)
    assert (
        officer.post(f"/review/users/{world.contractor.user.id}/reset-password").status_code == 403
    )


def test_sessions_end_when_idle_and_after_twelve_hours(app, world):
    c = logged_in(app, world.landholder.user)
    with clock.frozen(clock.now() + timedelta(minutes=20)):
        assert c.get("/portal/").status_code == 200  # active: the idle clock restarts
    with clock.frozen(clock.now() + timedelta(minutes=45)):
        assert c.get("/portal/").status_code == 200  # 25 minutes after the last request
    with clock.frozen(clock.now() + timedelta(minutes=80)):
        r = c.get("/portal/")
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    c = logged_in(app, world.landholder.user)
    for minutes in range(20, 12 * 60, 20):  # busy all day, never idle
        with clock.frozen(clock.now() + timedelta(minutes=minutes)):
            assert c.get("/portal/").status_code == 200, minutes
    with clock.frozen(clock.now() + timedelta(hours=12, minutes=5)):
        assert c.get("/portal/").status_code == 302


# ---------------------------------------------------------------- 6 PDFs on demand


def test_extra_query_parameters_do_not_render_the_notice_again(app, client, world, monkeypatch):
    from app.services import pdf

    cid = world.to_state("works")
    world.file("contractor", cid, "works_notice", world.notice_data())
    code = world.case(cid, "env")["site"]["code"]
    app.config["RESPONSE_CACHE_MB"] = 32
    renders = []
    real = pdf.render_pdf
    monkeypatch.setattr(pdf, "render_pdf", lambda *a, **k: renders.append(1) or real(*a, **k))
    for n in range(5):
        r = client.get(f"/sites/{code}/notice.pdf?x={n}")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert len(renders) == 1


# ---------------------------------------------------------------- 7 CSV formulas

OWASP = ["=cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
         "+1+cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "\t=1+1"]  # fmt: skip


@pytest.mark.parametrize("cell", OWASP)
def test_formula_cells_in_a_sample_csv_are_refused(world, cell):
    cid = world.register()["case"]["id"]
    text = f'点位编号,深度,污染物,检测值,单位\nS1,0.5,铅,650,mg/kg\n"{cell}",0.5,镉,2,mg/kg\n'
    r = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={"kind": "survey_report",
              "data": json.dumps({"unit_credit_code": world.surveyor.party.credit_code,
                                  "project_lead": "李", "conclusion": "见样品"}),
              "samples": (io.BytesIO(text.encode()), "samples.csv")},
        headers=world.landholder.headers, content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 400, r.get_json()
    assert "公式" in r.get_json()["error"]["message"] + str(r.get_json()["error"].get("fields"))


# ---------------------------------------------------------------- 8 odd inputs


@pytest.mark.parametrize("url", ["/review/?page=" + "9" * 30, "/review/cases?page=" + "9" * 30,
                                 "/review/parties/" + "9" * 30, "/review/cases/١٢",
                                 "/portal/manifests?page=" + "9" * 25])  # fmt: skip
def test_odd_numbers_on_the_desk_are_not_a_500(app, world, url):
    r = logged_in(app, world.env.user).get(url)
    assert r.status_code in (400, 403, 404), (url, r.status_code)


def test_odd_inputs_on_the_api_are_a_clear_400_or_404(world):
    assert world.get("env", "/cases?page=" + "9" * 30).status_code == 400
    assert world.get("env", "/cases/١٢").status_code == 404
    assert world.get("env", "/manifests/" + "9" * 30).status_code == 404
    cid = world.register()["case"]["id"]
    r = world.client.post(f"/api/v1/cases/{cid}/filings", content_type="application/json",
                          data='{"kind": "survey_report", "data": {"conclusion": "\\ud800"}}',
                          headers=world.landholder.headers)  # fmt: skip
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "validation_error"


# ---------------------------------------------------------------- 9 headers


def test_private_answers_are_not_stored_and_production_sends_hsts(app, world, client, monkeypatch):
    page = logged_in(app, world.landholder.user).get("/portal/")
    assert page.headers["Cache-Control"] == "no-store"
    assert world.get("landholder", "/cases").headers["Cache-Control"] == "no-store"
    token = client.post("/api/v1/tokens", json={"username": world.env.user.username,
                                                "password": PASSWORD})  # fmt: skip
    assert token.headers["Cache-Control"] == "no-store"
    assert "no-store" not in (client.get("/").headers.get("Cache-Control") or "")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    hsts = client.get("/healthz").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")
