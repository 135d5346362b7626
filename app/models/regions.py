"""Administrative divisions (行政区划, GB/T 2260): provinces, prefectures and
counties. Every plot, case, suspected plot, key unit, deadline, tip-off and
bureau officer belongs to a county by its six-digit code; an officer of a
prefecture or province sees the counties below it."""

from __future__ import annotations

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

LEVELS = ("province", "prefecture", "county")


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(12))
    # The division directly above (a county's prefecture, a prefecture's
    # province); empty for a province.
    parent_code: Mapped[str | None] = mapped_column(String(6))
    # 简称, e.g. 陇川, 德宏, 云南: the first character starts the decision prefix.
    short: Mapped[str] = mapped_column(String(30))
    # 文号 prefix of the decisions issued here (陇环土); null = short[0] + 环土.
    decision_prefix: Mapped[str | None] = mapped_column(String(20))
    # A county this deployment serves: its bureau works here, transfers to it are
    # inside the platform (its bureau sees them), the public site lists it.
    served: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    __table_args__ = (Index("ix_regions_parent_code", "parent_code"),)
