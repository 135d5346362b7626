"""Plots (地块), their cases (案件) and what is filed and decided on them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:  # names in annotations; the mapper resolves them by class name
    from app.models.accounts import User
    from app.models.documents import Document
    from app.models.parties import Party

ASSIGNMENT_ROLES = ("contractor", "evaluator", "surveyor")
RESPONSIBILITY_BASES = ("polluter", "successor", "transferee", "county_government")


# The public register's partial indexes (issue 19): name -> leading columns.
PUBLIC = text("public_since IS NOT NULL")
PUBLIC_INDEXES = {
    "code": (),
    "county": ("county_code",),
    "township": ("township",),
    "state": ("case_state",),
    "county_state": ("county_code", "case_state"),
}


class Site(db.Model):
    """地块: a plot of construction land."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # GB/T 2260 code of the county the plot lies in (regions.code).
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    township: Mapped[str] = mapped_column(String(50), index=True)
    address: Mapped[str] = mapped_column(String(300))
    area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    planned_use: Mapped[str] = mapped_column(String(30))
    land_category: Mapped[int] = mapped_column(Integer, index=True)
    former_industry: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(30))
    boundary: Mapped[dict | None] = mapped_column(JSON)
    # Centroid of the boundary, kept for "plots near me" and map bounds.
    lat: Mapped[float | None] = mapped_column(index=True)
    lon: Mapped[float | None] = mapped_column(index=True)
    # Local soil background values for the footnote ① pollutants (As, Co, V).
    backgrounds: Mapped[dict | None] = mapped_column(JSON)
    landholder_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The plot's current story: its latest case, set when the case is opened. Kept
    # here so the register joins one row per plot instead of grouping every case
    # (issue 6). No foreign key: sites and cases would reference each other, and
    # the bulk loader writes parents before children.
    current_case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # What use the plot was last cleared for (§10): set when a case is released,
    # compared with the planned use when it changes.
    cleared_category: Mapped[int | None] = mapped_column(Integer)
    cleared_use: Mapped[str | None] = mapped_column(String(30))
    cleared_on: Mapped[date | None] = mapped_column(Date)
    # The day the plot first appeared on the public register (listed or released);
    # it stays public afterwards, also when reopened (the public page says why).
    public_since: Mapped[date | None] = mapped_column(Date)
    # The plot_counts row this plot is counted in, [county, township, state,
    # category, public] (app/services/counts.py keeps both in the flush).
    count_key: Mapped[list | None] = mapped_column(JSON)
    # The state of the current case, kept with count_key in the same flush (issue
    # 19): the register filters and pages public plots on this table's indexes
    # alone, joining the case only for the twenty rows shown.
    case_state: Mapped[str | None] = mapped_column(String(40))

    landholder: Mapped[Party] = relationship()
    cases: Mapped[list[Case]] = relationship(back_populates="site", order_by="Case.id")

    # The register is read by township, in code order.
    __table_args__ = (
        Index("ix_sites_township_code", "township", "code"),
        # A county's register in code order (issue 19), without sorting the county.
        Index("ix_sites_county_code_code", "county_code", "code"),
        # The public register's paging (issue 19): partial indexes over public plots
        # only, each ending in the code so a page deep in the register skips index
        # entries, never rows.
        *(
            Index(
                f"ix_sites_public_{name}",
                *columns,
                "code",
                sqlite_where=PUBLIC,
                postgresql_where=PUBLIC,
                # The id too on PostgreSQL, for an index-only scan (SQLite keeps the
                # rowid in every index already).
                postgresql_include=["id"],
            )
            for name, columns in PUBLIC_INDEXES.items()
        ),  # fmt: skip
    )


class Case(db.Model):
    """案件: one run of the lifecycle state machine for one plot."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    state: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Counts stages entered: a filing or cosign belongs to the round it was made in.
    round: Mapped[int] = mapped_column(Integer, default=1)
    responsible_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    site: Mapped[Site] = relationship(back_populates="cases")
    responsible_party: Mapped[Party] = relationship()

    # UPDATE ... WHERE version = :old — a lost update becomes StaleDataError.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_cases_state_state_since", "state", "state_since"),)


class Responsibility(db.Model):
    """A dated entry of who answers for a case; closed, never overwritten."""

    __tablename__ = "responsibilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # responsible | landholder
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    basis: Mapped[str | None] = mapped_column(String(30))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    note: Mapped[str | None] = mapped_column(Text)

    party: Mapped[Party] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class Assignment(db.Model):
    """A professional unit engaged on a case (施工单位, 效果评估单位, 调查单位)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    party: Mapped[Party] = relationship()
    __table_args__ = (Index("ix_assignments_case_id_role", "case_id", "role"),)


class Filing(db.Model):
    """申报材料: one report filed on a case, with its validated data."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON)
    filer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filer_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    unit_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    filer: Mapped[User] = relationship(foreign_keys=[filer_user_id])
    filer_party: Mapped[Party | None] = relationship(foreign_keys=[filer_party_id])
    unit_party: Mapped[Party | None] = relationship(foreign_keys=[unit_party_id])
    documents: Mapped[list[Document]] = relationship(order_by="Document.id")

    __table_args__ = (
        Index("ix_filings_case_id_kind_round", "case_id", "kind", "round"),
        UniqueConstraint("filer_user_id", "idempotency_key", name="uq_filings_idempotency"),
    )


class Sample(db.Model):
    """One laboratory result, converted to mg/kg and screened when filed."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    point_id: Mapped[str | None] = mapped_column(String(64))
    depth_m: Mapped[float | None]
    pollutant_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(16))
    value_mg_kg: Mapped[float]
    level: Mapped[str] = mapped_column(String(24))

    # "Which pollutants exceed anywhere on the register" probes each pollutant's
    # exceeding samples only (public.filter_options).
    # With the case, so "plots with cadmium above the screening value" is read from
    # the index alone (issue 19).
    __table_args__ = (
        Index("ix_samples_pollutant_key_level_case", "pollutant_key", "level", "case_id"),
    )


class Review(db.Model):
    """A bureau decision on a case (cosign, approve, return, ...), by whom and when."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    department: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
    __table_args__ = (Index("ix_reviews_case_id_round_action", "case_id", "round", "action"),)


class Determination(db.Model):
    """认定: the bureau names the responsible party of a case where it is disputed
    or unknown, jointly with natural resources — proposed by one department,
    effective only once the other has signed."""

    __tablename__ = "determinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    basis: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    party: Mapped[Party] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])


class Handover(db.Model):
    """土壤污染防治法 第六十七条: on a land-use-right transfer the reports of the plot
    are handed to the transferee; this records which, from whom, to whom."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    from_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    to_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    contract_date: Mapped[date] = mapped_column(Date)
    transferee_responsible: Mapped[bool] = mapped_column(Boolean, default=False)
    filing_ids: Mapped[list] = mapped_column(JSON)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    from_party: Mapped[Party] = relationship(foreign_keys=[from_party_id])
    to_party: Mapped[Party] = relationship(foreign_keys=[to_party_id])
