from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, LogoutForm
from app.errors import Unauthorized
from app.extensions import limiter
from app.services import auth as auth_service


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no backslash or control
    characters (browsers read ``/\\evil.com`` and ``/\\t/evil.com`` as hosts)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(c in target for c in "\\") or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(form.username.data, form.password.data)
        except Unauthorized as exc:
            form.password.errors.append(exc.message)
        else:
            auth_service.start_session(user)
            login_user(user)
            return redirect(next_url or url_for("auth.home"))
    return render_template(
        "auth/login.html", form=form
    ), 200 if request.method == "GET" or not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        auth_service.end_session(current_user._get_current_object())
        logout_user()
        flash("您已退出登录。")
    return redirect(url_for("auth.login"))


HOME = {
    "bureau": "review.queue",
    "admin": "review.parties",
    "facility": "portal.manifests",
}


@bp.get("/account")
@login_required
def home():
    """Where each role starts its day."""
    endpoint = HOME.get(current_user.role, "portal.index")
    if endpoint not in current_app.view_functions:
        endpoint = "public.index" if "public.index" in current_app.view_functions else None
    return redirect(url_for(endpoint) if endpoint else "/")
