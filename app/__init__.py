"""Application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from config import Config, config_from_env

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    config_class = config_class or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config_class)
    app.config.update(config_class.load())
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    if app.config.get("DEBUG") and config_class.__name__ == "ProductionConfig":
        raise RuntimeError("DEBUG is refused in production")
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )

    from app import security_log

    security_log.configure()
    # <int:…> in every route: ASCII digits, and no id past what the database holds
    # (a 30-digit id was an OverflowError, a 500); anything else is a 404.
    app.url_map.converters["int"] = DatabaseId
    app.json.ensure_ascii = False  # open data readable as Chinese, not \uXXXX
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy, the client address (rate limits, logs) is in
        # X-Forwarded-For; trust exactly as many hops as are configured.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_input_guards(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    logging.getLogger("app").setLevel(logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (models must be imported for migrations)
    from app.extensions import babel, bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    from app import replica

    # Decided first, before anything reads: where this request reads (issue 20).
    app.before_request_funcs.setdefault(None, []).insert(0, replica.choose)
    app.after_request(replica.note_write)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    from app import ui

    ui.install_template_gettext(app)
    bootstrap.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)

    from app.services import auth as auth_service
    from app.services import counts, scopes, search, subscriptions  # noqa: F401  (side effects: counts, search terms and public scopes kept with each change, reactions to ledger events)

    login_manager.user_loader(auth_service.load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"


def select_locale() -> str:
    """Simplified Chinese unless the user picked English (``?lang=en``, kept in the session)."""
    from flask import request, session

    choice = request.args.get("lang")
    if choice in ("en", "zh_Hans_CN"):
        session["lang"] = choice
    return session.get("lang", "zh_Hans_CN")


def register_blueprints(app: Flask) -> None:
    import xstatic.pkg.leaflet as leaflet
    from flask import Blueprint

    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.extensions import csrf

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(auth_bp)
    from app.auth.routes import register_session_timeouts

    register_session_timeouts(app)
    # Leaflet from the XStatic package, served by us: no CDN.
    app.register_blueprint(
        Blueprint("leaflet", __name__, static_folder=leaflet.BASE_DIR,
                  static_url_path="/static/vendor/leaflet")
    )  # fmt: skip

    @app.get("/favicon.ico")
    def favicon():
        from flask import redirect, url_for

        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    for name in ("public", "portal", "review", "inbox", "farmland"):
        try:
            module = __import__(f"app.{name}", fromlist=["bp"])
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{name}":
                raise
            continue
        app.register_blueprint(module.bp, url_prefix=getattr(module, "URL_PREFIX", None))


def register_input_guards(app: Flask) -> None:
    """A NUL byte is never valid input (PostgreSQL refuses it in text): 400, not 500."""
    from flask import request
    from werkzeug.exceptions import BadRequest, NotFound

    @app.before_request
    def refuse_nul():
        if "\x00" in request.path:
            raise NotFound()  # no resource has a NUL in its name
        for name in ("page", "per_page"):
            # Pages of the desk and the portal: a number no list can reach is a 400,
            # not an offset the database cannot take (issue 17). Other junk is ignored
            # by the views as before (they fall back to page 1).
            raw = request.args.get(name, "")
            if raw.isdigit() and len(raw) > 6:
                raise BadRequest(name)
        if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            raise BadRequest("NUL")
        if any("\x00" in v for _, v in request.headers.items()):
            raise BadRequest("NUL")
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            "\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)
        ):
            raise BadRequest("NUL")


class DatabaseId(IntegerConverter):
    """``<int:…>`` with ASCII digits only. A number past 2**31 - 1 (an INTEGER
    column) becomes 0, which no row has: the view answers 404 like for any missing
    id. (Refusing it in the converter made Werkzeug answer 405 to a POST, because the
    same path has a GET rule; and the database would refuse the number itself.)"""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= 2**31 - 1 else 0


def register_security_headers(app: Flask) -> None:
    """CSP without inline script, nosniff, referrer policy, no framing."""

    from flask import request

    @app.after_request
    def headers(response):
        img = "'self' data:"
        tiles = app.config.get("MAP_TILE_URL") or ""
        if tiles.startswith(("https://", "http://")):
            from urllib.parse import urlsplit

            parts = urlsplit(tiles)
            img += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"
        )
        # Nothing a signed-in user or an API caller receives is stored by a browser or a
        # proxy (tokens, case files, the inbox); public answers keep their own header.
        if _private(request):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if app.config.get("SESSION_COOKIE_SECURE") and not app.debug:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def _private(request) -> bool:
    from flask import session

    if request.path.startswith("/api/v1/"):
        return not request.path.startswith(("/api/v1/public/", "/api/v1/openapi", "/api/v1/docs"))
    # A signed-in browser carries Flask-Login's key in its session (no query needed).
    return "Authorization" in request.headers or "_user_id" in session


def register_errorhandlers(app: Flask) -> None:
    from app.api.errors import register as register_api_errors

    register_api_errors(app)


def register_template_helpers(app: Flask) -> None:
    from app import ui

    ui.register(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)
