"""Cultivated land (耕地) by GB 15618-2018: units, their soil samples, classification
with its history, safe-use and strict-control measures, and crop results (issue 21)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class FarmlandUnit(db.Model):
    """A unit of cultivated land (耕地单元): where, how large, what grows, who farms it,
    and its class in force (kept here from its latest confirmed classification)."""

    __tablename__ = "farmland_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # 533124-GD-0001
    name: Mapped[str] = mapped_column(String(100))
    county_code: Mapped[str] = mapped_column(String(12))
    township: Mapped[str] = mapped_column(String(50))
    village: Mapped[str] = mapped_column(String(50))
    area_mu: Mapped[float] = mapped_column(Float)
    land_use: Mapped[str] = mapped_column(String(20))  # paddy, dryland, orchard, ...
    crop: Mapped[str] = mapped_column(String(50))
    holder: Mapped[str] = mapped_column(String(100))  # a village collective or a farmer
    geometry: Mapped[dict | None] = mapped_column(JSON)  # a GeoJSON Polygon (WGS 84)
    current_class: Mapped[str | None] = mapped_column(String(20))
    classification_id: Mapped[int | None] = mapped_column(Integer)
    # The construction plot this land became (trigger agricultural_conversion), if any.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    samples = relationship("FarmlandSample", order_by="FarmlandSample.id", lazy="select",
                           back_populates="unit")  # fmt: skip

    __table_args__ = (
        Index("ix_farmland_units_county_township", "county_code", "township", "code"),
        Index("ix_farmland_units_county_class", "county_code", "current_class", "code"),
    )


class FarmlandSample(db.Model):
    """One soil content at one point (mg/kg) with the soil's pH."""

    __tablename__ = "farmland_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("farmland_units.id"))
    point_id: Mapped[str] = mapped_column(String(50))
    sampled_on: Mapped[date] = mapped_column(Date)
    ph: Mapped[float] = mapped_column(Float)
    pollutant_key: Mapped[str] = mapped_column(String(40))
    value_mg_kg: Mapped[float] = mapped_column(Float)
    batch: Mapped[str] = mapped_column(String(64))  # the import it came in (sha256 of the file)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit = relationship("FarmlandUnit", back_populates="samples")

    __table_args__ = (Index("ix_farmland_samples_unit", "unit_id", "id"),)


class FarmlandClassification(db.Model):
    """A class confirmed by the bureau with a numbered decision; a reclassification is
    a new row, the previous one ends (``superseded_at``): the history stays."""

    __tablename__ = "farmland_classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("farmland_units.id"))
    class_: Mapped[str] = mapped_column("class", String(20))
    proposed_class: Mapped[str | None] = mapped_column(String(20))
    basis: Mapped[dict] = mapped_column(JSON)  # the deciding sample and values
    reason: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[date | None] = mapped_column(Date)
    event_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    decided_by = relationship("User")

    __table_args__ = (Index("ix_farmland_classifications_unit", "unit_id", "id"),)


class FarmlandMeasure(db.Model):
    """A safe-use or strict-control measure applied to a unit in a year."""

    __tablename__ = "farmland_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("farmland_units.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    area_mu: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_farmland_measures_unit_year", "unit_id", "year"),)


class FarmlandCropResult(db.Model):
    """A content in the harvested crop (mg/kg, as GB 2762 states it) in a year."""

    __tablename__ = "farmland_crop_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("farmland_units.id"))
    year: Mapped[int] = mapped_column(Integer)
    crop: Mapped[str] = mapped_column(String(30))  # a crop of the GB 2762 data
    pollutant_key: Mapped[str] = mapped_column(String(40))
    value_mg_kg: Mapped[float] = mapped_column(Float)
    limit_mg_kg: Mapped[float] = mapped_column(Float)  # the limit when it was recorded
    sampled_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_farmland_crop_results_unit_year", "unit_id", "year"),
        UniqueConstraint(
            "unit_id",
            "year",
            "crop",
            "pollutant_key",
            "sampled_on",
            name="uq_farmland_crop_results_sample",
        ),  # fmt: skip
    )


class FarmlandSequence(db.Model):
    """The last unit number per county (533124-GD-0001, …)."""

    __tablename__ = "farmland_sequences"

    county_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
