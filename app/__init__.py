"""Application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

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

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    logging.getLogger("app").setLevel(logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (models must be imported for migrations)
    from app.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from app.services import auth as auth_service

    login_manager.user_loader(auth_service.load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"


def register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.extensions import csrf

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(auth_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.api.errors import register as register_api_errors

    register_api_errors(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)
