"""The desk of cultivated land (耕地分类): units, classification, measures, the
safe-use rate (issue 21)."""

from flask import Blueprint

bp = Blueprint("farmland", __name__)
URL_PREFIX = "/farmland"

from app.farmland import routes  # noqa: E402,F401
