"""Fixtures: an app on a database built by the migrations (SQLite by default,
PostgreSQL when DATABASE_URL says so), emptied after every test."""

from __future__ import annotations

import contextvars
import os
import tempfile

import pytest
from flask import has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app, response_cache
from app.extensions import db as _db
from app.extensions import limiter
from app.services import regions
from config import TestingConfig
from tests.support import World

KEEP_TABLES = {"alembic_version", "locks", "regions"}


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as
    in production. The tests keep an app context pushed (``_clean``), and Flask
    would reuse it for requests, so ``g`` -- where Flask-Login keeps the user
    and Flask-Babel the locale -- would leak from one request into the next."""

    def open(self, *args, **kwargs):
        response = contextvars.copy_context().run(self._open_alone, *args, **kwargs)
        # What the request committed must not hide behind objects the test's own
        # session loaded earlier (threads of concurrency tests have no session).
        if has_app_context():
            _db.session.expire_all()
        return response

    def _open_alone(self, *args, **kwargs):
        _cv_app.set(None)
        return super().open(*args, **kwargs)


def _private_postgres_database(url: str) -> tuple[str, callable]:
    """A fresh database of our own on the server DATABASE_URL names, so that
    two test runs at once (CI, a developer, helpers) never share tables."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def app():
    tmp = tempfile.mkdtemp(prefix="clc-test-")
    os.environ.setdefault("STORAGE_DIR", os.path.join(tmp, "storage"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/test.db"
    drop = None
    if url.startswith("postgres"):
        url, drop = _private_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    app = create_app(TestingConfig)
    app.test_client_class = IsolatedClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, as in production
    yield app
    if drop is not None:
        with app.app_context():
            _db.engine.dispose()
        drop()


@pytest.fixture(autouse=True)
def _clean(app):
    ctx = app.app_context()
    ctx.push()
    yield
    # The rate limiter is one object shared by every app a test creates: a test
    # that switched it on must not leave later tests answering 429.
    limiter.enabled = app.config.get("RATELIMIT_ENABLED", False)
    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()
    # Kept answers are per process and keyed by ledger head: the next test's
    # emptied database starts the chain again from seq 1.
    response_cache.clear()
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with _db.engine.begin() as conn:
        if _db.engine.dialect.name == "postgresql":
            # Tests may empty the ledger; production triggers refuse it.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        reset_regions(conn, app.config["COUNTY_CODE"])
    regions.forget()
    ctx.pop()


def reset_regions(conn, home: str) -> None:
    """The divisions table is kept between tests (3,200 rows from the migration);
    only what a test may change is put back: one served county, no prefixes."""
    conn.execute(
        text(
            "UPDATE regions SET served = false, decision_prefix = NULL "
            "WHERE served OR decision_prefix IS NOT NULL"
        )
    )
    conn.execute(text("UPDATE regions SET served = true WHERE code = :home"), {"home": home})


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app, client) -> World:
    """The standard cast of a county: parties, their users, and bureau officers."""
    return World.build(client)


@pytest.fixture
def is_postgres(app) -> bool:
    return _db.engine.dialect.name == "postgresql"
