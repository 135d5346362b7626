"""Users and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:  # names in annotations; the mapper resolves them by class name
    from app.models.parties import Party

ROLES = ("landholder", "contractor", "facility", "evaluator", "bureau", "admin")
DEPARTMENTS = ("environment", "natural_resources", "agriculture")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    department: Mapped[str | None] = mapped_column(String(30))
    # The officer's jurisdiction (GB/T 2260): a county, or a prefecture or province
    # whose officer sees every county below it. Null for non-bureau users.
    region_code: Mapped[str | None] = mapped_column(String(6))
    display_name: Mapped[str | None] = mapped_column(String(100))
    # Where notifications are also mailed when MAIL_SERVER is set (optional).
    email: Mapped[str | None] = mapped_column(String(200))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-account throttling (issue 17): wrong passwords in a row, and the lock they
    # earned (exponential back-off); an administrator may lift it.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Rotated at every login and logout: a session cookie only works while its
    # token matches, so logging out kills copies of the cookie too.
    session_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    party: Mapped[Party | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the id alone is not enough to log in
        return f"{self.id}:{self.session_token or ''}"

    @property
    def is_bureau(self) -> bool:
        return self.role == "bureau"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
