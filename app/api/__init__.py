"""The JSON API, ``/api/v1`` (DESIGN.md §2–§8)."""

import importlib
import importlib.util

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401

# The public part of the API (§7) lives in its own module.
if importlib.util.find_spec("app.api.public_routes"):
    importlib.import_module("app.api.public_routes")

# Stored documents, from the folder or the object store (issue 20).
importlib.import_module("app.api.document_routes")

# Deadlines and notifications (§11).
importlib.import_module("app.api.clock_routes")

# The caller's own credentials (issue 17).
importlib.import_module("app.api.account_routes")

# Before the survey: suspected plots, key supervised units (§12).
importlib.import_module("app.api.presurvey_routes")

# Expert review: the pool and panel draws (issue 15).
importlib.import_module("app.api.expert_routes")
