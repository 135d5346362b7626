"""The JSON API, ``/api/v1`` (DESIGN.md §2–§8)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401
