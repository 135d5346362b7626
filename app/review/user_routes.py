"""Users on the desk, for the administrator (issue 17): who is locked out, lift a
lock, reset a password (a new one shown once, to hand over in person)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.review import bp
from app.services import accounts, auth


def _admin():
    if current_user.role != "admin":
        abort(403)
    return current_user._get_current_object()


@bp.get("/users")
def users():
    admin = _admin()
    page = accounts.users_page(admin, page=max(request.args.get("page", 1, type=int), 1))
    return render_template("review/users.html", page=page, locked=auth.locked)


@bp.post("/users/<int:user_id>/unlock")
def unlock_user(user_id):
    user = accounts.unlock(_admin(), user_id)
    flash(f"已解除 {user.username} 的登录锁定。", "success")
    return redirect(url_for("review.users"))


@bp.post("/users/<int:user_id>/reset-password")
def reset_user_password(user_id):
    user, password = accounts.reset_password(_admin(), user_id)
    flash(f"已重置 {user.username} 的密码。新密码（仅显示一次，请当面交付）：{password}", "warning")
    return redirect(url_for("review.users"))
