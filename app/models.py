"""Database models. Names follow STYLE.md: one English word per domain term.

Models hold data and small derived properties only; services own every
transaction (no model method commits).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from flask_login import UserMixin
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


PARTY_KINDS = ("enterprise", "individual", "government", "institution")
PARTY_STATUSES = ("active", "dissolved")
ROLES = ("landholder", "contractor", "facility", "evaluator", "bureau", "admin")
DEPARTMENTS = ("environment", "natural_resources")
ASSIGNMENT_ROLES = ("contractor", "evaluator", "surveyor")
RESPONSIBILITY_BASES = ("polluter", "successor", "transferee", "county_government")
MANIFEST_STATUSES = ("reported", "in_transit", "received", "discrepancy")
TRANSPORT_MODES = ("road", "rail", "water")


class Party(db.Model):
    """单位/个人: anyone who can hold land, be responsible, or do professional work."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    banned_until: Mapped[date | None] = mapped_column(Date)
    banned_lifelong: Mapped[bool] = mapped_column(Boolean, default=False)
    ban_reason: Mapped[str | None] = mapped_column(Text)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def is_banned(self, on: date) -> bool:
        if self.banned_lifelong:
            return True
        return self.banned_until is not None and self.banned_until >= on


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    department: Mapped[str | None] = mapped_column(String(30))
    county: Mapped[str | None] = mapped_column(String(50))
    display_name: Mapped[str | None] = mapped_column(String(100))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated at every login and logout: a session cookie only works while its
    # token matches, so logging out kills copies of the cookie too.
    session_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    party: Mapped[Party | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the id alone is not enough to log in
        return f"{self.id}:{self.session_token or ''}"

    @property
    def is_bureau(self) -> bool:
        return self.role == "bureau"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Site(db.Model):
    """地块: a plot of construction land."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    county: Mapped[str] = mapped_column(String(50), index=True)
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

    landholder: Mapped[Party] = relationship()
    cases: Mapped[list[Case]] = relationship(back_populates="site", order_by="Case.id")

    # The register is read by township, in code order.
    __table_args__ = (Index("ix_sites_township_code", "township", "code"),)


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
    __table_args__ = (Index("ix_samples_pollutant_key_level", "pollutant_key", "level"),)


class Document(db.Model):
    """A stored file: bytes live under STORAGE_DIR by SHA-256, never in static."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(30), default="attachment")
    flags: Mapped[list | None] = mapped_column(JSON)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    origin_county: Mapped[str] = mapped_column(String(50), index=True)
    destination_facility_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    destination_county: Mapped[str] = mapped_column(String(50), index=True)
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


class LedgerEvent(db.Model):
    """问责台账: append-only, hash-chained. No code path updates or deletes a row.

    ``at`` is kept as the exact ISO string that was hashed, so verification
    does not depend on how a database round-trips timestamps.
    """

    __tablename__ = "ledger_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String(80))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    party: Mapped[str | None] = mapped_column(String(18), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    documents: Mapped[list] = mapped_column(JSON)
    detail: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Lock(db.Model):
    """Named rows taken FOR UPDATE to serialise appends (the ledger head)."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)


class Ban(db.Model):
    """A ban on a unit (禁止从事相关业务), by the bureau, with its reason; lifted, never deleted."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    until: Mapped[date | None] = mapped_column(Date)
    lifelong: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])


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


class LedgerHead(db.Model):
    """A published chain head (sequence number and hash), signed with the
    bureau's Ed25519 key; auditors keep copies outside the database."""

    __tablename__ = "ledger_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[str] = mapped_column(String(32), index=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(64))


TIPOFF_STATUSES = ("received", "investigating", "closed")
TIPOFF_STATUS_LABELS_ZH = {"received": "已受理", "investigating": "调查核实中", "closed": "已办结"}


class Tipoff(db.Model):
    """举报: a member of the public reports suspected illegal dumping or discharge.

    Nothing identifies the reporter: no name, no address, no IP. The tracking
    code is shown once; only its SHA-256 is kept.
    """

    __tablename__ = "tipoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
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


class DocumentJob(db.Model):
    """A document to render for an event, written in the event's transaction."""

    __tablename__ = "document_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
