"""The inbox page: the caller's notifications, newest first; mark one or all read."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.errors import ServiceError
from app.inbox import bp
from app.services import notifications


def _user():
    return current_user._get_current_object()


@bp.get("/")
@login_required
def index():
    page = request.args.get("page", 1, type=int)
    unread = request.args.get("unread") == "1"
    try:
        result = notifications.for_user(_user(), max(page, 1), 30, unread_only=unread)
    except ServiceError:
        abort(400)
    return render_template("inbox/index.html", result=result, page=max(page, 1), unread=unread)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    n = notifications.mark_read(_user(), notification_id)  # another user's: 404
    if n.case_id and request.form.get("open"):
        portal = "review" if current_user.role in ("bureau", "admin") else "portal"
        return redirect(url_for(f"{portal}.case", case_id=n.case_id))
    return redirect(url_for("inbox.index"))


@bp.post("/read-all")
@login_required
def read_all():
    notifications.mark_all_read(_user())
    return redirect(url_for("inbox.index"))
