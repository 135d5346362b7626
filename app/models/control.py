"""Risk control (issue 15): alerts raised when monitoring exceeds the control
plan's limits, open until emergency measures are filed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class Alert(db.Model):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"))
    exceedances: Mapped[list] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Open alerts of a case (the start_evaluation guard, the desk's marks).
        Index("ix_alerts_case_open", "case_id", "resolved_at"),
    )
