"""The bureau's review desk."""

from flask import Blueprint

bp = Blueprint("review", __name__)
URL_PREFIX = "/review"

from app.review import (  # noqa: E402,F401
    expert_routes,
    presurvey_routes,
    routes,
    tipoff_routes,
    user_routes,
)
