"""Statutory deadlines of cases (DESIGN.md §11) and the in-app inbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class Deadline(db.Model):
    """One clock of a case: opened by a ledger event, due on a Beijing date, owned
    by the bureau or a party of the case, closed by the step that meets it. Rows are
    never deleted: a closed deadline says whether it was met in time."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # The plot's county, copied so the bureau's agenda filters on one index.
    county_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str] = mapped_column(String(20))
    due: Mapped[date] = mapped_column(Date)
    opened_on: Mapped[date] = mapped_column(Date)
    opened_seq: Mapped[int | None] = mapped_column(Integer)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_seq: Mapped[int | None] = mapped_column(Integer)
    # Closed on or before its due date (None while open).
    met: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_deadlines_case_id", "case_id", "closed_on"),
        # The agenda: open deadlines of a county, soonest first.
        Index(
            "ix_deadlines_open_county_code_due",
            "county_code",
            "due",
            "id",
            postgresql_where=sql_text("closed_on IS NULL"),
            sqlite_where=sql_text("closed_on IS NULL"),
        ),
        # The desk's queue (issue 19): open review clocks of a county by due day.
        Index(
            "ix_deadlines_open_review",
            "county_code",
            "due",
            "case_id",
            postgresql_where=sql_text("closed_on IS NULL AND kind = 'review'"),
            sqlite_where=sql_text("closed_on IS NULL AND kind = 'review'"),
        ),
    )


class Notification(db.Model):
    """A reminder (催办) or a notice to one user. Reminders are unique per deadline,
    user and day, which makes ``flask deadlines remind`` idempotent."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadlines.id"))
    day: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(500))
    # The values the text was made from, so a page can show it in the reader's
    # language (app.services.notifications.TEXTS).
    params: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("user_id", "deadline_id", "day", name="uq_notifications_reminder"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=sql_text("read_at IS NULL"),
            sqlite_where=sql_text("read_at IS NULL"),
        ),
    )
