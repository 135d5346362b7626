"""The public site: the register, plot pages, notice boards, open data,
indicators and tip-offs — no login, Chinese first, nothing personal."""

from flask import Blueprint

bp = Blueprint("public", __name__)
URL_PREFIX = None

from app.public import routes, verify  # noqa: E402,F401
