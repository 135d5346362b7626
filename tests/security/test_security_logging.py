"""Security logging (OWASP logging vocabulary), the generic 500, and the
production configuration's refusals (ASVS 5.0 V16, V13).

Each event is one JSON object on one line with a UTC ``datetime`` and the
``event`` name; no password or token is ever in it; a CR/LF (or any other line
break a log reader honours) typed by an attacker cannot start a second line.
"""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.services import cases as case_service
from app.services import public as public_service
from config import ProductionConfig
from tests.security.county import pdf_bytes
from tests.support import PASSWORD

EVENTS = (
    "authn_login_fail",
    "authn_login_success",
    "authz_fail",
    "session_expired",
    "upload_validation_fail",
    "sequence_fail",
    "ledger_verify_fail",
)


def _tamper(db, statement, params=None) -> None:
    """Change a ledger row behind the application's back (as tests/api/test_ledger.py)."""
    try:
        db.session.execute(statement, params or {})
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(statement, params or {})
        db.session.commit()
    db.session.expire_all()


def _one_line(line: str) -> dict:
    assert "\n" not in line and "\r" not in line, line
    assert len(line.splitlines()) == 1, f"the line breaks for str.splitlines(): {line!r}"
    return json.loads(line)


def _check_record(line: str, name: str, secrets=()) -> dict:
    body = _one_line(line)
    assert body["event"] == name
    at = datetime.fromisoformat(body["datetime"])
    assert at.utcoffset().total_seconds() == 0, body["datetime"]
    assert abs((datetime.now(UTC) - at).total_seconds()) < 120
    assert body["appid"] and body["level"] in ("INFO", "WARN", "CRITICAL")
    for secret in secrets:
        assert secret not in line, f"{secret!r} written to the security log"
    return body


def _line_of(events, name: str) -> str:
    found = [line for e, line in zip(events.events, events.lines, strict=True)
             if e.get("event") == name]  # fmt: skip
    assert found, f"no {name} event; got {[e.get('event') for e in events.events]}"
    return found[-1]


