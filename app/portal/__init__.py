"""Portal for landholders, responsible parties, contractors, facilities, evaluators."""

from flask import Blueprint

bp = Blueprint("portal", __name__)
URL_PREFIX = "/portal"

from app.portal import key_unit_routes, routes  # noqa: E402,F401
