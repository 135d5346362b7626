"""``flask regions`` and officers by county or level (issue 18)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models import LedgerEvent, Region, User
from app.services import regions


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_serving_a_prefecture_serves_its_counties_on_the_record(cli, db):
    r = cli("regions", "serve", "533100")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["counties"] == ["533102", "533103", "533122", "533123", "533124"]
    assert {d.code for d in regions.served()} == set(body["counties"])
    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.action == "regions_served"))
    assert event.detail["code"] == "533100"
    listed = cli("regions", "list", "--served").output.splitlines()
    assert listed[0] == "533102\t瑞丽市\tserved" and len(listed) == 5
    assert cli("regions", "serve", "999999").exit_code != 0


def test_a_division_missing_from_the_list_is_added(cli, db):
    try:
        r = cli("regions", "add", "533199", "新设县", "--parent", "533100")
        assert r.exit_code == 0, r.output
        assert regions.get("533199").level == "county"
        assert cli("regions", "add", "533199", "重复", "--parent", "533100").exit_code != 0
        assert cli("regions", "add", "12345", "坏代码", "--parent", "533100").exit_code != 0
    finally:
        db.session.query(Region).filter_by(code="533199").delete()
        db.session.commit()
        regions.forget()


def test_officers_are_created_for_a_county_or_a_level_above(cli, db):
    cli("regions", "serve", "533103")
    pw = "Probe-Password-2026"
    assert cli("users", "create", "ms", "--role", "bureau", "--department", "environment",
               "--county", "芒市", "--password", pw).exit_code == 0  # fmt: skip
    assert cli("users", "create", "dh", "--role", "bureau", "--department", "environment",
               "--county", "533103", "--level", "prefecture", "--password", pw).exit_code == 0  # fmt: skip
    r = cli("users", "create", "rl", "--role", "bureau", "--department", "environment",
            "--county", "瑞丽市", "--password", pw)  # fmt: skip
    assert r.exit_code != 0 and "不在本平台服务范围内" in r.output
    codes = dict(db.session.execute(select(User.username, User.region_code)).all())
    assert codes["ms"] == "533103" and codes["dh"] == "533100" and "rl" not in codes
