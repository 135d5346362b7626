"""Counts of plots kept in the same transaction as the change (issue 19): the
register's header, its totals and the indicators read a few rows here instead
of counting thousands of plots."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
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
