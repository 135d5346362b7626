from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app import security_log
from app.auth import bp
from app.auth.forms import LoginForm, LogoutForm, PasswordForm
from app.errors import ServiceError, Unauthorized
from app.extensions import limiter
from app.services import accounts, clock
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


def _begin(user) -> None:
    """A new browser session: a fresh session token, and the clocks of its timeouts."""
    auth_service.start_session(user)
    login_user(user)
    now = clock.now().timestamp()
    session["_login_at"] = session["_seen_at"] = now


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
            _begin(user)
            return redirect(next_url or url_for("auth.home"))
    return render_template(
        "auth/login.html", form=form
    ), 200 if request.method == "GET" or not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        # Logging out ends every credential of the user: this session, and the API
        # tokens (issue 17: they used to survive logout).
        accounts.revoke_tokens(user)
        auth_service.end_session(user)
        logout_user()
        security_log.event("authn_logout", level="INFO", user=user)
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
    if current_user.role == "bureau" and current_user.department == "agriculture":
        endpoint = "farmland.index"
    if endpoint not in current_app.view_functions:
        endpoint = "public.index" if "public.index" in current_app.view_functions else None
    return redirect(url_for(endpoint) if endpoint else "/")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Every user changes their own password; other sessions and all API tokens end."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            for key, message in (exc.fields or {}).items():
                if key in form:
                    form[key].errors = [message]
        else:
            _begin(user)  # this browser stays signed in with a new session
            flash("密码已修改。其他设备上的登录和全部 API 令牌已失效。", "success")
            return redirect(url_for("auth.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


def register_session_timeouts(app) -> None:
    """Idle and absolute timeouts of browser sessions (SESSION_IDLE_MINUTES,
    SESSION_ABSOLUTE_HOURS); the API authenticates with tokens of their own."""

    @app.before_request
    def session_timeouts():
        if "_user_id" not in session or request.path.startswith(("/static/", "/api/")):
            return None
        why = accounts.session_expired(session.get("_login_at"), session.get("_seen_at"))
        if why is None:
            now = clock.now().timestamp()
            if now - session.get("_seen_at", 0) > 60:  # a new cookie at most once a minute
                session["_seen_at"] = now
            return None
        user = current_user._get_current_object() if current_user.is_authenticated else None
        if user is not None:
            auth_service.end_session(user)
        logout_user()
        session.pop("_login_at", None)
        session.pop("_seen_at", None)
        security_log.event("session_timeout", level="INFO", user=user, reason=why)
        flash("登录已超时，请重新登录。", "warning")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=safe_next(target)))
