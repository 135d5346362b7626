"""Statutory clocks and the inbox (DESIGN.md §11): the bureau's agenda of open
deadlines and every user's notifications (bearer token)."""

from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.routes import login_required, only_args, page_args
from app.errors import ValidationError
from app.services import deadlines as deadline_service
from app.services import notifications as notification_service


@bp.get("/deadlines")
@login_required
def list_deadlines():
    """The county's open deadlines, soonest first (bureau)."""
    return jsonify(deadline_service.agenda(g.user, request.args))


@bp.get("/notifications")
@login_required
def list_notifications():
    only_args("page", "per_page", "unread")
    page, per_page = page_args()
    unread = request.args.get("unread", "0")
    if unread not in ("0", "1"):
        raise ValidationError("unread 须为 0 或 1", {"unread": "须为 0 或 1"})
    return jsonify(notification_service.for_user(g.user, page, per_page, unread_only=unread == "1"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id):
    n = notification_service.mark_read(g.user, notification_id)
    return jsonify(notification_service.to_json(n))
