"""Settings read from the environment (config.py) that the performance work added."""

from __future__ import annotations

from config import ProductionConfig, TestingConfig

PG = "postgresql://u:p@db.example/clc"


def test_postgres_pings_pooled_connections_unless_told_not_to(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    monkeypatch.delenv("DB_POOL_PRE_PING", raising=False)
    settings = ProductionConfig.load()
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    monkeypatch.setenv("DB_POOL_PRE_PING", "0")
    assert ProductionConfig.load()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


def test_kept_answers_and_head_listener_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    for name in ("RESPONSE_CACHE_MB", "LEDGER_HEAD_NOTIFY"):
        monkeypatch.delenv(name, raising=False)
    production = ProductionConfig.load()
    assert production["RESPONSE_CACHE_MB"] == 32 and production["LEDGER_HEAD_NOTIFY"] is True
    assert TestingConfig.load()["LEDGER_HEAD_NOTIFY"] is False
    monkeypatch.setenv("RESPONSE_CACHE_MB", "0")
    monkeypatch.setenv("LEDGER_HEAD_NOTIFY", "0")
    off = ProductionConfig.load()
    assert off["RESPONSE_CACHE_MB"] == 0 and off["LEDGER_HEAD_NOTIFY"] is False


def test_production_needs_the_public_address_and_may_pin_hosts(monkeypatch):
    """Issue 17 item 1: in production no URL may come from a request's Host header."""
    import pytest

    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        ProductionConfig.load()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    monkeypatch.setenv("TRUSTED_HOSTS", "tdwr.example.gov.cn, 10.0.0.5")
    assert ProductionConfig.load()["TRUSTED_HOSTS"] == ["tdwr.example.gov.cn", "10.0.0.5"]
    monkeypatch.delenv("TRUSTED_HOSTS")
    assert ProductionConfig.load()["TRUSTED_HOSTS"] is None
