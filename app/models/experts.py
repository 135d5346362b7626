"""The expert pool (专家库), the panels drawn from it for review rounds, and their
meetings."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.parties import Party


class Expert(db.Model):
    """An expert of the pool. Name, phone and employer are for the bureau only."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    specialities: Mapped[list] = mapped_column(JSON)
    employer_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    employer: Mapped[Party | None] = relationship()


class Panel(db.Model):
    """A panel drawn for one review round of a case: the seed, who could be drawn,
    who was excluded and why, and who was drawn (also in the draw's ledger event)."""

    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[str] = mapped_column(String(40))
    round: Mapped[int] = mapped_column(Integer)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[list] = mapped_column(JSON)
    excluded: Mapped[dict] = mapped_column(JSON)
    members: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ledger_seq: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_panels_case_stage", "case_id", "stage", "round"),)


class Meeting(db.Model):
    """专家评审会: a drawn panel's meeting on the report, with who attended, each
    expert's opinion and the conclusion (``pass``, ``pass_with_revisions``, ``fail``)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[str] = mapped_column(String(40))
    round: Mapped[int] = mapped_column(Integer)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    held_on: Mapped[date] = mapped_column(Date)
    attendance: Mapped[list] = mapped_column(JSON)
    opinions: Mapped[list] = mapped_column(JSON)
    conclusion: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ledger_seq: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_meetings_case_stage", "case_id", "stage", "round"),)
