"""Whose counties a bureau officer sees and acts on (issue 18).

An officer belongs to a county, a prefecture or a province (``users.region_code``).
A county officer sees their county only: another county's case, manifest,
tip-off, suspected plot or key unit is a 404, as another landholder's plot is.
A prefecture or provincial officer sees every county below; with
``PROVINCIAL_DECISIONS`` they, not the county, decide listing and release.
An administrator sees all.

Every check here reads the user row and the process's copy of the regions
table (``app.services.regions``): no query is added to a request.
"""

from __future__ import annotations

from sqlalchemy import false, true

from app.errors import ValidationError
from app.models import User
from app.services import regions


def counties(user: User | None) -> frozenset[str] | None:
    """The county codes ``user`` oversees; None = all (an administrator); empty for
    users who are not bureau officers. An officer with no region (none should be)
    has the deployment's county."""
    if user is None:
        return frozenset()
    if user.role == "admin":
        return None
    if user.role != "bureau" or user.department == "agriculture":
        return frozenset()  # agriculture officers: cultivated land only (farmland.py)
    return regions.counties_under(user.region_code or regions.home())


def level(user: User | None) -> str | None:
    """``county``, ``prefecture`` or ``province`` for a bureau officer, else None."""
    if user is None or user.role != "bureau" or not user.region_code:
        return None
    found = regions.get(user.region_code)
    return found.level if found else None


def is_upper(user: User | None) -> bool:
    """A prefecture or provincial officer."""
    return level(user) in ("prefecture", "province")


def covers(user: User | None, county_code: str | None) -> bool:
    """Whether ``user`` oversees ``county_code``."""
    scope = counties(user)
    return scope is None or (county_code is not None and county_code in scope)


def in_counties(scope, column):
    """A WHERE clause keeping rows whose ``column`` (a county code column) is one of
    ``scope`` (county codes; None = every county, empty = none)."""
    if scope is None:
        return true()
    if not scope:
        return false()
    if len(scope) == 1:
        return column == next(iter(scope))
    return column.in_(sorted(scope))


def clause(user: User | None, column):
    """A WHERE clause on ``column`` (a county code column) for ``user``'s counties."""
    return in_counties(counties(user), column)


def home_county(user: User | None) -> str:
    """The county a record made by ``user`` belongs to when nothing else says:
    the officer's own county, else the deployment's."""
    if user is not None and level(user) == "county":
        return user.region_code
    return regions.home()


def county_for(user: User | None, value=None, *, field: str = "county") -> str:
    """The county a record ``user`` makes belongs to: ``value`` (a county code or
    name, which must be served and in the user's jurisdiction), else the officer's
    own county, else the deployment's. A prefecture or provincial officer names it."""
    if value in (None, ""):
        if is_upper(user):
            msg = "请指定县级行政区划（county）"
            raise ValidationError(msg, {field: msg})
        return home_county(user)
    code = regions.county_code(value, field=field)
    if user is not None and user.role == "bureau" and not covers(user, code):
        msg = f"{regions.name(code)}不在您的辖区内"
        raise ValidationError(msg, {field: msg})
    return code
