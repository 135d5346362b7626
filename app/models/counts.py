"""Counts of plots kept in the same transaction as the change (issue 19): the
register's header, its totals and the indicators read a few rows here instead
of counting thousands of plots."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class PlotCount(db.Model):
    """How many plots lie in a county and township, with their current case in a
    state, of a land category, public (on the register once) or not."""

    __tablename__ = "plot_counts"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    township: Mapped[str] = mapped_column(String(50), primary_key=True)
    state: Mapped[str] = mapped_column(String(40), primary_key=True)
    land_category: Mapped[int] = mapped_column(Integer, primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class PlotPollutant(db.Model):
    """A pollutant of concern of a plot: a sample of its current case is above a
    screening value (issue 19). With the plot's county and whether it is public at
    the time, so the counts below can be moved when either changes."""

    __tablename__ = "plot_pollutants"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    pollutant_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    public: Mapped[bool] = mapped_column(Boolean)

    # The plots with one pollutant (the register's filter).
    __table_args__ = (Index("ix_plot_pollutants_pollutant_key", "pollutant_key", "site_id"),)


class PollutantCount(db.Model):
    """How many plots of a county, public or not, have a pollutant of concern: the
    register's pollutant choices and its totals by pollutant."""

    __tablename__ = "pollutant_counts"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    pollutant_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
