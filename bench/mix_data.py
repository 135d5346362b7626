"""The real values the request mix draws from (issue 19, ``flask bench mixdata``):
read from a seeded database inside the app (bench/mix.py draws from them)."""

from __future__ import annotations

import random

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db


def mix_data(cases: int = 5000, seed: int = 19) -> dict:
    """The real values ``bench/mix.py`` draws its requests from: every public plot
    (code, county, township, state, name, address, pollutants with an exceeding sample
    on its current case: what the register filters on), the public plots with a notice
    board, up to ``cases`` current cases of the benchmarked officer's county, that
    county's desk counts (queue per stage, open and overdue deadlines), and who the
    writer logs in as (a landholder, a surveying unit, the home county's officers)."""
    from app.models import Case, Deadline, Filing, Sample, Site, User
    from app.services import clock, public
    from bench.cli import targets  # the benchmarked plot and officer (cli imports this module)

    t = targets()
    rng = random.Random(seed)
    exceeding = ("above_screening", "above_intervention")  # public.register.EXCEEDING
    pollutants: dict[int, list[str]] = {}
    for case_id, key in db.session.execute(
        select(Sample.case_id, Sample.pollutant_key)
        .join(Site, Site.current_case_id == Sample.case_id)
        .where(public.is_public(), Sample.level.in_(exceeding))
        .distinct()
    ):
        pollutants.setdefault(case_id, []).append(key)
    plots = [
        [code, county, township, state, name, address, sorted(pollutants.get(case_id, []))]
        for code, county, township, state, name, address, case_id in db.session.execute(
            select(Site.code, Site.county_code, Site.township, Case.state, Site.name,
                   Site.address, Case.id)
            .join(Case, Case.id == Site.current_case_id)
            .where(public.is_public())
            .order_by(Site.code)
        )
    ]  # fmt: skip
    notice_codes = db.session.scalars(
        select(Site.code)
        .where(
            public.is_public(),
            select(Filing.id)
            .where(Filing.case_id == Site.current_case_id, Filing.kind == "works_notice")
            .exists(),
        )
        .order_by(Site.code)
    ).all()
    officer = db.session.scalar(select(User).where(User.username == t["officer"]))
    county = officer.region_code
    case_ids = db.session.scalars(
        select(Site.current_case_id).where(Site.county_code == county).order_by(Site.id)
    ).all()
    if len(case_ids) > cases:
        case_ids = sorted(rng.sample(case_ids, cases))
    waiting = ("survey_review", "risk_assessment_review", "plan_review", "evaluation_review",
               "listed")  # app/review/routes.py WAITING_STATES  # fmt: skip
    queue = dict(
        db.session.execute(
            select(Case.state, func.count())
            .join(Site, Site.id == Case.site_id)
            .where(Case.state.in_(waiting), Site.county_code == county)
            .group_by(Case.state)
        ).all()
    )
    open_deadlines = (
        select(func.count())
        .select_from(Deadline)
        .where(Deadline.closed_on.is_(None), Deadline.county_code == county)
    )
    home = current_app.config["COUNTY_CODE"]

    def username(where) -> str | None:
        return db.session.scalar(select(User.username).where(where).order_by(User.id).limit(1))

    surveyor = db.session.scalar(
        select(User).where(User.role == "contractor", User.username.like("sv%")).order_by(User.id)
    )
    townships = db.session.scalars(
        select(Site.township).where(Site.county_code == home).distinct().order_by(Site.township)
    ).all()
    bureau = (User.role == "bureau") & (User.region_code == home)
    return {
        "officer": t["officer"],
        "officer_county": county,
        "password": t["password"],
        "plots": plots,
        "notice_codes": notice_codes,
        "case_ids": case_ids,
        "desk": {
            "queue": {s: queue.get(s, 0) for s in waiting},
            "open_deadlines": db.session.scalar(open_deadlines),
            "overdue_deadlines": db.session.scalar(
                open_deadlines.where(Deadline.due < clock.today())
            ),
        },
        "writer": {
            "landholder": username(User.username.like("lh%") & (User.role == "landholder")),
            "surveyor_credit_code": surveyor.party.credit_code if surveyor else None,
            "env_officer": username(bureau & (User.department == "environment")),
            "nr_officer": username(bureau & (User.department == "natural_resources")),
            "townships": list(townships) or ["章凤镇"],
        },
    }
