"""Users, passwords, API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app import security_log
from app.errors import Unauthorized, ValidationError
from app.extensions import db
from app.models import DEPARTMENTS, ROLES, ApiToken, LedgerEvent, Party, User
from app.services import clock, ledger, regions
from app.services.credit_codes import normalize_credit_code

# An address to send notices to: one @, no spaces, a dot in the domain (the mail
# server is the judge of the rest).
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}")

# Compared against when the username is unknown, so a wrong name costs the same
# time as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _check_password(user: User | None, password: str) -> bool:
    global _DUMMY_HASH
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def validate_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < 8:
        raise ValidationError("密码至少 8 个字符", {"password": "密码至少 8 个字符"})
    if len(password) > 200:
        raise ValidationError("密码过长", {"password": "密码过长"})


def create_user(
    username: str,
    *,
    role: str,
    password: str,
    party_code: str | None = None,
    department: str | None = None,
    display_name: str | None = None,
    county: str | None = None,
    level: str | None = None,
    actor: User | None = None,
    password_hash: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user and record it in the ledger; commits."""
    errors = {}
    username = (username or "").strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        errors["username"] = "用户名须为 1–80 个字符且不含空白"
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = f"用户名 {username} 已存在"
    if role not in ROLES:
        errors["role"] = f"角色须为 {', '.join(ROLES)} 之一"
    if role == "bureau" and department not in DEPARTMENTS:
        errors["department"] = "局端用户须指定部门 environment、natural_resources 或 agriculture"
    if role != "bureau" and department:
        errors["department"] = "只有局端用户（bureau）有部门"
    party = None
    if role in ("landholder", "contractor", "facility", "evaluator"):
        if not party_code:
            errors["party"] = "该角色须关联单位（--party 统一社会信用代码）"
        else:
            try:
                code = normalize_credit_code(party_code)
            except ValidationError as exc:
                errors["party"] = exc.message
            else:
                party = db.session.scalar(select(Party).where(Party.credit_code == code))
                if party is None:
                    errors["party"] = f"单位 {code} 未登记"
    if email is not None and not _EMAIL.fullmatch(email or ""):
        errors["email"] = "电子邮件地址格式不对"
    if password_hash is None:
        try:
            validate_password(password)
        except ValidationError as exc:
            errors.update(exc.fields)
    region_code = None
    if role == "bureau":
        try:
            region_code = jurisdiction_region(county, level)
        except ValidationError as exc:
            errors.update(exc.fields)
    elif county or level:
        errors["county"] = "只有局端用户（bureau）有辖区"
    if errors:
        raise ValidationError("用户信息有误", errors)
    user = User(
        username=username,
        role=role,
        department=department if role == "bureau" else None,
        party=party,
        display_name=display_name,
        email=email,
        region_code=region_code,
        password_hash=password_hash or hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    ledger.append(
        "user_created",
        actor=actor,
        party=party.credit_code if party else None,
        detail={"username": username, "role": role, "department": user.department},
    )
    db.session.commit()
    return user


LOGIN_FAILED = "用户名或密码错误"
LOCK_AFTER = 5  # failed passwords before the first lock
LOCK_MAX = timedelta(hours=24)


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def locked(user: User) -> bool:
    until = _aware(user.locked_until)
    return until is not None and until > clock.now()


def record_failure(user: User) -> None:
    """One more wrong password for ``user``: from the fifth on, the account is locked
    for 1, 2, 4, … minutes (at most a day), so one account takes about a dozen guesses
    an hour however many addresses send them (ASVS asks for at most 100). Commits."""
    count = db.session.scalar(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    )
    if count is not None and count >= LOCK_AFTER:
        wait = min(timedelta(minutes=2 ** min(count - LOCK_AFTER, 20)), LOCK_MAX)
        db.session.execute(
            update(User).where(User.id == user.id).values(locked_until=clock.now() + wait)
        )
        security_log.event("authn_account_locked", user=user, failures=count,
                           minutes=int(wait.total_seconds() // 60))  # fmt: skip
    db.session.commit()


def authenticate(username: str, password: str) -> User:
    """The user of a username and password. A wrong password counts against the
    account; a locked account is refused like a wrong password (no hint that it
    exists), whatever the password."""
    user = db.session.scalar(select(User).where(User.username == str(username)))
    if user is not None and locked(user):
        _check_password(None, str(password))  # the same time as any other refusal
        security_log.event("authn_login_fail_locked", user=user)
        raise Unauthorized(LOGIN_FAILED)
    if not _check_password(user, str(password)) or not user.active:
        if user is not None:
            record_failure(user)
        security_log.event("authn_login_fail", user=str(username)[:80])
        raise Unauthorized(LOGIN_FAILED)
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
    security_log.event("authn_login_success", level="INFO", user=user)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token; only its SHA-256 is kept. Commits."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_digest(token),
        expires_at=clock.now() + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"]),
    )
    db.session.add(row)
    db.session.commit()
    return token, row


def token_lookup(token: str) -> tuple[User | None, int | None]:
    """The token's user (None if unknown, revoked, expired or inactive) and the
    ledger head's seq, read in the same round trip (answers kept per head use it)."""
    if not token or len(token) > 200:
        return None, None
    head = select(func.max(LedgerEvent.seq)).scalar_subquery()
    found = db.session.execute(
        select(ApiToken, head)
        .options(joinedload(ApiToken.user))  # the token, its user and the head at once
        .where(ApiToken.token_hash == _token_digest(token))
    ).first()
    if found is None:
        return None, None
    row, seq = found
    if row.revoked_at is not None:
        return None, None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite returns naive UTC
        expires = expires.replace(tzinfo=clock.now().tzinfo)
    if expires <= clock.now() or not row.user.active:
        return None, None
    return row.user, seq or 0


def start_session(user: User) -> None:
    """Rotate the per-login token that the session cookie must carry. Commits."""
    user.session_token = secrets.token_hex(32)
    db.session.commit()


def end_session(user: User) -> None:
    user.session_token = None
    db.session.commit()


def load_session_user(user_id: str) -> User | None:
    """Flask-Login loader: ``id:token``; the token must match the current login."""
    uid, _, token = (user_id or "").partition(":")
    if not (uid.isascii() and uid.isdigit()) or not token:
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.session_token or not hmac.compare_digest(user.session_token, token):
        security_log.event("session_expired", user=user)
        return None
    return user


def jurisdiction_region(county: str | None, level: str | None) -> str:
    """A bureau officer's region code: a served county (default the deployment's),
    or with ``level`` the prefecture or province of ``county`` (its code, its name,
    or the code of any county under it)."""
    level = level or "county"
    if level not in ("county", "prefecture", "province"):
        raise ValidationError("辖区级别有误", {"level": "须为 county、prefecture 或 province"})
    if level == "county":
        return regions.county_code(county or regions.home(), field="county")
    text = str(county or regions.home()).strip()
    found = (
        regions.get(text) if regions.CODE.match(text) else regions.by_name(text, levels=(level,))
    )
    while found is not None and found.level != level and found.parent_code:
        found = regions.get(found.parent_code)
    if found is None or found.level != level:
        msg = f"{text} 不是已登记的{regions.LEVEL_LABELS_ZH[level]}行政区划"
        raise ValidationError(msg, {"county": msg})
    if not regions.counties_under(found.code) & regions.served_codes():
        msg = f"{found.name}辖区内没有本平台服务的县"
        raise ValidationError(msg, {"county": msg})
    return found.code


def me_json(user: User) -> dict:
    """``GET /api/v1/me``: who the caller is, and for an officer their jurisdiction."""
    from app.services import jurisdiction, parties

    return {
        "username": user.username,
        "role": user.role,
        "department": user.department,
        "county": regions.name(user.region_code) if user.region_code else None,
        "region_code": user.region_code,
        "level": jurisdiction.level(user),
        "party": parties.to_json(user.party),
    }
