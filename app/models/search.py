"""The register's search index (issue 19): which plots contain which terms."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SiteTerm(db.Model):
    """One term of a plot's name, address or code (app/services/search.py says
    which): the rows of one term are read in order of the plot."""

    __tablename__ = "site_terms"

    term: Mapped[str] = mapped_column(String(20), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)

    # A plot's own terms, to replace them when its name or address changes.
    __table_args__ = (Index("ix_site_terms_site_id", "site_id"), {"sqlite_with_rowid": False})
