"""Numbered decisions of the bureau (DESIGN.md §10) and their sequences."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class Decision(db.Model):
    """One approval or route decision with its number (文号/备案号), unique per
    county, kind and year; the provincial decision where the law requires one."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    county: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    event_seq: Mapped[int | None] = mapped_column(Integer)
    provincial_number: Mapped[str | None] = mapped_column(String(100))
    provincial_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("county", "kind", "year", "seq", name="uq_decisions_county_kind_year_seq"),
        Index("ix_decisions_case_id_id", "case_id", "id"),
    )


class DecisionSequence(db.Model):
    """The last number issued per county, kind and year. Incremented under its row
    lock in the decision's own transaction: a rolled-back decision leaves no gap."""

    __tablename__ = "decision_sequences"

    county: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
