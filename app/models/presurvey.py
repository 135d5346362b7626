"""Before the survey (DESIGN §12): suspected plots, key supervised units and
their filings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.cases import Site
    from app.models.parties import Party


class Suspect(db.Model):
    """疑似污染地块: a plot the bureau suspects, before any survey. Ordering a survey
    creates the plot (``site``) and its case; a dismissal keeps its reason."""

    __tablename__ = "suspects"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))
    township: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(300))
    former_industry: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(30))
    boundary: Mapped[dict | None] = mapped_column(JSON)
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_use: Mapped[str | None] = mapped_column(String(30))
    landholder_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    key_unit_id: Mapped[int | None] = mapped_column(ForeignKey("key_units.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="suspected")
    due: Mapped[date | None] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), unique=True)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    landholder: Mapped[Party | None] = relationship(foreign_keys=[landholder_party_id])
    site: Mapped[Site | None] = relationship()

    __table_args__ = (
        # The desk's list: a county's suspected plots by status, newest first.
        Index("ix_suspects_county_code_status_id", "county_code", "status", "id"),
        Index("ix_suspects_county_code_township", "county_code", "township"),
    )


class KeyUnit(db.Model):
    """土壤污染重点监管单位: a unit on the county's list for one year."""

    __tablename__ = "key_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(200))
    township: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="listed")
    closed_on: Mapped[date | None] = mapped_column(Date)
    listed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    party: Mapped[Party] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "county_code", "party_id", "year", name="uq_key_units_county_code_party_year"
        ),
        # The published list of a year (public page and API).
        Index("ix_key_units_year_county_code", "year", "county_code"),
    )


class UnitFiling(db.Model):
    """A key unit's filing: yearly self-monitoring (with its samples screened) or a
    demolition plan. ``exceedances`` counts samples above the screening values."""

    __tablename__ = "unit_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_unit_id: Mapped[int] = mapped_column(ForeignKey("key_units.id"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict] = mapped_column(JSON)
    screening: Mapped[dict | None] = mapped_column(JSON)
    exceedances: Mapped[int] = mapped_column(Integer, default=0)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ledger_seq: Mapped[int | None] = mapped_column(Integer)

    key_unit: Mapped[KeyUnit] = relationship()

    __table_args__ = (Index("ix_unit_filings_unit_kind", "key_unit_id", "kind", "id"),)
