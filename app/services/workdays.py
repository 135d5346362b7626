"""Chinese working-day arithmetic for the transfer notice of soil manifests.

土壤污染防治法 第四十一条 requires the contractor to report a transfer of
contaminated soil (time, mode, route, quantity, destination, final disposal) to
the bureaus of origin and destination *in advance*; 《污染地块土壤环境管理办法
（试行）》（环境保护部令第42号）fixes that advance at five working days, which is
``TRANSFER_NOTICE_WORKING_DAYS`` in the config (DESIGN.md §6).

Counting rule (the one every function here follows):

* A working day is a day on which the State Council's schedule has offices
  open: Monday to Friday unless a statutory holiday or 调休 rest day, plus the
  weekend days declared make-up workdays (调休上班).
* The day of the report is never counted, whatever the hour; counting starts
  the next day (as 民法典 第二百零一条 counts periods in days).
* The planned start day is counted when it is itself a working day.
* A planned start ``P`` reported on day ``T`` is on time iff
  ``workdays_between(T, P) >= N``: at least N working days lie in (T, P].

Example: reported Monday 2026-11-30 with N = 5, the counted days are Tue 1,
Wed 2, Thu 3, Fri 4 and Mon 7 December, so the earliest start is 2026-12-07.

Where the calendar comes from, first match wins:

1. ``app/data/workday_overrides.json`` (path replaceable, see
   ``set_overrides_path``): ``{"holidays": [...], "workdays": [...], "source": ...}``
   with ISO dates. An administrator fills it in when the State Council
   publishes the next year's schedule; it also wins over the library.
2. The ``chinese_calendar`` library (statutory holidays and 调休), for the
   years it knows (2004-2026 in version 1.11.0).
3. Monday to Friday, for years the library does not know.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar

from app.errors import ValidationError

log = logging.getLogger(__name__)

DEFAULT_OVERRIDES_PATH = Path(__file__).resolve().parent.parent / "data" / "workday_overrides.json"
_ALLOWED_KEYS = {"holidays", "workdays", "source"}
# A notice period longer than this is a configuration mistake, and the loops
# below walk one day at a time.
_MAX_DAYS = 3660


class WorkdayOverridesError(ValueError):
    """The overrides file is not what an administrator meant to write."""


@dataclass(frozen=True)
class Overrides:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    source: str = ""


_overrides_path: Path = DEFAULT_OVERRIDES_PATH
# path -> ((mtime_ns, size), Overrides): an edited file is picked up without a
# restart, and an unchanged one is not re-parsed on every call.
_cache: dict[Path, tuple[tuple[int, int], Overrides]] = {}
_warned_missing: set[Path] = set()


def set_overrides_path(path: str | os.PathLike[str] | None) -> None:
    """Use another overrides file from now on (None: the shipped one)."""
    global _overrides_path
    _overrides_path = Path(path) if path is not None else DEFAULT_OVERRIDES_PATH
    clear_overrides_cache()


def clear_overrides_cache() -> None:
    _cache.clear()
    _warned_missing.clear()


def load_overrides(path: str | os.PathLike[str] | None = None) -> Overrides:
    """The overrides in ``path`` (default: the configured file), cached until it changes.

    A missing file means no overrides. A malformed one raises
    WorkdayOverridesError rather than being ignored, because silently dropping
    an administrator's holidays would let a transfer start too early.
    """
    p = Path(path) if path is not None else _overrides_path
    try:
        st = p.stat()
    except FileNotFoundError:
        if _cache.pop(p, None) is not None or p not in _warned_missing:
            _warned_missing.add(p)  # once per path, not on every day counted
            log.warning("workday overrides file %s not found; using the library and Mon-Fri", p)
        return Overrides()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(p)
    if cached and cached[0] == stamp:
        return cached[1]
    overrides = _parse_overrides(p)
    _cache[p] = (stamp, overrides)
    return overrides


def _parse_overrides(path: Path) -> Overrides:
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkdayOverridesError(f"{path}: cannot read workday overrides: {exc}") from exc
    if not isinstance(raw, dict):
        raise WorkdayOverridesError(f"{path}: expected a JSON object with holidays/workdays/source")
    unknown = set(raw) - _ALLOWED_KEYS
    if unknown:
        raise WorkdayOverridesError(
            f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}"
        )

    def dates(key: str) -> frozenset[dt.date]:
        values = raw.get(key, [])
        if not isinstance(values, list):
            raise WorkdayOverridesError(f"{path}: {key!r} must be a list of YYYY-MM-DD dates")
        out = set()
        for value in values:
            try:
                out.add(dt.date.fromisoformat(value))
            except (TypeError, ValueError) as exc:
                raise WorkdayOverridesError(
                    f"{path}: {key!r} has {value!r}, not a YYYY-MM-DD date"
                ) from exc
        return frozenset(out)

    holidays, workdays = dates("holidays"), dates("workdays")
    both = holidays & workdays
    if both:
        shown = ", ".join(d.isoformat() for d in sorted(both))
        raise WorkdayOverridesError(
            f"{path}: dates listed both as holidays and as workdays: {shown}"
        )
    source = raw.get("source", "")
    return Overrides(holidays=holidays, workdays=workdays, source=str(source))


def _as_date(d: dt.date) -> dt.date:
    # datetime is a subclass of date but never equal to one, so it would miss
    # every set lookup below.
    return d.date() if isinstance(d, dt.datetime) else d


def _is_workday(d: dt.date, overrides: Overrides) -> bool:
    if d in overrides.workdays:
        return True
    if d in overrides.holidays:
        return False
    return _library_workday(d)


@functools.lru_cache(maxsize=16384)
def _library_workday(d: dt.date) -> bool:
    """The library's answer, kept: its data never changes while the process runs, and
    each of its calls validates the date at some cost (counting the working days of a
    deadline years overdue asked it thousands of times per page)."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        # Year without published data in the library: plain Monday-Friday.
        return d.weekday() < 5


