"""The one place services ask for the time, so the demo and tests can set it."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))
_frozen: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen.get() or datetime.now(UTC)


def today() -> date:
    """Today's date in China (UTC+8): deadlines count Beijing-time days."""
    return now().astimezone(CHINA_TZ).date()


def china_date(at: datetime) -> date:
    """The Beijing date of an instant (a naive datetime is UTC, as SQLite returns it)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TZ).date()


@contextlib.contextmanager
def frozen(at: datetime):
    """Run a block as if it were ``at`` (aware datetime)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=CHINA_TZ)
    token = _frozen.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC with the offset, whatever the database handed back
    (SQLite returns naive datetimes that are UTC)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat()
