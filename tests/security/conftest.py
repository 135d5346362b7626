"""Shared by the hardening tests: the security log captured as dicts, and a
way to empty the database from a fixture that outlives one test."""

from __future__ import annotations

import logging
import os

import pytest
from flask import current_app
from sqlalchemy import text

from app.extensions import db as _db
from app.services import regions
from tests.conftest import reset_regions


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "schemathesis: property-based fuzzing of the OpenAPI contract (slow)"
    )


def pytest_collection_modifyitems(config, items):
    """The fuzzing runs from scripts/schemathesis.sh (``-m schemathesis``), not
    again inside every plain ``pytest`` run."""
    if "schemathesis" in (config.getoption("markexpr") or "") or os.environ.get("RUN_SCHEMATHESIS"):
        return
    skip = pytest.mark.skip(reason="run with scripts/schemathesis.sh or RUN_SCHEMATHESIS=1")
    for item in items:
        if item.get_closest_marker("schemathesis"):
            item.add_marker(skip)


class Capture(logging.Handler):
    """Keeps what ``app.security_log.event`` logged: the dict and the line."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.events: list[dict] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        from app.security_log import JsonLineFormatter

        self.events.append(dict(getattr(record, "security", None) or {}))
        self.lines.append(JsonLineFormatter().format(record))

    def attach(self) -> Capture:
        # Alembic's fileConfig (migrations/env.py, run in-process by the test
        # fixture) disables every logger that existed before it, app.security
        # included; see test_security_logging for that bug. Re-enable while
        # capturing, restore afterwards.
        logger = logging.getLogger("app.security")
        self._was_disabled = logger.disabled
        logger.disabled = False
        logger.addHandler(self)
        return self

    def detach(self) -> None:
        logger = logging.getLogger("app.security")
        logger.removeHandler(self)
        logger.disabled = self._was_disabled

    def named(self, name: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == name]


@pytest.fixture
def security_events(app):
    handler = Capture().attach()
    yield handler
    handler.detach()


KEEP_TABLES = {"alembic_version", "locks", "regions"}  # as in tests/conftest.py


def wipe() -> None:
    """What tests/conftest.py's ``_clean`` does after a test, for module fixtures."""
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with _db.engine.begin() as conn:
        if _db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        reset_regions(conn, current_app.config["COUNTY_CODE"])
    regions.forget()
