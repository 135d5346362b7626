"""Fixtures: an app on a database built by the migrations (SQLite by default,
PostgreSQL when DATABASE_URL says so), emptied after every test."""

from __future__ import annotations

import os
import tempfile

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from tests.support import World

KEEP_TABLES = {"alembic_version", "locks"}


def _reset_postgres(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app():
    tmp = tempfile.mkdtemp(prefix="clc-test-")
    os.environ.setdefault("STORAGE_DIR", os.path.join(tmp, "storage"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/test.db"
    os.environ["DATABASE_URL"] = url
    app = create_app(TestingConfig)
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            _reset_postgres(_db.engine)
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, as in production
    yield app


@pytest.fixture(autouse=True)
def _clean(app):
    ctx = app.app_context()
    ctx.push()
    yield
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
    ctx.pop()


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
