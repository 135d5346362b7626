"""Tip-offs from the public (举报) and their handling."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:  # names in annotations; the mapper resolves them by class name
    from app.models.accounts import User
    from app.models.cases import Site

TIPOFF_STATUSES = ("received", "investigating", "handed_over", "closed")
TIPOFF_STATUS_LABELS_ZH = {"received": "已受理", "investigating": "调查核实中",
                           "handed_over": "已转办", "closed": "已办结"}  # fmt: skip
# How a tip-off reached the bureau: the web form, the 12369 hotline, a letter, a visit.
TIPOFF_CHANNELS = ("web", "hotline", "letter", "visit")
TIPOFF_CHANNEL_LABELS_ZH = {"web": "网上举报", "hotline": "12369 热线", "letter": "来信",
                            "visit": "来访"}  # fmt: skip


class Tipoff(db.Model):
    """举报: a member of the public reports suspected illegal dumping or discharge.

    Nothing identifies the reporter: no name, no address, no IP. The tracking
    code is shown once; only its SHA-256 is kept.
    """

    __tablename__ = "tipoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The county whose bureau handles it (the deployment's county for the public
    # form; the officer's county for one taken by phone): its desk alone sees it.
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    township: Mapped[str] = mapped_column(String(50), index=True)
    location: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), default="web")
    # The reply clock (DESIGN §11): due TIPOFF_REPLY_WORKING_DAYS after receipt, met
    # when the tip-off is closed or handed over to the competent agency (转办).
    reply_due: Mapped[date | None] = mapped_column(Date, index=True)
    replied_on: Mapped[date | None] = mapped_column(Date)
    handed_over_to: Mapped[str | None] = mapped_column(String(200))
    handed_over_on: Mapped[date | None] = mapped_column(Date)

    site: Mapped[Site | None] = relationship()
    photos: Mapped[list[TipoffPhoto]] = relationship(order_by="TipoffPhoto.id")
    events: Mapped[list[TipoffEvent]] = relationship(order_by="TipoffEvent.id")

    @property
    def site_code(self) -> str | None:
        return self.site.code if self.site is not None else None

    @property
    def status_label(self) -> str:
        return TIPOFF_STATUS_LABELS_ZH.get(self.status, self.status)


class TipoffPhoto(db.Model):
    """A photo of a tip-off, re-encoded to JPEG without metadata, stored by SHA-256."""

    __tablename__ = "tipoff_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    tipoff_id: Mapped[int] = mapped_column(ForeignKey("tipoffs.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(50))
    width: Mapped[int]
    height: Mapped[int]


class TipoffEvent(db.Model):
    """One step of the bureau's handling of a tip-off: a status, a note, a plot link."""

    __tablename__ = "tipoff_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tipoff_id: Mapped[int] = mapped_column(ForeignKey("tipoffs.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    # Shown to the reporter on the tracking page (never the officer's name).
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    site: Mapped[Site | None] = relationship()
    user: Mapped[User | None] = relationship()