def is_workday(d: dt.date, *, overrides: Overrides | None = None) -> bool:
    """True when ``d`` is a working day under the counting rule of this module."""
    return _is_workday(_as_date(d), overrides if overrides is not None else load_overrides())


def add_workdays(start: dt.date, n: int, *, overrides: Overrides | None = None) -> dt.date:
    """The day that is the n-th working day after ``start`` (``start`` not counted; n=0: ``start``)."""
    if not 0 <= n <= _MAX_DAYS:
        raise ValueError(f"n must be between 0 and {_MAX_DAYS}, got {n}")
    ov = overrides if overrides is not None else load_overrides()
    day = _as_date(start)
    remaining = n
    # The longest real run of rest days is about ten (Spring Festival); the
    # bound only stops an overrides file that declares a whole year off.
    for _ in range(366 + 14 * n):
        if remaining == 0:
            return day
        day += dt.timedelta(days=1)
        if _is_workday(day, ov):
            remaining -= 1
    if remaining == 0:
        return day
    raise ValueError(f"no {n} working days found after {start}; check the workday overrides")


def workdays_between(start: dt.date, end: dt.date, *, overrides: Overrides | None = None) -> int:
    """How many working days d satisfy start < d <= end (0 when end <= start).

    Counted from per-year running totals (kept per year and overrides file), so a
    deadline years overdue costs a few lookups, not a walk over every day."""
    ov = overrides if overrides is not None else load_overrides()
    first, last = _as_date(start), _as_date(end)
    span = (last - first).days
    if span > _MAX_DAYS * 10:
        raise ValueError(f"range of {span} days is too long to count")
    if span <= 0:
        return 0
    before = _year_prefix(first.year, ov)[first.timetuple().tm_yday]
    if first.year == last.year:
        return _year_prefix(last.year, ov)[last.timetuple().tm_yday] - before
    total = _year_prefix(first.year, ov)[-1] - before
    for year in range(first.year + 1, last.year):
        total += _year_prefix(year, ov)[-1]
    return total + _year_prefix(last.year, ov)[last.timetuple().tm_yday]


@functools.lru_cache(maxsize=256)
def _year_prefix(year: int, overrides: Overrides) -> tuple[int, ...]:
    """``prefix[k]``: the working days among the first k days of ``year``."""
    day, counts, total = dt.date(year, 1, 1), [0], 0
    while day.year == year:
        total += _is_workday(day, overrides)
        counts.append(total)
        day += dt.timedelta(days=1)
    return tuple(counts)


def earliest_transfer_start(
    today: dt.date, notice_days: int, *, overrides: Overrides | None = None
) -> dt.date:
    """The first day P with ``workdays_between(today, P) >= notice_days``.

    That is the ``notice_days``-th working day after ``today``: the day before
    it has one working day too few, and every later day is also acceptable.
    """
    return add_workdays(today, notice_days, overrides=overrides)


def require_transfer_notice(
    today: dt.date,
    planned_start: dt.date,
    notice_days: int,
    *,
    field: str = "planned_start",
    overrides: Overrides | None = None,
) -> None:
    """ValidationError unless ``planned_start`` leaves ``notice_days`` working days of notice.

    The message names the earliest acceptable date, so the user can correct
    the form without counting holidays themselves.
    """
    ov = overrides if overrides is not None else load_overrides()
    if workdays_between(today, planned_start, overrides=ov) >= notice_days:
        return
    earliest = earliest_transfer_start(today, notice_days, overrides=ov)
    message = (
        f"污染土壤转运须至少提前{notice_days}个工作日报告（报告当日不计），"
        f"计划开始日期最早为{earliest.year}年{earliest.month}月{earliest.day}日"
    )
    raise ValidationError(message, {field: message})
