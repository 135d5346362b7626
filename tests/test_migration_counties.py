"""Migration 0014 (issue 18) moves a single-county deployment's data to county codes:
a database at 0013 with county names in every table comes out with codes, the
deployment's county served, and goes back to names on downgrade."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from tests.conftest import _private_postgres_database

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _fill(conn, table: str, values: dict) -> int:
    """Insert a row giving every NOT NULL column without a default some value."""
    columns = sa.inspect(conn).get_columns(table)
    row = dict(values)
    for col in columns:
        name, kind = col["name"], col["type"]
        if name in row or col["nullable"] or col.get("default") is not None or name == "id":
            continue
        if isinstance(kind, sa.Boolean):
            row[name] = False
        elif isinstance(kind, sa.Integer):
            row[name] = 1
        elif isinstance(kind, sa.Numeric | sa.Float):
            row[name] = Decimal("1")
        elif isinstance(kind, sa.DateTime):
            row[name] = NOW
        elif isinstance(kind, sa.Date):
            row[name] = date(2026, 3, 1)
        elif isinstance(kind, sa.JSON):
            row[name] = {}
        else:
            row[name] = "x"
    table_ = sa.Table(table, sa.MetaData(), autoload_with=conn)
    result = conn.execute(table_.insert().values(**row))
    return result.inserted_primary_key[0]


@pytest.fixture
def old_app(app):
    url = os.environ["DATABASE_URL"]
    drop = None
    if url.startswith("postgres"):
        url, drop = _private_postgres_database(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='clc-0014-')}/old.db"
    before = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = url
    try:
        other = create_app(TestingConfig)
    finally:
        os.environ["DATABASE_URL"] = before
    yield other
    with other.app_context():
        _db.engine.dispose()
    if drop is not None:
        drop()


def test_a_single_county_database_moves_to_codes_and_back(old_app):
    home, name = old_app.config["COUNTY_CODE"], old_app.config["COUNTY_NAME"]
    with old_app.app_context():
        upgrade(revision="0013")
        with _db.engine.begin() as conn:
            party = _fill(conn, "parties", {"name": "城投", "credit_code": "91533124MA6K000001"})
            officer = _fill(conn, "users", {"username": "env", "role": "bureau",
                                            "department": "environment", "county": name})  # fmt: skip
            holder = _fill(conn, "users", {"username": "holder", "role": "landholder",
                                           "party_id": party, "county": None})  # fmt: skip
            ours = _fill(conn, "sites", {"code": f"{home}-2026-00001", "county": name,
                                         "landholder_party_id": party})  # fmt: skip
            theirs = _fill(conn, "sites", {"code": "533103-2026-00002", "county": "芒市",
                                           "landholder_party_id": party})  # fmt: skip
            case = _fill(conn, "cases", {"site_id": ours, "state": "works",
                                         "responsible_party_id": party})  # fmt: skip
            _fill(conn, "deadlines", {"case_id": case, "county": name, "kind": "works_end",
                                      "owner": "contractor"})  # fmt: skip
            for n, dest in enumerate(("芒市", "缅甸木姐", name), start=1):
                _fill(conn, "manifests", {"number": f"ZY-{n}", "case_id": case, "status": "reported",
                                          "origin_county": name, "destination_county": dest,
                                          "destination_facility_party_id": party,
                                          "reported_by_id": officer})  # fmt: skip
            _fill(conn, "tipoffs", {"tracking_hash": "h" * 64, "county": name})
            _fill(conn, "suspects", {"county": name, "site_id": None})
            _fill(conn, "key_units", {"county": name, "party_id": party, "year": 2026})

        upgrade()
        with _db.engine.connect() as conn:
            q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
            assert q("SELECT code FROM regions WHERE served") == [(home,)]
            assert q("SELECT COUNT(*) FROM regions")[0][0] > 3000
            assert dict(q("SELECT id, county_code FROM sites")) == {ours: home, theirs: "533103"}
            assert dict(q("SELECT id, region_code FROM users")) == {officer: home, holder: None}
            assert q("SELECT county_code FROM deadlines") == [(home,)]
            assert sorted(q("SELECT number, origin_county_code, destination_county, "
                            "destination_county_code FROM manifests")) == [
                ("ZY-1", home, "芒市", "533103"),
                ("ZY-2", home, "缅甸木姐", None),
                ("ZY-3", home, name, home),
            ]  # fmt: skip
            for table in ("tipoffs", "suspects", "key_units"):
                assert q(f"SELECT county_code FROM {table}") == [(home,)], table

        downgrade(revision="0013")
        with _db.engine.connect() as conn:
            assert dict(conn.execute(sa.text("SELECT id, county FROM sites")).all()) == {
                ours: name, theirs: "芒市"}  # fmt: skip
            assert conn.execute(sa.text("SELECT county FROM users WHERE id = :i"),
                                {"i": officer}).scalar() == name  # fmt: skip
            assert not sa.inspect(conn).has_table("regions")
