"""Published indicators: plots by state and township, the safe-use rate of
contaminated plots (污染地块安全利用率) per year, time from listing to release.

The safe-use rate follows the county plan (《土壤污染防治行动计划》“土十条” and the
county's 实施方案): of all plots ever put on the register (列入名录), the share
that, at the end of the year, have been released from it after remediation
or are under effective risk control (state ``risk_control``). Targets: ≥ 90 %
by 2020, ≥ 95 % by 2030.

Everything is reconstructed from the accountability ledger (the times at which
each case entered each state), so a year's figure does not change when a plot
moves on later, and it can be re-derived by anyone holding the ledger.

Every figure can be taken over some counties only (``counties``: a frozenset of
GB/T 2260 county codes; None = the whole deployment): the page of one county,
or of a prefecture summing its served counties (issue 18). The filter is one
indexed ``sites.county_code IN (...)`` per query, never a query per plot.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

import workflows
from app.extensions import db
from app.models import Case, Deadline, LedgerEvent, Site
from app.services import clock, regions
from app.services.public import register as public_service
from app.services.public.register import in_counties
from workflows import deadlines as deadline_rules

TARGETS = ((2020, 0.90), (2030, 0.95))


def target_for(year: int) -> float:
    """The plan's target in force for ``year``: 90 % from 2020, 95 % from 2030."""
    value = TARGETS[0][1]
    for since, target in TARGETS:
        if year >= since:
            value = target
    return value


@dataclass
class YearRate:
    year: int
    listed: int  # plots ever listed by the end of the year
    released: int  # of which released after listing, at the end of the year
    controlled: int  # of which under risk control at the end of the year
    target: float
    partial: bool = False  # the current year, not over yet

    @property
    def safe(self) -> int:
        return self.released + self.controlled

    @property
    def rate(self) -> float | None:
        return self.safe / self.listed if self.listed else None

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate is None else self.rate >= self.target - 1e-12

    def to_json(self) -> dict:
        return {
            "year": self.year,
            "listed": self.listed,
            "released": self.released,
            "risk_control": self.controlled,
            "safe": self.safe,
            "rate": None if self.rate is None else round(self.rate, 4),
            "target": self.target,
            "meets_target": self.meets_target,
            "partial": self.partial,
        }


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def site_histories(counties: frozenset[str] | None = None) -> dict[int, list[tuple[datetime, str]]]:
    """Per plot (of ``counties``), every state its cases entered, in ledger order:
    [(when, state)]."""
    cases = select(Case.id, Case.site_id)
    events = select(LedgerEvent.case_id, LedgerEvent.at, LedgerEvent.to_state)
    if counties is not None:
        cases = cases.join(Site, Site.id == Case.site_id).where(in_counties(counties))
        events = (
            events.join(Case, Case.id == LedgerEvent.case_id)
            .join(Site, Site.id == Case.site_id)
            .where(in_counties(counties))
        )
    site_of = dict(db.session.execute(cases).all())
    rows = db.session.execute(
        events.where(
            LedgerEvent.case_id.is_not(None),
            LedgerEvent.to_state.is_not(None),
            or_(LedgerEvent.from_state.is_(None), LedgerEvent.from_state != LedgerEvent.to_state),
        ).order_by(LedgerEvent.seq)
    )
    histories: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for case_id, at, to_state in rows:
        site_id = site_of.get(case_id)
        if site_id is not None:
            histories[site_id].append((_parse(at), to_state))
    return histories


def safe_use_rates(
    histories: dict[int, list[tuple[datetime, str]]] | None = None,
    *,
    until_year: int | None = None,
) -> list[YearRate]:
    """The safe-use rate at the end of every year from the first listing on."""
    histories = site_histories() if histories is None else histories
    first_listed = {
        site: min(at for at, state in events if state == "listed")
        for site, events in histories.items()
        if any(state == "listed" for _, state in events)
    }
    if not first_listed:
        return []
    today = clock.today()
    first_year = min(at.astimezone(clock.CHINA_TZ).year for at in first_listed.values())
    last_year = until_year or today.year
    out = []
    for year in range(first_year, last_year + 1):
        end = datetime(year + 1, 1, 1, tzinfo=clock.CHINA_TZ)
        listed = released = controlled = 0
        for site, listed_at in first_listed.items():
            if listed_at >= end:
                continue
            listed += 1
            state = None
            for at, s in histories[site]:
                if at >= end:
                    break
                state = s
            if state == "released":
                released += 1  # the listing came first, so this release is after it
            elif state == "risk_control":
                controlled += 1
        out.append(
            YearRate(year, listed, released, controlled, target_for(year),
                     partial=year == today.year)
        )  # fmt: skip
    return out


