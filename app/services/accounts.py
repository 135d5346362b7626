"""Accounts after login (issue 17, OWASP ASVS 5.0 §6–§7): per-account throttling with
exponential back-off, password change by the user and reset by an administrator,
revocation of API tokens, and the session's idle and absolute timeouts. Every step is
a security event (``app.security_log``).
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select, update

from app import security_log
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import ApiToken, User
from app.services import auth, clock


def revoke_tokens(user: User, *, except_id: int | None = None) -> int:
    """Revoke every live API token of ``user`` (in the caller's transaction)."""
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if except_id is not None:
        query = query.where(ApiToken.id != except_id)
    return db.session.execute(query.values(revoked_at=clock.now())).rowcount or 0


def revoke_token(token: str) -> bool:
    """``DELETE /api/v1/tokens/current``: the presented token stops working. Commits."""
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == auth._token_digest(token))
    )
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = clock.now()
    security_log.event("authn_token_revoked", level="INFO", user=row.user)
    db.session.commit()
    return True


def _new_password(user: User, password, field: str = "new_password") -> str:
    try:
        auth.validate_password(password)
    except ValidationError as exc:
        raise ValidationError(exc.message, {field: exc.message}) from None
    if password.strip().lower() == user.username.lower():
        raise ValidationError("密码不能与用户名相同", {field: "密码不能与用户名相同"})
    return password


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password first (a wrong one counts as a
    failed login); then every API token and every other session stops working.
    The caller starts a new session for the browser that asked. Commits."""
    if not isinstance(current, str) or not auth._check_password(user, current):
        auth.record_failure(user)
        security_log.event("authn_password_change_fail", user=user)
        raise ValidationError("当前密码不正确", {"current_password": "当前密码不正确"})
    if not isinstance(new, str):
        raise ValidationError("须填写新密码", {"new_password": "必填"})
    _new_password(user, new)
    if new == current:
        raise ValidationError("新密码不能与当前密码相同", {"new_password": "须与当前密码不同"})
    user.password_hash = auth.hash_password(new)
    user.session_token = None  # every other session ends
    revoke_tokens(user)
    security_log.event("authn_password_change", level="INFO", user=user)
    db.session.commit()


def _admin_target(admin: User, user_id: int) -> User:
    if admin.role != "admin":
        raise Forbidden("只有系统管理员可以重置密码或解除锁定")
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound("用户不存在")
    return user


def set_password(user: User, password: str | None, *, by: str) -> str:
    """A new password set for ``user`` by someone else (random when None): the user's
    tokens and sessions end and a lock lifts. Returns the password. Commits."""
    password = _new_password(user, password, "password") if password else secrets.token_urlsafe(12)
    user.password_hash = auth.hash_password(password)
    user.session_token = None
    user.failed_logins, user.locked_until = 0, None
    revoke_tokens(user)
    security_log.event("authn_password_reset", user=user, by=by)
    db.session.commit()
    return password


def reset_password(admin: User, user_id: int) -> tuple[User, str]:
    """An administrator sets a new random password (shown once, to be handed over
    in person)."""
    user = _admin_target(admin, user_id)
    return user, set_password(user, None, by=admin.username)


def unlock(admin: User, user_id: int) -> User:
    user = _admin_target(admin, user_id)
    user.failed_logins, user.locked_until = 0, None
    security_log.event("authn_account_unlocked", level="INFO", user=user, by=admin.username)
    db.session.commit()
    return user


def users_page(admin: User, page: int = 1, per_page: int = 50):
    if admin.role != "admin":
        raise Forbidden("只有系统管理员可以管理用户")
    return db.paginate(select(User).order_by(User.username), page=page, per_page=per_page,
                       error_out=False)  # fmt: skip


# ---------------------------------------------------------------- sessions


def session_expired(login_at: float | None, seen_at: float | None) -> str | None:
    """Why a browser session has ended, or None: ``idle`` after SESSION_IDLE_MINUTES
    without a request, ``absolute`` SESSION_ABSOLUTE_HOURS after login."""
    now = clock.now().timestamp()
    if login_at is None or now - login_at > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return "absolute"
    if seen_at is not None and now - seen_at > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    return None
