"""The bureau's review desk."""

from flask import Blueprint

bp = Blueprint("review", __name__)
URL_PREFIX = "/review"

from app.review import presurvey_routes, routes, tipoff_routes, user_routes  # noqa: E402,F401
