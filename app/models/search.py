"""The register's search index (issue 19): which plots contain which terms."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SiteTerm(db.Model):
    """One term of a plot's name, address or code (app/services/search.py says
    which): the rows of one term are read in order of the plot."""

    __tablename__ = "site_terms"

    # Code point order on PostgreSQL whatever the database's collation (a term's
    # beginning is searched as a range, app/services/search.py); SQLite compares
    # UTF-8 bytes, the same order.
    term: Mapped[str] = mapped_column(
        String(20).with_variant(String(20, collation="C"), "postgresql"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)

    # A plot's own terms, to replace them when its name or address changes.
    __table_args__ = (Index("ix_site_terms_site_id", "site_id"), {"sqlite_with_rowid": False})
