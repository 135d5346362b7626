"""Browser tests: a separate app served over HTTP on its own SQLite database
(always SQLite, even when DATABASE_URL names PostgreSQL), with CSRF on, and
Debian's Chromium driven by Playwright.

Fixtures:
- ``live_server`` (per module): ``.url``, ``.app``; the schema is built by the
  migrations; seed it inside ``with live_server.app.app_context():``.
- ``browser`` (per session): a Playwright ``Browser``.
- ``watch_console(page)``: collects console errors (CSP violations show up
  there) and uncaught page errors into a list to assert on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from config import TestingConfig

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per asset drowns the test output
        pass


@dataclass
class LiveServer:
    url: str
    app: Flask


def make_browser_app(folder: Path) -> Flask:
    from flask_migrate import upgrade

    app = create_app(
        TestingConfig,
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/browser.db",
        # Config.load() sets the SQLite busy timeout only for an SQLite DATABASE_URL.
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30}},
        STORAGE_DIR=str(folder / "storage"),
    )
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    app = make_browser_app(tmp_path_factory.mktemp("browser"))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def login(browser, base_url: str, username: str):
    """A new browser context logged in as ``username`` through the form: (context,
    page, the page's console errors)."""
    from urllib.parse import urlsplit

    from tests.support import PASSWORD

    context = browser.new_context(base_url=base_url, locale="zh-CN",
                                  viewport={"width": 1366, "height": 900})  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = watch_console(page)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    return context, page, errors


def watch_console(page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``, each with its URL."""
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return errors


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