def listing_to_release_days(histories=None) -> list[int]:
    """Days from each listing to the release that ended it."""
    histories = site_histories() if histories is None else histories
    spans = []
    for events in histories.values():
        listed_at = None
        for at, state in events:
            if state == "listed" and listed_at is None:
                listed_at = at
            elif state == "released" and listed_at is not None:
                spans.append((at - listed_at).days)
                listed_at = None
            elif state == "survey":
                listed_at = None  # reopened: a new story starts
    return spans


def by_township(counties: frozenset[str] | None = None) -> list[dict]:
    """Public plots per township (of ``counties``), by phase (listed, control,
    remediation, ...). Two counties may have a township of the same name: each
    row is one township of one county (``county_code``)."""
    rows = db.session.execute(
        select(Site.county_code, Site.township, Case.state, func.count())
        .join(Case, Case.id == Site.current_case_id)
        .where(public_service.is_public(), in_counties(counties))
        .group_by(Site.county_code, Site.township, Case.state)
    ).all()
    towns: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for county_code, township, state, n in rows:
        towns[(county_code, township)][public_service.PHASES[state]] += n
    return [
        {"township": t, "county_code": c_code,
         "phases": {p: c.get(p, 0) for p in public_service.PHASE_LABELS_ZH},
         "total": sum(c.values())}
        for (c_code, t), c in sorted(towns.items(),
                                     key=lambda kv: (-sum(kv[1].values()), kv[0][1], kv[0][0]))
    ]  # fmt: skip


def by_county(counties: frozenset[str] | None = None) -> list[dict]:
    """Public plots per county, by phase: every served county of ``counties``
    (None = all served) has a row, with or without plots, in code order."""
    rows = db.session.execute(
        select(Site.county_code, Case.state, func.count())
        .join(Case, Case.id == Site.current_case_id)
        .where(public_service.is_public(), in_counties(counties))
        .group_by(Site.county_code, Case.state)
    ).all()
    served = regions.served_codes()
    codes = served if counties is None else served & counties
    found: dict[str, Counter] = {code: Counter() for code in codes}
    for county_code, state, n in rows:
        found.setdefault(county_code, Counter())[public_service.PHASES[state]] += n
    return [
        {"code": code, "name": regions.name(code),
         "phases": {p: c.get(p, 0) for p in public_service.PHASE_LABELS_ZH},
         "total": sum(c.values())}
        for code, c in sorted(found.items())
    ]  # fmt: skip


def overdue(counties: frozenset[str] | None = None) -> dict:
    """Open statutory deadlines past due (DESIGN §11), by kind and by township, of
    ``counties`` (None = all). The public page shows the totals; the bureau sees
    the townships as well."""
    query = (
        select(Site.township, Deadline.kind, func.count())
        .join(Case, Case.id == Deadline.case_id)
        .join(Site, Site.id == Case.site_id)
        .where(Deadline.closed_on.is_(None), Deadline.due < clock.today())
        .group_by(Site.township, Deadline.kind)
    )
    if counties is not None:
        query = query.where(in_counties(counties, Deadline.county_code))
    by_kind: Counter = Counter()
    towns: dict[str, Counter] = defaultdict(Counter)
    for township, kind, n in db.session.execute(query):
        by_kind[kind] += n
        towns[township][kind] += n
    return {
        "total": sum(by_kind.values()),
        "by_kind": {k: by_kind.get(k, 0) for k in deadline_rules.KINDS},
        "by_township": [
            {"township": t, "kinds": {k: c.get(k, 0) for k in deadline_rules.KINDS},
             "total": sum(c.values())}
            for t, c in sorted(towns.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
    }  # fmt: skip


def compute(counties: frozenset[str] | None = None) -> dict:
    """Everything the indicators page shows (of ``counties``; None = the whole
    deployment), from two queries over the ledger and a few grouped counts."""
    histories = site_histories(counties)
    rates = safe_use_rates(histories)
    spans = listing_to_release_days(histories)
    summary = public_service.summary(counties)
    return {
        "by_state": [
            {"state": s, "label": workflows.STATE_LABELS_ZH[s], "count": n}
            for s, n in summary["by_state"].items()
        ],
        "phases": summary["phases"],
        "public": summary["public"],
        "pre_listing": summary["pre_listing"],
        "by_township": by_township(counties),
        "by_county": by_county(counties),
        "overdue": overdue(counties),
        "safe_use": [r.to_json() for r in rates],
        "current": rates[-1].to_json() if rates else None,
        "targets": [{"year": y, "rate": t} for y, t in TARGETS],
        "listing_to_release": {
            "released": len(spans),
            "median_days": statistics.median(spans) if spans else None,
            "min_days": min(spans) if spans else None,
            "max_days": max(spans) if spans else None,
        },
    }