def test_every_owasp_event_is_one_json_line_in_utc_without_secrets(
    app, db, client, world, security_events
):
    seen = {}
    # authn_login_fail: a wrong password is never written down.
    wrong = "Wrong-Password-Xq81"
    r = client.post("/api/v1/tokens", json={"username": world.landholder.user.username,
                                            "password": wrong})  # fmt: skip
    assert r.status_code == 401
    seen["authn_login_fail"] = _check_record(
        _line_of(security_events, "authn_login_fail"), "authn_login_fail", [wrong]
    )
    # authn_login_success: neither the password nor the token issued.
    r = client.post("/api/v1/tokens", json={"username": world.landholder.user.username,
                                            "password": PASSWORD})  # fmt: skip
    assert r.status_code == 201
    token = r.get_json()["token"]
    seen["authn_login_success"] = _check_record(
        _line_of(security_events, "authn_login_success"), "authn_login_success", [PASSWORD, token]
    )
    # authz_fail: another landholder's case.
    cid = world.register()["case"]["id"]
    r = client.get(f"/api/v1/cases/{cid}", headers=world.other_landholder.headers)
    assert r.status_code == 404
    bearer = world.other_landholder.headers["Authorization"][7:]
    seen["authz_fail"] = _check_record(
        _line_of(security_events, "authz_fail"), "authz_fail", [bearer]
    )
    # sequence_fail: a stale version.
    r = world.post("landholder", f"/cases/{cid}/actions/submit", {"version": 999})
    assert r.status_code == 409
    seen["sequence_fail"] = _check_record(
        _line_of(security_events, "sequence_fail"), "sequence_fail"
    )
    # upload_validation_fail: a "PDF" that is an HTML page.
    r = client.post(
        f"/api/v1/cases/{cid}/filings",
        data={"kind": "survey_report", "data": json.dumps(world.survey_data()),
              "files": [(io.BytesIO(b"<html><script>alert(1)</script></html>"), "a.pdf")]},
        headers=world.landholder.headers, content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 415
    seen["upload_validation_fail"] = _check_record(
        _line_of(security_events, "upload_validation_fail"), "upload_validation_fail"
    )
    # session_expired: a browser whose session was replaced by a newer login.
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        r = c.post("/login", data={"username": world.env.user.username, "password": PASSWORD})
        assert r.status_code == 302
    assert first.get("/review/").status_code == 302  # back to /login
    seen["session_expired"] = _check_record(
        _line_of(security_events, "session_expired"), "session_expired"
    )
    # ledger_verify_fail: a row changed behind the application's back.
    _tamper(db, text("UPDATE ledger_events SET actor = 'mallory' WHERE seq = 2"))
    assert world.get("env", "/ledger/verify").get_json()["ok"] is False
    seen["ledger_verify_fail"] = _check_record(
        _line_of(security_events, "ledger_verify_fail"), "ledger_verify_fail"
    )
    assert seen["ledger_verify_fail"]["level"] == "CRITICAL"
    assert set(seen) == set(EVENTS)
    for line in security_events.lines:
        assert PASSWORD not in line and token not in line


@pytest.mark.parametrize(
    "breaker",
    ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1e"],
    ids=["CRLF", "LF", "CR", "LS", "PS", "NEL", "VT", "FF", "RS"],
)
def test_a_username_with_a_line_break_cannot_forge_a_second_line(client, security_events, breaker):
    forged = json.dumps({"datetime": datetime.now(UTC).isoformat(), "event": "authn_login_success",
                         "user": "admin"})  # fmt: skip
    r = client.post("/api/v1/tokens", json={"username": f"mallory{breaker}{forged}",
                                            "password": "x" * 10})  # fmt: skip
    assert r.status_code == 401
    line = _line_of(security_events, "authn_login_fail")
    body = _one_line(line)  # json.loads would fail on a second object
    assert body["event"] == "authn_login_fail"
    assert body["user"].startswith("mallory")
    assert [e["event"] for e in security_events.events] == ["authn_login_fail"]


def test_security_logger_is_not_disabled_by_in_process_migrations(app):
    """tests/conftest.py runs ``flask_migrate.upgrade()`` in the test process;
    migrations/env.py calls ``logging.config.fileConfig(...)`` whose default
    ``disable_existing_loggers=True`` silences every logger that existed —
    ``app.security`` and ``app.errors`` included. Any process that migrates
    in-process (tests, an entrypoint calling upgrade() before serving) then
    writes no security events at all."""
    for name in ("app.security", "app.errors"):
        assert not logging.getLogger(name).disabled, f"logger {name} disabled after migrations"


# ---------------------------------------------------------------- the 500


SECRET_DETAIL = "psycopg.OperationalError: password=hunter2 at /srv/app/services/x.py line 42"


def _boom(*args, **kwargs):
    raise RuntimeError(SECRET_DETAIL)


def _assert_generic(body: str) -> str:
    assert "Traceback" not in body and "hunter2" not in body and SECRET_DETAIL not in body
    assert "RuntimeError" not in body and ".py" not in body
    m = re.search(r"\b([0-9a-f]{12})\b", body)
    assert m, f"no incident id in {body[:400]!r}"
    return m.group(1)


def test_an_unexpected_error_is_a_generic_html_page_with_an_incident_id(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(public_service, "summary", _boom)
    monkeypatch.setattr(logging.getLogger("app.errors"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        r = client.get("/")
    assert r.status_code == 500
    assert r.mimetype == "text/html"
    incident = _assert_generic(r.get_data(as_text=True))
    # The operator finds the traceback in the log under the same incident id.
    logged = [rec for rec in caplog.records if incident in rec.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_an_unexpected_api_error_is_generic_json_with_an_incident_id(client, world, monkeypatch):
    monkeypatch.setattr(case_service, "list_for", _boom)
    r = client.get("/api/v1/cases", headers=world.env.headers)
    assert r.status_code == 500
    body = r.get_json()
    assert body["error"]["code"] == "internal_error"
    incident = _assert_generic(json.dumps(body, ensure_ascii=False))
    assert incident in body["error"]["message"]


# ---------------------------------------------------------------- production config


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app(ProductionConfig, DEBUG=True)
    monkeypatch.setenv("FLASK_DEBUG", "1")  # Flask reads it when the app is built
    prod = create_app(ProductionConfig)
    assert prod.debug is False and prod.config["SESSION_COOKIE_SECURE"] is True


def test_production_serves_a_pdf_upload_error_without_debug_details(monkeypatch, world):
    """A production app (DEBUG off, TESTING off) answers a hostile upload with
    the JSON error, not a debugger page."""
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    prod = create_app(ProductionConfig)
    c = prod.test_client()
    r = c.post("/api/v1/cases/1/filings",
               data={"kind": "survey_report", "data": "{}",
                     "files": [(io.BytesIO(pdf_bytes()[:40]), "cut.pdf")]},
               headers=world.landholder.headers, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code in (400, 404, 415) and r.is_json
    assert "Traceback" not in r.get_data(as_text=True)
