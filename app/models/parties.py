"""Parties (单位/个人) and the bans on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:  # names in annotations; the mapper resolves them by class name
    from app.models.accounts import User

PARTY_KINDS = ("enterprise", "individual", "government", "institution")
PARTY_STATUSES = ("active", "dissolved")


class Party(db.Model):
    """单位/个人: anyone who can hold land, be responsible, or do professional work."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    banned_until: Mapped[date | None] = mapped_column(Date)
    banned_lifelong: Mapped[bool] = mapped_column(Boolean, default=False)
    ban_reason: Mapped[str | None] = mapped_column(Text)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def is_banned(self, on: date) -> bool:
        if self.banned_lifelong:
            return True
        return self.banned_until is not None and self.banned_until >= on


class Ban(db.Model):
    """A ban on a unit (禁止从事相关业务), by the bureau, with its reason; lifted, never deleted."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    until: Mapped[date | None] = mapped_column(Date)
    lifelong: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
