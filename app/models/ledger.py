"""The accountability ledger (问责台账), its lock row and its published heads."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


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


class ScopeHead(db.Model):
    """The last ledger event that changed what one part of the public side shows
    (issue 19): ``all`` (anything without a case: parties, regions, key units),
    ``public`` (any public plot), ``county:<code>`` (a public plot of that county),
    ``plot:<code>`` (that plot), ``pre`` (a plot not public yet). A kept answer
    names the scopes it depends on and stays valid while they do not move."""

    __tablename__ = "scope_heads"

    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
