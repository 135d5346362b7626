"""Soil transfer manifests (转运联单)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:  # names in annotations; the mapper resolves them by class name
    from app.models.cases import Case
    from app.models.parties import Party

MANIFEST_STATUSES = ("reported", "in_transit", "received", "discrepancy")
TRANSPORT_MODES = ("road", "rail", "water")


class Manifest(db.Model):
    """转运联单: one off-site transfer of contaminated soil."""

    __tablename__ = "manifests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    quantity_t: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    mode: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(Text)
    origin_address: Mapped[str] = mapped_column(String(300))
    origin_county_code: Mapped[str] = mapped_column(String(6))
    destination_facility_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    # As reported (a county code or name); the code when it names a county of the
    # register, null for a place outside it (the public and the receipt say so).
    destination_county: Mapped[str] = mapped_column(String(50))
    destination_county_code: Mapped[str | None] = mapped_column(String(6))
    # The destination county's bureau confirmed it has been told (a transfer
    # between two counties of the platform).
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    final_disposal: Mapped[str] = mapped_column(Text)
    dispatched_t: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    received_t: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reporter_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship()
    destination_facility: Mapped[Party] = relationship(foreign_keys=[destination_facility_party_id])
    __mapper_args__ = {"version_id_col": version}
    # A county's manifests, and those in one status (the desk's open discrepancies:
    # two index lookups instead of reading every manifest, issue 19).
    __table_args__ = (
        Index("ix_manifests_origin_county_code_status", "origin_county_code", "status"),
        Index("ix_manifests_destination_county_code_status", "destination_county_code", "status"),
    )
