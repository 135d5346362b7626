"""The inbox (通知): reminders and notices for every signed-in user (DESIGN.md §11)."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)
URL_PREFIX = "/inbox"

from app.inbox import routes  # noqa: E402,F401
